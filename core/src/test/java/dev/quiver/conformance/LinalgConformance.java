package dev.quiver.conformance;

import static dev.quiver.conformance.ErrorConformance.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quiver.DType;
import dev.quiver.GradientCheck;
import dev.quiver.GradientTape;
import dev.quiver.Linalg;
import dev.quiver.Quiver;
import dev.quiver.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link Linalg} on every backend: Cholesky, LU solve, triangular solves, Householder QR and least squares on seeded
 * well-conditioned matrices of odd sizes with a batch dimension, against plain-Java float64 references (and the
 * identities {@code a = l lᵀ}, {@code a = q r} with orthonormal {@code q}); gradients by central differences; the
 * failure values (NaN for a non-positive-definite or singular matrix); error messages; and the NIST StRD certified
 * regressions Longley and Filip through {@code lstsq}.
 */
public abstract class LinalgConformance extends BackendConformance {
    private static final DType F64 = DType.FLOAT64;
    private static final int[] SIZES = {1, 2, 7, 17};

    // ---------------------------------------------------------------- plain-Java float64 references

    /** {@code count} row-major (rows, columns) matrices, entries uniform in [-1, 1). */
    static double[] random(long seed, int count, int rows, int columns, DType dtype) {
        return Reference.uniform(seed, count * rows * columns, -1, 1, dtype);
    }

    /** Symmetric positive definite: {@code x xᵀ + n I} per matrix, rounded to {@code dtype}. */
    static double[] positiveDefinite(long seed, int count, int n, DType dtype) {
        double[] x = random(seed, count, n, n, F64);
        double[] a = new double[count * n * n];
        for (int b = 0; b < count; b++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = i == j ? n : 0;
                    for (int k = 0; k < n; k++) {
                        sum += x[b * n * n + i * n + k] * x[b * n * n + j * n + k];
                    }
                    a[b * n * n + i * n + j] = sum;
                }
            }
        }
        return Reference.round(dtype, a);
    }

    /** Random entries plus {@code 2 I}: well conditioned, yet pivoting still reorders rows. */
    static double[] general(long seed, int count, int n, DType dtype) {
        double[] a = random(seed, count, n, n, F64);
        for (int b = 0; b < count; b++) {
            for (int i = 0; i < n; i++) {
                a[b * n * n + i * n + i] += i % 2 == 0 ? 2 : -2;
            }
        }
        return Reference.round(dtype, a);
    }

    static double[] multiply(double[] a, double[] b, int count, int m, int k, int n) {
        return Reference.matmul(a, count, b, count, m, k, n, null);
    }

    static double[] transpose(double[] a, int count, int m, int n) {
        return Reference.permute(a, new int[] {count, m, n}, new int[] {0, 2, 1});
    }

    static double[] cholesky(double[] a, int count, int n) {
        double[] l = new double[a.length];
        for (int b = 0; b < count; b++) {
            int o = b * n * n;
            for (int j = 0; j < n; j++) {
                double d = a[o + j * n + j];
                for (int k = 0; k < j; k++) {
                    d -= l[o + j * n + k] * l[o + j * n + k];
                }
                l[o + j * n + j] = Math.sqrt(d);
                for (int i = j + 1; i < n; i++) {
                    double s = a[o + i * n + j];
                    for (int k = 0; k < j; k++) {
                        s -= l[o + i * n + k] * l[o + j * n + k];
                    }
                    l[o + i * n + j] = s / l[o + j * n + j];
                }
            }
        }
        return l;
    }

    /** Forward or back substitution with the given triangle of {@code t} (the other is ignored). */
    static double[] substitute(double[] t, double[] c, int count, int n, int k, boolean lower) {
        double[] x = new double[count * n * k];
        for (int b = 0; b < count; b++) {
            for (int step = 0; step < n; step++) {
                int i = lower ? step : n - 1 - step;
                for (int col = 0; col < k; col++) {
                    double s = c[b * n * k + i * k + col];
                    for (int j = 0; j < n; j++) {
                        if (lower ? j < i : j > i) {
                            s -= t[b * n * n + i * n + j] * x[b * n * k + j * k + col];
                        }
                    }
                    x[b * n * k + i * k + col] = s / t[b * n * n + i * n + i];
                }
            }
        }
        return x;
    }

    /** Gauss-Jordan with partial pivoting, per matrix, on copies. */
    static double[] solve(double[] a, double[] c, int count, int n, int k) {
        double[] x = new double[count * n * k];
        for (int b = 0; b < count; b++) {
            double[][] m = new double[n][n + k];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    m[i][j] = a[b * n * n + i * n + j];
                }
                for (int j = 0; j < k; j++) {
                    m[i][n + j] = c[b * n * k + i * k + j];
                }
            }
            for (int j = 0; j < n; j++) {
                int p = j;
                for (int i = j + 1; i < n; i++) {
                    p = Math.abs(m[i][j]) > Math.abs(m[p][j]) ? i : p;
                }
                double[] swap = m[p];
                m[p] = m[j];
                m[j] = swap;
                for (int i = 0; i < n; i++) {
                    if (i != j) {
                        double f = m[i][j] / m[j][j];
                        for (int col = j; col < n + k; col++) {
                            m[i][col] -= f * m[j][col];
                        }
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    x[b * n * k + i * k + j] = m[i][n + j] / m[i][i];
                }
            }
        }
        return x;
    }

    /** Least squares by the normal equations (fine as a reference for well-conditioned matrices). */
    static double[] leastSquares(double[] a, double[] c, int count, int m, int n, int k) {
        double[] at = transpose(a, count, m, n);
        if (m >= n) {
            return solve(multiply(at, a, count, n, m, n), multiply(at, c, count, n, m, k), count, n, k);
        }
        double[] y = solve(multiply(a, at, count, m, n, m), c, count, m, k);
        return multiply(at, y, count, n, m, k);
    }

    static void assertClose(String what, Tensor actual, int[] dims, double[] expected, double tolerance) {
        assertArrayEquals(dims, actual.shape().dims(), () -> what + ": shape " + actual.shape());
        double[] values = actual.toDoubleArray();
        double largest = 1;
        for (double e : expected) {
            largest = Math.max(largest, Math.abs(e));
        }
        for (int i = 0; i < values.length; i++) {
            if (!(Math.abs(values[i] - expected[i]) <= tolerance * largest)) {
                fail(what + ": element " + i + " of " + values.length + ": expected " + expected[i] + " but was "
                        + values[i] + " (tolerance " + tolerance + " x " + largest + ")");
            }
        }
    }

    static double tolerance(DType dtype) {
        return dtype == F64 ? 1e-10 : 2e-4;
    }

    static int[] dims(int count, int rows, int columns) {
        return count == 0 ? new int[] {rows, columns} : new int[] {count, rows, columns};
    }

    static Tensor tensor(double[] values, DType dtype, int count, int rows, int columns) {
        return Reference.tensor(values, dtype, dims(count, rows, columns));
    }

    // ---------------------------------------------------------------- forward

    @Test
    public void choleskyReconstructsAndMatchesReference() {
        for (DType dtype : Reference.FLOATS) {
            for (int n : SIZES) {
                for (int count : new int[] {0, 3}) {
                    int b = Math.max(1, count);
                    double[] a = positiveDefinite(n * 10L + count, b, n, dtype);
                    Tensor l = Linalg.cholesky(tensor(a, dtype, count, n, n));
                    String what = "cholesky " + dtype + " " + Arrays.toString(dims(count, n, n));
                    assertEquals(dtype, l.dtype(), what);
                    assertClose(what, l, dims(count, n, n), cholesky(a, b, n), tolerance(dtype));
                    double[] values = l.toDoubleArray();
                    assertClose(what + ": l lᵀ = a", l.matmul(l.transpose(count == 0 ? new int[] {1, 0}
                            : new int[] {0, 2, 1})), dims(count, n, n), a, tolerance(dtype));
                    for (int m = 0; m < b; m++) {
                        for (int i = 0; i < n; i++) {
                            for (int j = i + 1; j < n; j++) {
                                assertEquals(0.0, values[m * n * n + i * n + j], what + ": upper triangle is zero");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    public void choleskyReadsOnlyTheLowerTriangle() {
        double[] a = positiveDefinite(5, 1, 4, F64);
        double[] poisoned = a.clone();
        for (int i = 0; i < 4; i++) {
            for (int j = i + 1; j < 4; j++) {
                poisoned[i * 4 + j] = Double.NaN;
            }
        }
        assertClose("cholesky with NaN above the diagonal", Linalg.cholesky(tensor(poisoned, F64, 0, 4, 4)),
                new int[] {4, 4}, cholesky(a, 1, 4), 1e-12);
    }

    @Test
    public void solveMatchesReferenceAndLeavesSmallResiduals() {
        for (DType dtype : Reference.FLOATS) {
            for (int n : SIZES) {
                for (int count : new int[] {0, 3}) {
                    int b = Math.max(1, count);
                    int k = n % 3 + 1;
                    double[] a = general(n * 7L + count, b, n, dtype);
                    double[] c = Reference.round(dtype, random(n * 11L + count, b, n, k, F64));
                    Tensor x = Linalg.solve(tensor(a, dtype, count, n, n), tensor(c, dtype, count, n, k));
                    String what = "solve " + dtype + " " + Arrays.toString(dims(count, n, n)) + " k=" + k;
                    assertEquals(dtype, x.dtype(), what);
                    assertClose(what, x, dims(count, n, k), solve(a, c, b, n, k), tolerance(dtype));
                    assertClose(what + ": residual", tensor(a, dtype, count, n, n).matmul(x), dims(count, n, k), c,
                            tolerance(dtype));
                    double[] at = transpose(a, b, n, n);
                    assertClose(what + " adjoint", Linalg.solve(tensor(a, dtype, count, n, n),
                            tensor(c, dtype, count, n, k), true), dims(count, n, k), solve(at, c, b, n, k),
                            tolerance(dtype));
                }
            }
        }
    }

    @Test
    public void solveNeedsPivotingAndBroadcastsBatches() {
        // a zero in the leading position: elimination without row exchanges divides by zero
        Tensor a = tensor(new double[] {0, 1, 2, 1, 0, 3, 4, -3, 8}, F64, 0, 3, 3);
        Tensor c = tensor(new double[] {1, 2, 3}, F64, 0, 3, 1);
        assertClose("solve with a zero leading pivot", Linalg.solve(a, c), new int[] {3, 1},
                solve(new double[] {0, 1, 2, 1, 0, 3, 4, -3, 8}, new double[] {1, 2, 3}, 1, 3, 1), 1e-13);
        // one matrix for a batch of right-hand sides, rank 4 on both sides
        double[] many = random(3, 6, 3, 2, F64);
        Tensor x = Linalg.solve(a, Reference.tensor(many, F64, 2, 3, 3, 2));
        assertArrayEquals(new int[] {2, 3, 3, 2}, x.shape().dims());
        double[] expected = new double[many.length];
        for (int m = 0; m < 6; m++) {
            double[] one = solve(new double[] {0, 1, 2, 1, 0, 3, 4, -3, 8}, Arrays.copyOfRange(many, m * 6, m * 6 + 6),
                    1, 3, 2);
            System.arraycopy(one, 0, expected, m * 6, 6);
        }
        assertClose("solve with a broadcast matrix", x, new int[] {2, 3, 3, 2}, expected, 1e-13);
    }

    @Test
    public void triangularSolveMatchesReference() {
        for (DType dtype : Reference.FLOATS) {
            for (int n : SIZES) {
                int count = n % 2 == 0 ? 0 : 2;
                int b = Math.max(1, count);
                int k = 2;
                double[] t = general(n * 13L, b, n, dtype);
                double[] c = Reference.round(dtype, random(n * 17L, b, n, k, F64));
                double[] tt = transpose(t, b, n, n);
                for (boolean lower : new boolean[] {true, false}) {
                    for (boolean adjoint : new boolean[] {false, true}) {
                        String what = "triangularSolve " + dtype + " n=" + n + " lower=" + lower + " adjoint="
                                + adjoint;
                        // adjoint solves with the transpose of the chosen triangle, an upper (lower) system
                        double[] expected = adjoint ? substitute(tt, c, b, n, k, !lower)
                                : substitute(t, c, b, n, k, lower);
                        Tensor x = Linalg.triangularSolve(tensor(t, dtype, count, n, n), tensor(c, dtype, count, n, k),
                                lower, adjoint);
                        assertClose(what, x, dims(count, n, k), expected, tolerance(dtype));
                    }
                }
            }
        }
        Tensor l = tensor(new double[] {2, 99, 1, 4}, F64, 0, 2, 2);
        assertClose("default is lower, not adjoint", Linalg.triangularSolve(l, tensor(new double[] {2, 9}, F64, 0, 2,
                1)), new int[] {2, 1}, new double[] {1, 2}, 1e-15);
    }

    @Test
    public void qrReconstructsWithOrthonormalQ() {
        int[][] shapes = {{1, 1}, {5, 3}, {17, 7}, {7, 7}, {3, 5}, {33, 2}};
        for (DType dtype : Reference.FLOATS) {
            for (int[] shape : shapes) {
                int m = shape[0];
                int n = shape[1];
                int k = Math.min(m, n);
                for (int count : new int[] {0, 2}) {
                    int b = Math.max(1, count);
                    double[] a = random(m * 31L + n + count, b, m, n, dtype);
                    Linalg.QR qr = Linalg.qr(tensor(a, dtype, count, m, n));
                    String what = "qr " + dtype + " " + Arrays.toString(dims(count, m, n));
                    assertArrayEquals(dims(count, m, k), qr.q().shape().dims(), what + ": q shape");
                    assertArrayEquals(dims(count, k, n), qr.r().shape().dims(), what + ": r shape");
                    assertClose(what + ": q r = a", qr.q().matmul(qr.r()), dims(count, m, n), a, tolerance(dtype));
                    double[] q = qr.q().toDoubleArray();
                    double[] gram = multiply(transpose(q, b, m, k), q, b, k, m, k);
                    double[] identity = new double[b * k * k];
                    for (int i = 0; i < b * k; i++) {
                        identity[i * k + i % k] = 1;
                    }
                    assertClose(what + ": qᵀ q = I", Reference.tensor(gram, F64, b, k, k), new int[] {b, k, k},
                            identity, tolerance(dtype));
                    double[] r = qr.r().toDoubleArray();
                    for (int mat = 0; mat < b; mat++) {
                        for (int i = 0; i < k; i++) {
                            for (int j = 0; j < Math.min(i, n); j++) {
                                assertEquals(0.0, r[mat * k * n + i * n + j], what + ": r is upper triangular");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    public void lstsqMatchesReference() {
        int[][] shapes = {{7, 3}, {17, 5}, {5, 5}, {3, 7}, {1, 1}};
        for (DType dtype : Reference.FLOATS) {
            for (int[] shape : shapes) {
                int m = shape[0];
                int n = shape[1];
                for (int count : new int[] {0, 2}) {
                    int b = Math.max(1, count);
                    double[] a = random(m * 41L + n + count, b, m, n, dtype);
                    double[] c = Reference.round(dtype, random(m * 43L + count, b, m, 2, F64));
                    Tensor x = Linalg.lstsq(tensor(a, dtype, count, m, n), tensor(c, dtype, count, m, 2));
                    String what = "lstsq " + dtype + " " + Arrays.toString(dims(count, m, n));
                    assertEquals(dtype, x.dtype(), what);
                    assertClose(what, x, dims(count, n, 2), leastSquares(a, c, b, m, n, 2),
                            dtype == F64 ? 1e-9 : 1e-3);
                }
            }
        }
    }

    @Test
    public void emptyBatchAndEmptyMatrices() {
        assertArrayEquals(new int[] {0, 3, 3}, Linalg.cholesky(Tensor.zeros(F64, 0, 3, 3)).shape().dims());
        assertArrayEquals(new int[] {0, 0}, Linalg.solve(Tensor.zeros(F64, 0, 0), Tensor.zeros(F64, 0, 0)).shape()
                .dims());
        assertArrayEquals(new int[] {2, 0, 0}, Linalg.cholesky(Tensor.zeros(F64, 2, 0, 0)).shape().dims());
    }

    // ---------------------------------------------------------------- failures follow TensorFlow

    @Test
    public void notPositiveDefiniteGivesNaNInTheLowerTriangle() {
        for (DType dtype : Reference.FLOATS) {
            // batch of two: the first is positive definite, the second has a negative eigenvalue
            double[] a = {4, 2, 2, 3, 1, 2, 2, 1};
            double[] values = Linalg.cholesky(Reference.tensor(a, dtype, 2, 2, 2)).toDoubleArray();
            assertClose("the positive-definite one " + dtype, Reference.tensor(Arrays.copyOf(values, 4), F64, 2, 2),
                    new int[] {2, 2}, cholesky(Arrays.copyOf(a, 4), 1, 2), tolerance(dtype));
            assertTrue(Double.isNaN(values[4]) && Double.isNaN(values[6]) && Double.isNaN(values[7]),
                    "the lower triangle of the failing one is NaN: " + Arrays.toString(values));
            assertEquals(0.0, values[5], "its upper triangle stays zero");
        }
    }

    @Test
    public void singularSolveGivesNaNAndZeroDiagonalGivesNonFinite() {
        for (DType dtype : Reference.FLOATS) {
            double[] a = {1, 2, 2, 4, 2, 0, 0, 2};
            double[] x = Linalg.solve(Reference.tensor(a, dtype, 2, 2, 2),
                    Reference.tensor(new double[] {1, 1, 2, 4}, dtype, 2, 2, 1)).toDoubleArray();
            assertTrue(Double.isNaN(x[0]) && Double.isNaN(x[1]), "singular: NaN " + Arrays.toString(x));
            assertEquals(1.0, x[2], 1e-6);
            assertEquals(2.0, x[3], 1e-6);
            double[] t = Linalg.triangularSolve(Reference.tensor(new double[] {0, 0, 1, 1}, dtype, 2, 2),
                    Reference.tensor(new double[] {1, 1}, dtype, 2, 1), true, false).toDoubleArray();
            assertTrue(Double.isInfinite(t[0]) && !Double.isFinite(t[1]), "zero diagonal: " + Arrays.toString(t));
        }
    }

    // ---------------------------------------------------------------- errors

    @Test
    public void errorsNameTheMethodShapesDtypeAndBackend() {
        String backend = "backend " + Quiver.backend().name();
        Tensor rect = Tensor.zeros(F64, 2, 3);
        assertMessage(IllegalArgumentException.class, () -> Linalg.cholesky(rect), "cholesky", "square", "(2, 3)",
                "float64", backend);
        assertMessage(IllegalArgumentException.class, () -> Linalg.solve(rect, Tensor.zeros(F64, 2, 1)), "solve",
                "square", "(2, 3)", backend);
        assertMessage(IllegalArgumentException.class, () -> Linalg.cholesky(Tensor.zeros(DType.INT32, 2, 2)),
                "cholesky", "int32", "(2, 2)", backend);
        assertMessage(IllegalArgumentException.class, () -> Linalg.qr(Tensor.zeros(DType.INT64, 4, 2)), "qr", "int64",
                backend);
        assertMessage(IllegalArgumentException.class, () -> Linalg.solve(Tensor.zeros(F64, 3, 3),
                Tensor.zeros(F64, 2, 1)), "solve", "(3, 3)", "(2, 1)", "rows", backend);
        assertMessage(IllegalArgumentException.class, () -> Linalg.lstsq(Tensor.zeros(F64, 3, 2),
                Tensor.zeros(DType.FLOAT32, 3, 1)), "lstsq", "float64", "float32", backend);
        assertMessage(IllegalArgumentException.class, () -> Linalg.triangularSolve(Tensor.zeros(F64, 3),
                Tensor.zeros(F64, 3, 1)), "triangularSolve", "rank", "(3,)", backend);
        assertMessage(IllegalArgumentException.class, () -> Linalg.solve(Tensor.zeros(F64, 2, 3, 3),
                Tensor.zeros(F64, 4, 3, 1)), "solve", "(2, 3, 3)", "(4, 3, 1)", "broadcast", backend);
        assertMessage(NullPointerException.class, () -> Linalg.lstsq(null, rect), "lstsq", "matrix");
    }

    // ---------------------------------------------------------------- gradients (float64, central differences)

    static void check(String what, Function<List<Tensor>, Tensor> function, Tensor... inputs) {
        for (long seed : new long[] {1, 2}) {
            GradientCheck.Result result = GradientCheck.check(function, List.of(inputs), seed, 1e-6, 1e-6);
            assertTrue(result.passed(), what + " (seed " + seed + "): tape " + result.analytic()
                    + " vs central differences " + result.numeric());
            assertTrue(result.numeric() != 0, what + ": the check must not be trivially zero");
        }
    }

    @Test
    public void gradientsMatchCentralDifferences() {
        int n = 5;
        Tensor spd = tensor(positiveDefinite(61, 2, n, F64), F64, 2, n, n);
        Tensor a = tensor(general(62, 2, n, F64), F64, 2, n, n);
        Tensor c = tensor(random(63, 2, n, 2, F64), F64, 2, n, 2);
        Tensor tall = tensor(random(64, 2, 7, 4, F64), F64, 2, 7, 4);
        Tensor wide = tensor(random(65, 1, 3, 6, F64), F64, 0, 3, 6);
        Tensor y = tensor(random(66, 2, 7, 2, F64), F64, 2, 7, 2);
        Tensor w = tensor(random(67, 1, 3, 1, F64), F64, 0, 3, 1);
        check("cholesky", in -> Linalg.cholesky(in.get(0)), spd);
        // a symmetric parameterisation, as TensorFlow's own cholesky gradient test uses
        check("cholesky of x xᵀ + n I", in -> Linalg.cholesky(in.get(0).matmul(in.get(0).transpose(0, 2, 1))
                .add(Tensor.zerosLike(spd).add(n).mul(eye(n)))), a);
        check("solve (both arguments)", in -> Linalg.solve(in.get(0), in.get(1)), a, c);
        check("solve adjoint", in -> Linalg.solve(in.get(0), in.get(1), true), a, c);
        for (boolean lower : new boolean[] {true, false}) {
            for (boolean adjoint : new boolean[] {false, true}) {
                check("triangularSolve lower=" + lower + " adjoint=" + adjoint,
                        in -> Linalg.triangularSolve(in.get(0), in.get(1), lower, adjoint), a, c);
            }
        }
        check("qr: q of a tall matrix", in -> Linalg.qr(in.get(0)).q(), tall);
        check("qr: r of a tall matrix", in -> Linalg.qr(in.get(0)).r(), tall);
        check("qr: q and r of a wide matrix", in -> {
            Linalg.QR qr = Linalg.qr(in.get(0));
            return Tensor.concat(List.of(qr.q().reshape(-1), qr.r().reshape(-1)), 0);
        }, wide);
        check("lstsq overdetermined (both arguments)", in -> Linalg.lstsq(in.get(0), in.get(1)), tall, y);
        check("lstsq minimum norm (both arguments)", in -> Linalg.lstsq(in.get(0), in.get(1)), wide, w);
    }

    @Test
    public void choleskyGradientReachesOnlyTheLowerTriangleItReads() {
        Tensor a = tensor(positiveDefinite(71, 1, 3, F64), F64, 0, 3, 3);
        double[] g;
        try (GradientTape tape = new GradientTape()) {
            tape.watch(a);
            g = tape.gradient(Linalg.cholesky(a).sum(), a).toDoubleArray();
        }
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                if (j > i) {
                    assertEquals(0.0, g[i * 3 + j], "upper element (" + i + ", " + j + ") is never read");
                } else {
                    assertTrue(g[i * 3 + j] != 0, "lower element (" + i + ", " + j + ") has a gradient");
                }
            }
        }
    }

    static Tensor eye(int n) {
        double[] values = new double[n * n];
        for (int i = 0; i < n; i++) {
            values[i * n + i] = 1;
        }
        return Reference.tensor(values, F64, n, n);
    }

    // ---------------------------------------------------------------- NIST StRD certified regressions

    /** A vendored NIST StRD file: the certified coefficients and the data rows (y first). */
    record Certified(double[] coefficients, List<double[]> rows) {
    }

    static Certified load(String name) {
        try (InputStream in = LinalgConformance.class.getResourceAsStream("/dev/quiver/nist/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource /dev/quiver/nist/" + name + " is missing");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            double[] certified = null;
            List<double[]> rows = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                String[] fields = trimmed.split("\\s+");
                if (fields[0].equals("certified")) {
                    certified = Arrays.stream(fields).skip(1).mapToDouble(Double::parseDouble).toArray();
                } else {
                    rows.add(Arrays.stream(fields).mapToDouble(Double::parseDouble).toArray());
                }
            }
            return new Certified(certified, rows);
        } catch (IOException failure) {
            throw new IllegalStateException("cannot read " + name, failure);
        }
    }

    /** {@code -log10} of the relative error of each coefficient (NIST's "log relative error", LRE). */
    static double[] digits(double[] estimate, double[] certified) {
        double[] lre = new double[certified.length];
        for (int i = 0; i < certified.length; i++) {
            double relative = Math.abs(estimate[i] - certified[i]) / Math.abs(certified[i]);
            lre[i] = relative == 0 ? 16 : -Math.log10(relative);
        }
        return lre;
    }

    /** Fits {@code y} on an intercept and the given columns through {@link Linalg#lstsq}; the LRE per coefficient. */
    static double[] fit(String name, Certified data, Function<double[], double[]> regressors) {
        int m = data.rows().size();
        int n = data.coefficients().length;
        double[] design = new double[m * n];
        double[] y = new double[m];
        for (int i = 0; i < m; i++) {
            double[] row = data.rows().get(i);
            y[i] = row[0];
            double[] x = regressors.apply(row);
            design[i * n] = 1;
            System.arraycopy(x, 0, design, i * n + 1, n - 1);
        }
        double[] beta = Linalg.lstsq(Reference.tensor(design, F64, m, n), Reference.tensor(y, F64, m, 1))
                .toDoubleArray();
        double[] lre = digits(beta, data.coefficients());
        System.out.println(name + " on " + Quiver.backend().name() + ": log relative error per coefficient "
                + Arrays.toString(Arrays.stream(lre).map(d -> Math.round(d * 10) / 10.0).toArray()));
        return lre;
    }

    @Test
    public void longleyThroughLstsqMeetsTheCertifiedValues() {
        Certified longley = load("Longley.dat");
        assertEquals(16, longley.rows().size());
        double[] lre = fit("Longley", longley, row -> Arrays.copyOfRange(row, 1, 7));
        for (int i = 0; i < lre.length; i++) {
            assertTrue(lre[i] >= 7, "Longley coefficient " + i + " has relative error 1e-" + lre[i]
                    + ", the requirement is 1e-7");
        }
    }

    @Test
    public void filipThroughLstsqKeepsThePinnedDigits() {
        Certified filip = load("Filip.dat");
        assertEquals(82, filip.rows().size());
        double[] lre = fit("Filip", filip, row -> {
            double[] powers = new double[10];
            double p = 1;
            for (int d = 0; d < 10; d++) {
                p *= row[1];
                powers[d] = p;
            }
            return powers;
        });
        for (int i = 0; i < lre.length; i++) {
            assertTrue(lre[i] >= FILIP_DIGITS, "Filip coefficient " + i + " has relative error 1e-" + lre[i]
                    + ", pinned at 1e-" + FILIP_DIGITS);
        }
    }

    /**
     * What Householder QR in float64 reaches on Filip, less a margin: measured 8.1 to 8.4 digits per coefficient on
     * the CPU backend and 7.9 to 8.1 on OpenCL (PoCL), whose reductions add in another order.
     */
    static final double FILIP_DIGITS = 7.5;
}
