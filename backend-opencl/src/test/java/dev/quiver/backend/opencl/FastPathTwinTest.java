package dev.quiver.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiver.DType;
import dev.quiver.conformance.BackendConformance;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every fast path of the OpenCL backend against its slow twin, on the same device: the contiguous kernels against
 * the general strided ones (bit for bit: the same expression runs), and split two-stage reductions against
 * one-pass ones (within rounding).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FastPathTwinTest {
    private static final int N = 1031;   // odd: no work-group size divides it
    private OpenClBackend fast;
    private OpenClBackend slow;

    @BeforeAll
    void open() {
        BackendConformance.assumeRunnable("opencl", true);
        OpenClDevice device = OpenClDevice.choose(OpenClDevice.all(), true).device();
        fast = new OpenClBackend(device, true);
        slow = new OpenClBackend(device, false);
    }

    @AfterAll
    void close() {
        if (fast != null) {
            fast.close();
            slow.close();
        }
    }

    private static double[] data(long seed, int n) {
        Random random = new Random(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextGaussian() * 3 + 0.5;
        }
        return values;
    }

    private static Object typed(double[] values, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> {
                float[] out = new float[values.length];
                for (int i = 0; i < values.length; i++) {
                    out[i] = (float) values[i];
                }
                yield out;
            }
            case FLOAT64 -> values.clone();
            case INT32 -> {
                int[] out = new int[values.length];
                for (int i = 0; i < values.length; i++) {
                    out[i] = (int) Math.round(values[i] * 10) + (values[i] > 0 ? 1 : -1);   // never 0: div is safe
                }
                yield out;
            }
            case INT64 -> {
                long[] out = new long[values.length];
                for (int i = 0; i < values.length; i++) {
                    out[i] = Math.round(values[i] * 10) + (values[i] > 0 ? 1 : -1);
                }
                yield out;
            }
            case BOOL -> {
                boolean[] out = new boolean[values.length];
                for (int i = 0; i < values.length; i++) {
                    out[i] = values[i] > 0.5;
                }
                yield out;
            }
        };
    }

    /** Runs {@code op} on both backends over contiguous inputs and returns both results. */
    private Object[] both(Primitive op, DType dtype, Object a, Object b) {
        Object[] results = new Object[2];
        OpenClBackend[] backends = {fast, slow};
        for (int i = 0; i < 2; i++) {
            OpenClBackend backend = backends[i];
            DeviceBuffer x = backend.upload(a);
            DType outType = op.producesBool() ? DType.BOOL : dtype;
            DeviceBuffer out = backend.allocate(outType, N);
            if (b == null) {
                backend.unary(op, StridedView.contiguous(x, N), StridedView.contiguous(out, N));
            } else {
                DeviceBuffer y = backend.upload(b);
                backend.binary(op, StridedView.contiguous(x, N), StridedView.contiguous(y, N),
                        StridedView.contiguous(out, N));
            }
            results[i] = backend.download(out, 0, N);
        }
        return results;
    }

    @Test
    void contiguousKernelsEqualTheStridedKernelsBitForBit() {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64}) {
            Object a = typed(data(1, N), dtype);
            Object b = typed(data(2, N), dtype);
            for (Primitive op : Primitive.values()) {
                boolean floatingOnly = op.requiresFloating() || op == Primitive.SIN || op == Primitive.COS;
                if (floatingOnly && !dtype.isFloating() || op == Primitive.LOGICAL_NOT
                        || op == Primitive.LOGICAL_AND || op == Primitive.LOGICAL_OR) {
                    continue;
                }
                Object[] results = switch (op.kind()) {
                    case UNARY -> both(op, dtype, a, null);
                    case BINARY -> both(op, dtype, a, b);
                    default -> null;
                };
                if (results != null) {
                    assertSame(op + " " + dtype, results[0], results[1]);
                }
            }
        }
        Object p = typed(data(3, N), DType.BOOL);
        Object q = typed(data(4, N), DType.BOOL);
        assertSame("logical_and", both(Primitive.LOGICAL_AND, DType.BOOL, p, q)[0],
                both(Primitive.LOGICAL_AND, DType.BOOL, p, q)[1]);
    }

    private static void assertSame(String what, Object fastResult, Object slowResult) {
        switch (fastResult) {
            case float[] f -> assertArrayEquals(f, (float[]) slowResult, 0f, what);
            case double[] d -> assertArrayEquals(d, (double[]) slowResult, 0d, what);
            case int[] i -> assertArrayEquals(i, (int[]) slowResult, what);
            case long[] l -> assertArrayEquals(l, (long[]) slowResult, what);
            case boolean[] z -> assertArrayEquals(z, (boolean[]) slowResult, what);
            default -> throw new AssertionError(what + ": unexpected " + fastResult);
        }
    }

    @Test
    void splitReductionsEqualOnePassReductions() {
        int n = 1 << 18;   // long enough that the fast plan splits the row into chunks
        double[] values = data(5, n);
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT64}) {
            for (Primitive op : new Primitive[] {Primitive.SUM, Primitive.MAX, Primitive.MIN}) {
                double[] results = new double[2];
                OpenClBackend[] backends = {fast, slow};
                for (int i = 0; i < 2; i++) {
                    DeviceBuffer x = backends[i].upload(typed(values, dtype));
                    DeviceBuffer out = backends[i].allocate(dtype, 1);
                    backends[i].reduce(op, new StridedView(x, new int[] {1, n, 1}, new long[] {n, 1, 1}, 0),
                            StridedView.contiguous(out, 1, 1));
                    Object value = backends[i].download(out, 0, 1);
                    results[i] = switch (value) {
                        case float[] f -> f[0];
                        case double[] d -> d[0];
                        case long[] l -> l[0];
                        default -> throw new AssertionError(value);
                    };
                }
                double tolerance = op == Primitive.SUM && dtype == DType.FLOAT32 ? 1e-5 * n : 1e-9 * n;
                assertEquals(results[1], results[0], dtype.isFloating() ? tolerance : 0, op + " " + dtype);
            }
        }
    }
}
