package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Dense linear algebra for regression, like {@code tf.linalg}: {@link #cholesky}, {@link #solve} (LU with partial
 * pivoting), {@link #triangularSolve}, {@link #qr} (Householder, reduced) and {@link #lstsq} (least squares through
 * QR). float32 and float64, batched over any leading dimensions ({@code (..., m, n)}), on every backend.
 *
 * <p>Every algorithm is a composition of {@link Tensor} ops (slices, matmul, where, reductions, concat) that runs
 * column by column on the device: no backend needs a kernel for it, the tape differentiates it, and no value is read
 * back to the host, pivot choice included (a max, an equality and a one-hot row select it), so the same calls can be
 * traced later. The column loops suit regression sizes (n up to a few hundred): each column costs a handful of ops.
 *
 * <pre>{@code
 * Tensor a = Tensor.of(new double[][] {{4, 2}, {2, 3}}, DType.FLOAT64);
 * Tensor b = Tensor.of(new double[][] {{2}, {1}}, DType.FLOAT64);
 * Tensor l = Linalg.cholesky(a);              // [[2, 0], [1, 1.414...]]
 * Tensor x = Linalg.solve(a, b);              // [[0.5], [0]]
 * Linalg.QR qr = Linalg.qr(a);                // qr.q() @ qr.r() == a
 * // a straight-line fit y = b0 + b1 t through (0, 1), (1, 3), (2, 5): beta = [[1], [2]]
 * Tensor design = Tensor.of(new double[][] {{1, 0}, {1, 1}, {1, 2}}, DType.FLOAT64);
 * Tensor y = Tensor.of(new double[][] {{1}, {3}, {5}}, DType.FLOAT64);
 * Tensor beta = Linalg.lstsq(design, y);      // argmin ||design beta - y||
 * }</pre>
 *
 * <p>Failures follow TensorFlow where it does not need a host read: a matrix that is not positive definite gives a
 * Cholesky factor whose lower triangle is NaN (TensorFlow's CPU kernel does the same); a matrix with an exactly zero
 * pivot gives a {@code solve} result of NaN for that matrix (TensorFlow raises "Input matrix is not invertible",
 * which needs the pivots on the host); a zero on the diagonal of a triangular system gives inf/NaN, as in
 * TensorFlow. Shape, rank and dtype errors are exceptions naming the method, the shapes, the dtypes and the backend.
 */
public final class Linalg {
    private Linalg() {
    }

    /** The reduced QR factorization {@code a = q r}: {@code q} is {@code (..., m, k)} with orthonormal columns and
     * {@code r} is {@code (..., k, n)} upper triangular, {@code k = min(m, n)}, like {@code tf.linalg.qr(a)}. */
    public record QR(Tensor q, Tensor r) {
    }

    // ================================================================ public API

    /**
     * The lower-triangular {@code l} with {@code l lᵀ = a} for symmetric positive-definite {@code a} of shape
     * {@code (..., n, n)}, like {@code tf.linalg.cholesky}. Only the lower triangle of {@code a} is read. A matrix
     * that is not positive definite (a pivot {@code <= 0} or NaN) gives NaN in the whole lower triangle of its factor,
     * as TensorFlow does.
     *
     * <p>The gradient is the derivative of this function of the lower triangle (the upper triangle gets zero).
     * TensorFlow returns the symmetrized {@code (g + gᵀ) / 2} instead; both agree for every symmetric perturbation, so
     * a symmetric parameterisation ({@code a = b bᵀ + c}) gets the same gradients from both.
     */
    public static Tensor cholesky(Tensor matrix) {
        String method = "cholesky";
        requireMatrix(method, "matrix", matrix);
        requireSquare(method, matrix);
        int[] batch = batchDims(matrix);
        Tensor result = choleskyCore(flatten(matrix, batch));
        return unflatten(result, batch);
    }

    /** {@code x} with {@code a x = rhs}, like {@code tf.linalg.solve(a, rhs)}; see {@link #solve(Tensor, Tensor, boolean)}. */
    public static Tensor solve(Tensor matrix, Tensor rhs) {
        return solve(matrix, rhs, false);
    }

    /**
     * {@code x} with {@code a x = rhs} ({@code aᵀ x = rhs} when {@code adjoint}), like
     * {@code tf.linalg.solve(a, rhs, adjoint)}: {@code a} is {@code (..., n, n)}, {@code rhs} is {@code (..., n, k)},
     * batch dimensions broadcast. LU factorization with partial pivoting, on the device. A matrix with an exactly zero
     * pivot gives NaN for its whole solution (TensorFlow's criterion; TensorFlow raises instead). Differentiable in
     * both arguments wherever the pivot order does not change (no ties between candidate pivots).
     */
    public static Tensor solve(Tensor matrix, Tensor rhs, boolean adjoint) {
        String method = "solve";
        requirePair(method, matrix, rhs);
        requireSquare(method, matrix);
        int[] batch = broadcastBatch(method, matrix, rhs);
        Tensor a = flatten(matrix, batch);
        if (adjoint) {
            a = a.transpose(0, 2, 1);
        }
        return unflatten(solveCore(a, flatten(rhs, batch)), batch);
    }

    /** {@code x} with {@code l x = rhs} for lower-triangular {@code l}: {@code triangularSolve(l, rhs, true, false)}. */
    public static Tensor triangularSolve(Tensor matrix, Tensor rhs) {
        return triangularSolve(matrix, rhs, true, false);
    }

    /**
     * {@code x} with {@code t x = rhs}, where {@code t} is the lower ({@code lower}) or upper triangle of
     * {@code matrix} {@code (..., n, n)}, or {@code tᵀ x = rhs} when {@code adjoint}; like
     * {@code tf.linalg.triangular_solve(matrix, rhs, lower, adjoint)}. The other triangle is not read (its gradient is
     * zero, as in TensorFlow); batch dimensions broadcast. A zero on the diagonal gives inf/NaN, as in TensorFlow.
     */
    public static Tensor triangularSolve(Tensor matrix, Tensor rhs, boolean lower, boolean adjoint) {
        String method = "triangularSolve";
        requirePair(method, matrix, rhs);
        requireSquare(method, matrix);
        int[] batch = broadcastBatch(method, matrix, rhs);
        Tensor t = triangle(flatten(matrix, batch), lower);
        if (adjoint) {
            t = t.transpose(0, 2, 1);
        }
        return unflatten(substitute(t, flatten(rhs, batch), lower != adjoint), batch);
    }

    /**
     * The reduced QR factorization of {@code a} {@code (..., m, n)} by Householder reflections, like
     * {@code tf.linalg.qr(a)}. The signs follow LAPACK's choice ({@code r}'s diagonal may be negative), so {@code q}
     * and {@code r} are unique only up to the signs of {@code q}'s columns and {@code r}'s rows. Differentiable
     * wherever no reflected column has a zero leading entry (the sign choice jumps there).
     */
    public static QR qr(Tensor matrix) {
        String method = "qr";
        requireMatrix(method, "matrix", matrix);
        int[] batch = batchDims(matrix);
        Reflectors reflectors = householder(flatten(matrix, batch));
        return new QR(unflatten(reflectors.q(), batch), unflatten(reflectors.r(), batch));
    }

    /**
     * The least-squares solution of {@code a x = rhs}, like {@code tf.linalg.lstsq(a, rhs)} without regularisation:
     * {@code a} is {@code (..., m, n)} of full rank, {@code rhs} {@code (..., m, k)}, the result {@code (..., n, k)}.
     * For {@code m >= n} it minimises {@code ||a x - rhs||} through the Householder QR of {@code a}
     * ({@code x = r⁻¹ qᵀ rhs}, without forming {@code q}); for {@code m < n} it is the minimum-norm solution through
     * the QR of {@code aᵀ}. TensorFlow's default ({@code fast=True}) solves the normal equations by Cholesky, which
     * squares the condition number; QR does not, so ill-conditioned fits (NIST's Longley, Filip) keep more digits.
     * A rank-deficient {@code a} gives inf/NaN.
     */
    public static Tensor lstsq(Tensor matrix, Tensor rhs) {
        String method = "lstsq";
        requirePair(method, matrix, rhs);
        int[] batch = broadcastBatch(method, matrix, rhs);
        Tensor a = flatten(matrix, batch);
        Tensor b = flatten(rhs, batch);
        int m = a.shape().dim(1);
        int n = a.shape().dim(2);
        if (m >= n) {
            Reflectors reflectors = householder(a);
            Tensor projected = reflectors.reflect(b).slice(1, 0, n);                    // (qᵀ rhs)[:n]
            Tensor r = reflectors.r().slice(2, 0, n);                                  // (n, n)
            return unflatten(substitute(r, projected, false), batch);
        }
        // minimum norm: aᵀ = q r, so a = rᵀ qᵀ; x = q (rᵀ)⁻¹ rhs lies in the row space of a
        Reflectors reflectors = householder(a.transpose(0, 2, 1));
        Tensor y = substitute(reflectors.r().transpose(0, 2, 1), b, true);
        return unflatten(reflectors.q().matmul(y), batch);
    }

    // ================================================================ algorithms on (batch, rows, columns)

    /** Left-looking Cholesky: column j is {@code (a[:, j] - l l[j, :]ᵀ) / sqrt(pivot)}, one matmul per column. */
    private static Tensor choleskyCore(Tensor a) {
        int n = a.shape().dim(1);
        Tensor rows = index(a, n, 1);
        Tensor columns = index(a, n, 2);
        Tensor l = Tensor.fill("cholesky", a.backend(), a.shape(), 0, a.dtype());
        Tensor positiveDefinite = null;
        for (int j = 0; j < n; j++) {
            Tensor rowJ = l.slice(1, j, j + 1).transpose(0, 2, 1);                          // (b, n, 1)
            Tensor v = a.slice(2, j, j + 1).sub(l.matmul(rowJ));                            // (b, n, 1)
            Tensor pivot = v.slice(1, j, j + 1);                                            // (b, 1, 1)
            Tensor positive = pivot.greater(0.0);                                           // false for NaN too
            positiveDefinite = positiveDefinite == null ? positive : positiveDefinite.logicalAnd(positive);
            // a failing pivot is replaced by 1 so that sqrt and its gradient stay finite; the result becomes NaN below
            Tensor root = Tensor.where(positive, pivot, constant(a, 1)).sqrt();
            Tensor column = Tensor.where(rows.greaterEqual(j), v.div(root), constant(a, 0));
            l = Tensor.where(columns.equal(j), column, l);
        }
        if (positiveDefinite == null) {
            return l;
        }
        Tensor failed = Tensor.where(rows.greaterEqual(columns), constant(a, Double.NaN), constant(a, 0));
        return Tensor.where(positiveDefinite, l, failed);
    }

    /**
     * Gaussian elimination with partial pivoting on {@code [a | b]}, then back substitution. The pivot row is chosen
     * on the device: the largest {@code |a_ij|} among rows {@code i >= j}, the first of ties (the smallest index that
     * reaches the maximum), as LAPACK's {@code idamax}; the swap is two {@code where}s, exact and differentiable.
     */
    private static Tensor solveCore(Tensor a, Tensor b) {
        int n = a.shape().dim(1);
        Tensor rows = index(a, n, 1);
        Tensor m = Tensor.concat(List.of(a, b), 2);
        Tensor nonSingular = null;
        for (int j = 0; j < n; j++) {
            Tensor candidates = Tensor.where(rows.greaterEqual(j), m.slice(2, j, j + 1).abs(), constant(a, -1));
            Tensor largest = candidates.max(new int[] {1}, true);
            Tensor first = Tensor.where(candidates.equal(largest), rows, constant(rows, n)).min(new int[] {1}, true);
            Tensor isPivot = rows.equal(first);                                             // one-hot (b, n, 1)
            Tensor pivotRow = Tensor.where(isPivot, m, constant(a, 0)).sum(new int[] {1}, true);
            Tensor rowJ = m.slice(1, j, j + 1);
            m = Tensor.where(rows.equal(j), pivotRow, Tensor.where(isPivot, rowJ, m));
            Tensor pivot = pivotRow.slice(2, j, j + 1);                                     // (b, 1, 1)
            Tensor nonZero = pivot.notEqual(0.0);
            nonSingular = nonSingular == null ? nonZero : nonSingular.logicalAnd(nonZero);
            Tensor factor = m.slice(2, j, j + 1).div(Tensor.where(nonZero, pivot, constant(a, 1)));
            m = Tensor.where(rows.greater(j), m.sub(factor.mul(pivotRow)), m);
        }
        Tensor u = triangle(m.slice(2, 0, n), false);
        Tensor x = substitute(u, m.slice(2, n, m.shape().dim(2)), false);
        return nonSingular == null ? x : Tensor.where(nonSingular, x, constant(a, Double.NaN));
    }

    /**
     * Forward ({@code lower}) or back substitution for triangular {@code t} (its other triangle zero): row j of x is
     * {@code (c_j - t[j, :] x) / t_jj}, where the rows of x not yet solved are still zero.
     */
    private static Tensor substitute(Tensor t, Tensor c, boolean lower) {
        int n = t.shape().dim(1);
        Tensor rows = index(t, n, 1);
        Tensor x = Tensor.fill("triangularSolve", t.backend(),
                Shape.of(c.shape().dim(0), n, c.shape().dim(2)), 0, c.dtype());
        for (int step = 0; step < n; step++) {
            int j = lower ? step : n - 1 - step;
            Tensor rowT = t.slice(1, j, j + 1);                                             // (b, 1, n)
            Tensor residual = c.slice(1, j, j + 1).sub(rowT.matmul(x));                     // (b, 1, k)
            x = Tensor.where(rows.equal(j), residual.div(rowT.slice(2, j, j + 1)), x);
        }
        return x;
    }

    /** The Householder vectors and scales of a QR factorization, with {@code r}; {@code q} is formed on demand. */
    private record Reflectors(Tensor r, List<Tensor> vectors, List<Tensor> scales, int rows) {
        /** {@code qᵀ c}: the reflections applied to {@code c} {@code (b, m, k)} in order. */
        Tensor reflect(Tensor c) {
            for (int j = 0; j < vectors.size(); j++) {
                c = apply(j, c);
            }
            return c;
        }

        /** The reduced {@code q} {@code (b, m, k)}: the reflections applied to the first k columns of the identity. */
        Tensor q() {
            Tensor m = r;
            int k = vectors.size();
            Tensor identity = Tensor.where(index(m, rows, 1).equal(index(m, k, 2)), constant(m, 1), constant(m, 0));
            Tensor q = identity.broadcastTo(Shape.of(m.shape().dim(0), rows, k));
            for (int j = k - 1; j >= 0; j--) {
                q = apply(j, q);
            }
            return q;
        }

        /** {@code (I - tau v vᵀ) c}. */
        private Tensor apply(int j, Tensor c) {
            Tensor v = vectors.get(j);
            return c.sub(v.mul(scales.get(j)).mul(v.transpose(0, 2, 1).matmul(c)));
        }
    }

    /**
     * Householder QR of {@code a} {@code (b, m, n)}: for each column j the reflection {@code I - tau v vᵀ} that maps
     * rows {@code j..m-1} of the column to {@code alpha e_j}, with {@code alpha = -sign(x_j) ||x||} (LAPACK's sign,
     * which avoids cancellation in {@code v_j = x_j - alpha}). The norm is taken of the column scaled by its largest
     * entry, so float32 columns beyond 1e19 do not overflow.
     */
    private static Reflectors householder(Tensor a) {
        int m = a.shape().dim(1);
        int n = a.shape().dim(2);
        int k = Math.min(m, n);
        Tensor rows = index(a, m, 1);
        Tensor r = a;
        List<Tensor> vectors = new ArrayList<>();
        List<Tensor> scales = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            Tensor column = r.slice(2, j, j + 1);                                           // (b, m, 1)
            Tensor x = Tensor.where(rows.greaterEqual(j), column, constant(a, 0));
            Tensor largest = x.abs().max(new int[] {1}, true);
            Tensor scale = Tensor.where(largest.greater(0.0), largest, constant(a, 1));
            Tensor norm = x.div(scale).square().sum(new int[] {1}, true).sqrt().mul(scale);  // (b, 1, 1)
            Tensor lead = column.slice(1, j, j + 1);
            Tensor alpha = Tensor.where(lead.greaterEqual(0.0), norm.neg(), norm);
            Tensor v = Tensor.where(rows.equal(j), lead.sub(alpha), x);
            Tensor squared = v.square().sum(new int[] {1}, true);
            Tensor nonZero = squared.greater(0.0);
            // a zero column needs no reflection: tau = 0, and the guarded division keeps its gradient finite
            Tensor tau = Tensor.where(nonZero, Tensor.where(nonZero, squared, constant(a, 1)).reciprocal().mul(2.0),
                    constant(a, 0));
            vectors.add(v);
            scales.add(tau);
            r = r.sub(v.mul(tau).mul(v.transpose(0, 2, 1).matmul(r)));
        }
        Tensor upper = index(a, m, 1).lessEqual(index(a, n, 2));
        r = Tensor.where(upper, r, constant(a, 0)).slice(1, 0, k);
        return new Reflectors(r, vectors, scales, m);
    }

    // ================================================================ helpers

    /** The lower or upper triangle of {@code a} {@code (b, n, n)}, the rest zero (never read, so NaN there is harmless). */
    private static Tensor triangle(Tensor a, boolean lower) {
        int n = a.shape().dim(1);
        Tensor rows = index(a, n, 1);
        Tensor columns = index(a, n, 2);
        Tensor keep = lower ? rows.greaterEqual(columns) : rows.lessEqual(columns);
        return Tensor.where(keep, a, constant(a, 0));
    }

    /** A scalar of {@code like}'s dtype and backend (a kernel argument, no device memory). */
    private static Tensor constant(Tensor like, double value) {
        return Tensor.hostScalar(like.backend(), like.dtype(), value);
    }

    /** int32 {@code 0 .. n-1} along {@code axis} of a rank-3 shape ({@code (1, n, 1)} or {@code (1, 1, n)}). */
    private static Tensor index(Tensor like, int n, int axis) {
        Backend backend = like.backend();
        int[] values = new int[n];
        Arrays.setAll(values, i -> i);
        Shape shape = axis == 1 ? Shape.of(1, n, 1) : Shape.of(1, 1, n);
        DeviceBuffer buffer;
        try {
            buffer = Tracer.device(backend).upload(values);
        } catch (RuntimeException failure) {
            throw Errors.allocationFailed("linalg", backend, shape, DType.INT32, failure);
        }
        return new Tensor(new Storage(backend, buffer), shape, shape.sharedStrides(), 0);
    }

    private static int[] batchDims(Tensor x) {
        return Arrays.copyOf(x.shape().dims(), x.rank() - 2);
    }

    /** {@code x} {@code (..., m, n)} broadcast to the batch dimensions {@code batch} and reshaped to {@code (b, m, n)}. */
    private static Tensor flatten(Tensor x, int[] batch) {
        int m = x.shape().dim(-2);
        int n = x.shape().dim(-1);
        int[] dims = Arrays.copyOf(batch, batch.length + 2);
        dims[batch.length] = m;
        dims[batch.length + 1] = n;
        int size = 1;
        for (int d : batch) {
            size *= d;
        }
        return x.broadcastTo(Shape.of(dims)).reshape(size, m, n);
    }

    private static Tensor unflatten(Tensor x, int[] batch) {
        int[] dims = Arrays.copyOf(batch, batch.length + 2);
        dims[batch.length] = x.shape().dim(1);
        dims[batch.length + 1] = x.shape().dim(2);
        return x.reshape(dims);
    }

    /** numpy broadcasting of the batch dimensions of {@code matrix} and {@code rhs}, with an error naming both shapes. */
    private static int[] broadcastBatch(String method, Tensor matrix, Tensor rhs) {
        try {
            return Shape.broadcast(method, matrix.backend(), Shape.of(batchDims(matrix)), Shape.of(batchDims(rhs)))
                    .dims();
        } catch (IllegalArgumentException mismatch) {
            throw Errors.invalid(method, matrix.backend(), "batch dimensions of matrix " + matrix.shape() + " and rhs "
                    + rhs.shape() + " do not broadcast (" + matrix.dtype() + ")");
        }
    }

    private static void requireMatrix(String method, String name, Tensor x) {
        Errors.notNull(x, method, name).checkOpen(method);
        if (x.rank() < 2) {
            throw Errors.invalid(method, x.backend(), "expects " + name + " of rank >= 2 (..., rows, columns), got "
                    + x.dtype() + " of shape " + x.shape());
        }
        if (!x.dtype().isFloating()) {
            throw Errors.invalid(method, x.backend(), "expects float32 or float64, got " + name + " of dtype "
                    + x.dtype() + " and shape " + x.shape() + "; cast first, e.g. x.cast(DType.FLOAT64)");
        }
    }

    private static void requireSquare(String method, Tensor matrix) {
        if (matrix.shape().dim(-1) != matrix.shape().dim(-2)) {
            throw Errors.invalid(method, matrix.backend(), "expects square matrices (..., n, n), got " + matrix.dtype()
                    + " of shape " + matrix.shape());
        }
    }

    /** A matrix and a right-hand side of the same dtype and backend with as many rows. */
    private static void requirePair(String method, Tensor matrix, Tensor rhs) {
        requireMatrix(method, "matrix", matrix);
        requireMatrix(method, "rhs", rhs);
        Ops.checkSameBackend(method, matrix, rhs);
        if (matrix.dtype() != rhs.dtype()) {
            throw Errors.invalid(method, matrix.backend(), "matrix " + matrix.dtype() + " " + matrix.shape()
                    + " and rhs " + rhs.dtype() + " " + rhs.shape() + " have different dtypes; cast one");
        }
        if (matrix.shape().dim(-2) != rhs.shape().dim(-2)) {
            throw Errors.invalid(method, matrix.backend(), "matrix " + matrix.shape() + " has "
                    + matrix.shape().dim(-2) + " rows but rhs " + rhs.shape() + " has " + rhs.shape().dim(-2)
                    + " (" + matrix.dtype() + ")");
        }
    }
}
