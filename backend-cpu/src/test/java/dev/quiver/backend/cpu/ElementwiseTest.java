package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.TestSupport.ALL;
import static dev.quiver.backend.cpu.TestSupport.LENGTHS;
import static dev.quiver.backend.cpu.TestSupport.SCALAR;
import static dev.quiver.backend.cpu.TestSupport.assertClose;
import static dev.quiver.backend.cpu.TestSupport.buffer;
import static dev.quiver.backend.cpu.TestSupport.contiguous;
import static dev.quiver.backend.cpu.TestSupport.gather;
import static dev.quiver.backend.cpu.TestSupport.name;
import static dev.quiver.backend.cpu.TestSupport.random;
import static dev.quiver.backend.cpu.TestSupport.round;
import static dev.quiver.backend.cpu.TestSupport.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Unary, binary, where, copy and fill: every SIMD width against its scalar twin and a float64 reference. */
class ElementwiseTest {
    private static final List<Primitive> UNARY = List.of(Primitive.NEG, Primitive.ABS, Primitive.SIGN, Primitive.EXP,
            Primitive.LOG, Primitive.SQRT, Primitive.SIN, Primitive.COS, Primitive.TANH);
    private static final List<Primitive> ARITHMETIC = List.of(Primitive.ADD, Primitive.SUB, Primitive.MUL, Primitive.DIV,
            Primitive.POW, Primitive.MAXIMUM, Primitive.MINIMUM);
    private static final List<Primitive> COMPARISONS = List.of(Primitive.LESS, Primitive.LESS_EQUAL, Primitive.GREATER,
            Primitive.GREATER_EQUAL, Primitive.EQUAL, Primitive.NOT_EQUAL);
    private static final List<DType> NUMERIC = List.of(DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64);

    static double referenceUnary(Primitive op, double x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case LOGICAL_NOT -> x == 0 ? 1 : 0;
            default -> throw new AssertionError(op);
        };
    }

    static double referenceBinary(Primitive op, double a, double b, DType type) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> type.isFloating() ? a / b : (long) a / (long) b;
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case LESS -> a < b ? 1 : 0;
            case LESS_EQUAL -> a <= b ? 1 : 0;
            case GREATER -> a > b ? 1 : 0;
            case GREATER_EQUAL -> a >= b ? 1 : 0;
            case EQUAL -> a == b ? 1 : 0;
            case NOT_EQUAL -> a != b ? 1 : 0;
            case LOGICAL_AND -> a != 0 && b != 0 ? 1 : 0;
            case LOGICAL_OR -> a != 0 || b != 0 ? 1 : 0;
            default -> throw new AssertionError(op);
        };
    }

    /** float32 transcendentals: a few ulp of the float result, and absolute error near zero crossings. */
    static double rtol(DType type) {
        return type == DType.FLOAT32 ? 2e-6 : type == DType.FLOAT64 ? 1e-14 : 0;
    }

    static double atol(DType type) {
        return type == DType.FLOAT32 ? 1e-6 : type == DType.FLOAT64 ? 1e-14 : 0;
    }

    @Test
    void unaryMatchesReferenceAndTwinAtEveryWidthAndLength() {
        Random random = new Random(1);
        for (DType type : NUMERIC) {
            for (Primitive op : UNARY) {
                if (op.requiresFloating() && !type.isFloating()) {
                    continue;
                }
                boolean positive = op == Primitive.LOG || op == Primitive.SQRT;
                for (int n : LENGTHS) {
                    double[] input = random(random, n, type, positive ? 0.01 : -4, 4);
                    CpuBuffer in = buffer(type, input);
                    double[] expected = new double[n];
                    for (int i = 0; i < n; i++) {
                        expected[i] = round(type, referenceUnary(op, input[i]));
                    }
                    double[] twin = null;
                    for (CpuBackend backend : ALL) {
                        CpuBuffer out = CpuBuffer.allocate(type, n);
                        backend.unary(op, contiguous(in, n), contiguous(out, n));
                        String context = op.opName() + " " + type + " n=" + n + " " + name(backend);
                        double[] actual = values(out);
                        assertClose(expected, actual, rtol(type), atol(type), context);
                        if (twin == null) {
                            twin = actual;
                        } else {
                            assertClose(twin, actual, rtol(type), atol(type), context + " vs twin");
                        }
                    }
                }
            }
        }
    }

    @Test
    void intAbsAndNegWrapLikeJava() {
        for (CpuBackend backend : ALL) {
            CpuBuffer in = buffer(DType.INT32, new double[] {Integer.MIN_VALUE, -5, 0, 7});
            CpuBuffer out = CpuBuffer.allocate(DType.INT32, 4);
            backend.unary(Primitive.ABS, contiguous(in, 4), contiguous(out, 4));
            assertArrayEquals(new int[] {Integer.MIN_VALUE, 5, 0, 7}, (int[]) out.array());
            backend.unary(Primitive.NEG, contiguous(in, 4), contiguous(out, 4));
            assertArrayEquals(new int[] {Integer.MIN_VALUE, 5, 0, -7}, (int[]) out.array());
            backend.unary(Primitive.SIGN, contiguous(in, 4), contiguous(out, 4));
            assertArrayEquals(new int[] {-1, -1, 0, 1}, (int[]) out.array());
            CpuBuffer f = buffer(DType.FLOAT32, new double[] {Double.NaN, -0.0, 3, -2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, -14});
            CpuBuffer g = CpuBuffer.allocate(DType.FLOAT32, 19);
            backend.unary(Primitive.SIGN, contiguous(f, 19), contiguous(g, 19));
            float[] sign = (float[]) g.array();
            assertTrue(Float.isNaN(sign[0]), name(backend));
            assertEquals(-0.0f, sign[1]);
            assertEquals(1f, sign[2]);
            assertEquals(-1f, sign[18]);
        }
    }

    @Test
    void binaryMatchesReferenceAndTwinIncludingScalarBroadcast() {
        Random random = new Random(2);
        for (DType type : NUMERIC) {
            for (Primitive op : concat(ARITHMETIC, COMPARISONS)) {
                if (op.requiresFloating() && !type.isFloating()) {
                    continue;
                }
                boolean positive = op == Primitive.POW;
                for (int n : LENGTHS) {
                    double[] left = random(random, n, type, positive ? 0.1 : -50, positive ? 3 : 50);
                    double[] right = random(random, n, type, positive ? -2 : -50, positive ? 2 : 50);
                    if (n > 3 && COMPARISONS.contains(op)) {
                        right[1] = left[1];   // equal pairs matter for <=, ==, !=
                    }
                    // the three layouts of a row: both unit-stride, a broadcast scalar on either side
                    for (int layout = 0; layout < 3; layout++) {
                        CpuBuffer a = buffer(type, layout == 1 ? new double[] {left.length > 0 ? left[0] : 1} : left);
                        CpuBuffer b = buffer(type, layout == 2 ? new double[] {right.length > 0 ? right[0] : 1} : right);
                        StridedView av = layout == 1 ? new StridedView(a, new int[] {n}, new long[] {0}, 0) : contiguous(a, n);
                        StridedView bv = layout == 2 ? new StridedView(b, new int[] {n}, new long[] {0}, 0) : contiguous(b, n);
                        double[] ag = gather(values(a), av);
                        double[] bg = gather(values(b), bv);
                        DType outType = op.producesBool() ? DType.BOOL : type;
                        double[] expected = new double[n];
                        for (int i = 0; i < n; i++) {
                            expected[i] = round(outType, referenceBinary(op, ag[i], bg[i], type));
                        }
                        double tolerance = op == Primitive.POW ? 4 * rtol(type) : rtol(type);
                        for (CpuBackend backend : ALL) {
                            CpuBuffer out = CpuBuffer.allocate(outType, n);
                            backend.binary(op, av, bv, contiguous(out, n));
                            assertClose(expected, values(out), tolerance, atol(type),
                                    op.opName() + " " + type + " n=" + n + " layout " + layout + " " + name(backend));
                        }
                    }
                }
            }
        }
    }

    @Test
    void logicalOpsOnBool() {
        Random random = new Random(3);
        for (int n : LENGTHS) {
            double[] left = new double[n];
            double[] right = new double[n];
            for (int i = 0; i < n; i++) {
                left[i] = random.nextBoolean() ? 1 : 0;
                right[i] = random.nextBoolean() ? 1 : 0;
            }
            CpuBuffer a = buffer(DType.BOOL, left);
            CpuBuffer b = buffer(DType.BOOL, right);
            for (CpuBackend backend : ALL) {
                for (Primitive op : List.of(Primitive.LOGICAL_AND, Primitive.LOGICAL_OR, Primitive.EQUAL, Primitive.NOT_EQUAL)) {
                    CpuBuffer out = CpuBuffer.allocate(DType.BOOL, n);
                    backend.binary(op, contiguous(a, n), contiguous(b, n), contiguous(out, n));
                    double[] expected = new double[n];
                    for (int i = 0; i < n; i++) {
                        expected[i] = referenceBinary(op, left[i], right[i], DType.BOOL);
                    }
                    assertClose(expected, values(out), 0, 0, op.opName() + " n=" + n + " " + name(backend));
                }
                CpuBuffer out = CpuBuffer.allocate(DType.BOOL, n);
                backend.unary(Primitive.LOGICAL_NOT, contiguous(a, n), contiguous(out, n));
                for (int i = 0; i < n; i++) {
                    assertEquals(left[i] == 0, ((boolean[]) out.array())[i]);
                }
            }
        }
    }

    @Test
    void maximumAndMinimumPropagateNaN() {
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64)) {
            int n = 37;
            double[] left = new double[n];
            double[] right = new double[n];
            for (int i = 0; i < n; i++) {
                left[i] = i % 3 == 0 ? Double.NaN : i;
                right[i] = i % 5 == 0 ? Double.NaN : n - i;
            }
            CpuBuffer a = buffer(type, left);
            CpuBuffer b = buffer(type, right);
            for (CpuBackend backend : ALL) {
                for (Primitive op : List.of(Primitive.MAXIMUM, Primitive.MINIMUM)) {
                    CpuBuffer out = CpuBuffer.allocate(type, n);
                    backend.binary(op, contiguous(a, n), contiguous(b, n), contiguous(out, n));
                    double[] result = values(out);
                    for (int i = 0; i < n; i++) {
                        boolean nan = i % 3 == 0 || i % 5 == 0;
                        assertEquals(nan, Double.isNaN(result[i]), op.opName() + " " + type + " element " + i + " " + name(backend));
                    }
                }
            }
        }
    }

    @Test
    void integerDivisionByZeroNamesDivAndCpu() {
        for (DType type : List.of(DType.INT32, DType.INT64)) {
            for (CpuBackend backend : ALL) {
                CpuBuffer a = buffer(type, new double[] {1, 2, 3});
                CpuBuffer b = buffer(type, new double[] {1, 0, 3});
                CpuBuffer out = CpuBuffer.allocate(type, 3);
                ArithmeticException e = assertThrows(ArithmeticException.class,
                        () -> backend.binary(Primitive.DIV, contiguous(a, 3), contiguous(b, 3), contiguous(out, 3)));
                assertTrue(e.getMessage().contains("div") && e.getMessage().contains("cpu") && e.getMessage().contains(type.toString()),
                        e.getMessage());
            }
        }
        // truncation toward zero, and floats follow IEEE
        CpuBuffer a = buffer(DType.INT32, new double[] {-7, 7});
        CpuBuffer b = buffer(DType.INT32, new double[] {2, -2});
        CpuBuffer out = CpuBuffer.allocate(DType.INT32, 2);
        SCALAR.binary(Primitive.DIV, contiguous(a, 2), contiguous(b, 2), contiguous(out, 2));
        assertArrayEquals(new int[] {-3, -3}, (int[]) out.array());
        for (CpuBackend backend : ALL) {
            CpuBuffer fa = buffer(DType.FLOAT32, new double[] {1, -1, 0});
            CpuBuffer fb = buffer(DType.FLOAT32, new double[] {0, 0, 0});
            CpuBuffer fo = CpuBuffer.allocate(DType.FLOAT32, 3);
            backend.binary(Primitive.DIV, contiguous(fa, 3), contiguous(fb, 3), contiguous(fo, 3));
            float[] r = (float[]) fo.array();
            assertEquals(Float.POSITIVE_INFINITY, r[0]);
            assertEquals(Float.NEGATIVE_INFINITY, r[1]);
            assertTrue(Float.isNaN(r[2]));
        }
    }

    @Test
    void whereMatchesTwinWithBroadcastBranches() {
        Random random = new Random(4);
        for (DType type : NUMERIC) {
            for (int n : LENGTHS) {
                double[] c = new double[n];
                for (int i = 0; i < n; i++) {
                    c[i] = random.nextBoolean() ? 1 : 0;
                }
                CpuBuffer condition = buffer(DType.BOOL, c);
                double[] t = random(random, n, type, -9, 9);
                double[] f = random(random, n, type, -9, 9);
                for (int layout = 0; layout < 4; layout++) {
                    // 0: all contiguous, 1: whenFalse is a scalar, 2: whenTrue is a scalar, 3: condition is a scalar
                    CpuBuffer tb = buffer(type, t);
                    CpuBuffer fb = buffer(type, layout == 1 ? new double[] {2.5} : f);
                    StridedView tv = layout == 2 ? new StridedView(tb, new int[] {n}, new long[] {0}, 0) : contiguous(tb, n);
                    StridedView fv = layout == 1 ? new StridedView(fb, new int[] {n}, new long[] {0}, 0) : contiguous(fb, n);
                    StridedView cv = layout == 3 ? new StridedView(condition, new int[] {n}, new long[] {0}, Math.min(1, n - 1 < 0 ? 0 : n - 1))
                            : contiguous(condition, n);
                    if (layout == 3 && n == 0) {
                        continue;
                    }
                    double[] cg = gather(c, cv);
                    double[] tg = gather(values(tb), tv);
                    double[] fg = gather(values(fb), fv);
                    double[] expected = new double[n];
                    for (int i = 0; i < n; i++) {
                        expected[i] = cg[i] != 0 ? tg[i] : fg[i];
                    }
                    for (CpuBackend backend : ALL) {
                        CpuBuffer out = CpuBuffer.allocate(type, n);
                        backend.where(cv, tv, fv, contiguous(out, n));
                        assertClose(expected, values(out), 0, 0, "where " + type + " n=" + n + " layout " + layout + " " + name(backend));
                    }
                }
            }
        }
    }

    @Test
    void copyConvertsEveryDtypePair() {
        Random random = new Random(5);
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                for (int n : LENGTHS) {
                    double[] input = random(random, n, from, -300.75, 300.75);
                    if (from == DType.BOOL) {
                        for (int i = 0; i < n; i++) {
                            input[i] = random.nextBoolean() ? 1 : 0;
                        }
                    }
                    if (n > 2 && from.isFloating()) {
                        input[1] = -2.75;   // truncation toward zero: -2
                        input[2] = 0.0;
                    }
                    CpuBuffer in = buffer(from, input);
                    double[] stored = values(in);
                    double[] expected = new double[n];
                    for (int i = 0; i < n; i++) {
                        expected[i] = round(to, stored[i]);
                    }
                    for (CpuBackend backend : ALL) {
                        CpuBuffer out = CpuBuffer.allocate(to, n);
                        backend.copy(contiguous(in, n), contiguous(out, n));
                        assertClose(expected, values(out), 0, 0, "copy " + from + "->" + to + " n=" + n + " " + name(backend));
                    }
                }
            }
        }
        // int64 to float32 rounds once (not through double)
        long big = (1L << 40) + (1L << 16) + 1;
        CpuBuffer in = (CpuBuffer) SCALAR.upload(new long[] {big});
        CpuBuffer out = CpuBuffer.allocate(DType.FLOAT32, 1);
        SCALAR.copy(contiguous(in, 1), contiguous(out, 1));
        assertEquals((float) big, ((float[]) out.array())[0]);
    }

    @Test
    void copyAndFillWriteStridedOutputs() {
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64, DType.BOOL)) {
            for (CpuBackend backend : ALL) {
                // write a (3, 5) source transposed into a (5, 3) slice with offset 2 inside a 40-element buffer
                double[] source = new double[15];
                for (int i = 0; i < 15; i++) {
                    source[i] = type == DType.BOOL ? i % 2 : i + 1;
                }
                CpuBuffer in = buffer(type, source);
                CpuBuffer out = CpuBuffer.allocate(type, 40);
                backend.fill(contiguous(out, 40), -1);
                StridedView transposedTarget = new StridedView(out, new int[] {3, 5}, new long[] {1, 7}, 2);
                backend.copy(contiguous(in, 3, 5), transposedTarget);
                double[] result = values(out);
                double[] written = gather(result, transposedTarget);
                assertClose(source, written, 0, 0, "strided copy " + type + " " + name(backend));
                java.util.Set<Integer> viewed = new java.util.HashSet<>();
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 5; j++) {
                        viewed.add(2 + i + 7 * j);
                    }
                }
                for (int i = 0; i < 40; i++) {
                    if (!viewed.contains(i)) {
                        assertEquals(round(type, -1), result[i], "copy wrote outside its view at " + i);
                    }
                }

                // fill every other element of a row of 33, with an offset
                CpuBuffer target = CpuBuffer.allocate(type, 70);
                backend.fill(new StridedView(target, new int[] {33}, new long[] {2}, 3), 5);
                double[] filled = values(target);
                for (int i = 0; i < 70; i++) {
                    boolean inView = i >= 3 && (i - 3) % 2 == 0 && i <= 3 + 64;
                    assertEquals(inView ? round(type, 5) : 0, filled[i], "fill " + type + " at " + i + " " + name(backend));
                }
            }
        }
    }

    @Test
    void fillEveryDtypeAndLength() {
        for (DType type : DType.values()) {
            for (int n : LENGTHS) {
                for (CpuBackend backend : ALL) {
                    CpuBuffer out = CpuBuffer.allocate(type, n + 2);
                    backend.fill(new StridedView(out, new int[] {n}, new long[] {1}, 1), -3.75);
                    double[] result = values(out);
                    for (int i = 0; i < n + 2; i++) {
                        double expected = i == 0 || i == n + 1 ? 0 : round(type, -3.75);
                        assertEquals(expected, result[i], "fill " + type + " n=" + n + " at " + i + " " + name(backend));
                    }
                }
            }
        }
    }

    @Test
    void stridedAndBroadcastInputsMatchContiguousCopies() {
        Random random = new Random(6);
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT32)) {
            int rows = 9;
            int cols = 35;
            double[] data = random(random, 2 + rows * cols, type, 0.5, 4);
            CpuBuffer base = buffer(type, data);
            double[] stored = values(base);
            // views of shape (rows, cols) over `base`
            StridedView[] layouts = {
                    new StridedView(base, new int[] {rows, cols}, new long[] {cols, 1}, 2),            // offset
                    new StridedView(base, new int[] {rows, cols}, new long[] {1, rows}, 1),            // transposed
                    new StridedView(base, new int[] {rows, cols}, new long[] {0, 1}, 0),               // row broadcast
                    new StridedView(base, new int[] {rows, cols}, new long[] {1, 0}, 3),               // column broadcast
                    new StridedView(base, new int[] {rows, cols}, new long[] {0, 0}, 5),               // scalar
                    new StridedView(base, new int[] {rows, 17}, new long[] {cols, 2}, 0),             // step 2
                    new StridedView(base, new int[] {3, 3, 5, 7}, new long[] {105, 35, 7, 1}, 2),     // rank 4
                    new StridedView(base, new int[] {2, 1, 3, 1, 2, 1, 5, 7}, new long[] {0, 9, 105, 4, 35, 0, 7, 1}, 0), // rank 8
            };
            for (StridedView a : layouts) {
                StridedView b = layouts[(java.util.Arrays.asList(layouts).indexOf(a) + 2) % layouts.length];
                if (!java.util.Arrays.equals(a.shape(), b.shape())) {
                    b = a;
                }
                int size = (int) a.size();
                double[] ag = gather(stored, a);
                double[] bg = gather(stored, b);
                CpuBuffer aDense = buffer(type, ag);
                CpuBuffer bDense = buffer(type, bg);
                int[] shape = a.shape();
                for (CpuBackend backend : ALL) {
                    String context = type + " " + a + " " + name(backend);
                    CpuBuffer expectedOut = CpuBuffer.allocate(type, size);
                    CpuBuffer actualOut = CpuBuffer.allocate(type, size);
                    Primitive unary = type.isFloating() ? Primitive.SQRT : Primitive.NEG;
                    backend.unary(unary, contiguous(aDense, shape), contiguous(expectedOut, shape));
                    backend.unary(unary, a, contiguous(actualOut, shape));
                    assertClose(values(expectedOut), values(actualOut), 0, 0, "unary " + context);
                    backend.binary(Primitive.MUL, contiguous(aDense, shape), contiguous(bDense, shape), contiguous(expectedOut, shape));
                    backend.binary(Primitive.MUL, a, b, contiguous(actualOut, shape));
                    assertClose(values(expectedOut), values(actualOut), 0, 0, "binary " + context);
                    backend.copy(a, contiguous(actualOut, shape));
                    assertClose(ag, values(actualOut), 0, 0, "copy " + context);
                }
            }
        }
    }

    @Test
    void inPlaceUpdateReadsBeforeWriting() {
        Random random = new Random(7);
        for (CpuBackend backend : ALL) {
            for (int n : LENGTHS) {
                double[] x = random(random, n, DType.FLOAT32, -5, 5);
                double[] y = random(random, n, DType.FLOAT32, -5, 5);
                CpuBuffer xb = buffer(DType.FLOAT32, x);
                CpuBuffer yb = buffer(DType.FLOAT32, y);
                backend.binary(Primitive.ADD, contiguous(xb, n), contiguous(yb, n), contiguous(xb, n));
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) {
                    expected[i] = (float) (x[i] + y[i]);
                }
                assertClose(expected, values(xb), 0, 0, "x += y n=" + n + " " + name(backend));
            }
        }
    }

    private static List<Primitive> concat(List<Primitive> first, List<Primitive> second) {
        return java.util.stream.Stream.concat(first.stream(), second.stream()).toList();
    }
}
