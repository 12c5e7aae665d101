package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.TestSupport.ALL;
import static dev.quiver.backend.cpu.TestSupport.buffer;
import static dev.quiver.backend.cpu.TestSupport.contiguous;
import static dev.quiver.backend.cpu.TestSupport.gather;
import static dev.quiver.backend.cpu.TestSupport.name;
import static dev.quiver.backend.cpu.TestSupport.random;
import static dev.quiver.backend.cpu.TestSupport.round;
import static dev.quiver.backend.cpu.TestSupport.values;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quiver.DType;
import dev.quiver.spi.StridedView;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Batched matmul at odd sizes, with transposed, offset and broadcast-batch operands, against a float64 reference. */
class MatmulTest {
    private static final int[] SIZES = {1, 3, 17, 33, 65, 129};

    /** How an operand of logical shape (batch, rows, cols) is laid out in its buffer. */
    enum Layout { CONTIGUOUS, TRANSPOSED, BROADCAST_BATCH }

    private static StridedView view(CpuBuffer buffer, Layout layout, int batch, int rows, int cols, int offset) {
        return switch (layout) {
            case CONTIGUOUS -> new StridedView(buffer, new int[] {batch, rows, cols}, new long[] {(long) rows * cols, cols, 1}, offset);
            case TRANSPOSED -> new StridedView(buffer, new int[] {batch, rows, cols}, new long[] {(long) rows * cols, 1, rows}, offset);
            case BROADCAST_BATCH -> new StridedView(buffer, new int[] {batch, rows, cols}, new long[] {0, cols, 1}, offset);
        };
    }

    private static void check(List<CpuBackend> backends, DType type, int batch, int m, int k, int n, Layout aLayout,
            Layout bLayout, Random random) {
        int offset = 2;
        int aStored = (aLayout == Layout.BROADCAST_BATCH ? 1 : batch) * m * k + offset;
        int bStored = (bLayout == Layout.BROADCAST_BATCH ? 1 : batch) * k * n + offset;
        CpuBuffer a = buffer(type, random(random, aStored, type, -3, 3));
        CpuBuffer b = buffer(type, random(random, bStored, type, -3, 3));
        StridedView av = view(a, aLayout, batch, m, k, offset);
        StridedView bv = view(b, bLayout, batch, k, n, offset);
        double[] ag = gather(values(a), av);
        double[] bg = gather(values(b), bv);
        double[] expected = new double[batch * m * n];
        double[] magnitude = new double[batch * m * n];
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    double mag = 0;
                    for (int kk = 0; kk < k; kk++) {
                        double p = ag[(bi * m + i) * k + kk] * bg[(bi * k + kk) * n + j];
                        acc += p;
                        mag += Math.abs(p);
                    }
                    expected[(bi * m + i) * n + j] = round(type, acc);
                    magnitude[(bi * m + i) * n + j] = mag;
                }
            }
        }
        double eps = type == DType.FLOAT32 ? 2e-6 : type == DType.FLOAT64 ? 1e-14 : 0;
        for (CpuBackend backend : backends) {
            CpuBuffer out = CpuBuffer.allocate(type, batch * m * n + 1);
            backend.fill(contiguous(out, batch * m * n + 1), 99);
            backend.matmul(av, bv, new StridedView(out, new int[] {batch, m, n}, new long[] {(long) m * n, n, 1}, 1));
            double[] result = values(out);
            for (int i = 0; i < expected.length; i++) {
                if (!(Math.abs(result[i + 1] - expected[i]) <= eps * (magnitude[i] + 1))) {
                    fail("matmul " + type + " batch=" + batch + " m=" + m + " k=" + k + " n=" + n + " a " + aLayout + " b "
                            + bLayout + " " + name(backend) + " threads=" + backend.threads() + ": element " + i + " is "
                            + result[i + 1] + ", expected " + expected[i]);
                }
            }
            assertTrue(result[0] == 99, "matmul wrote before its output view");
        }
    }

    @Test
    void oddSizesAtEveryWidth() {
        Random random = new Random(21);
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64)) {
            for (int m : SIZES) {
                for (int k : SIZES) {
                    for (int n : SIZES) {
                        if ((long) m * k * n > 300_000 && !(m == 129 && k == 65 && n == 33)) {
                            continue;
                        }
                        check(ALL, type, 1, m, k, n, Layout.CONTIGUOUS, Layout.CONTIGUOUS, random);
                    }
                }
            }
        }
    }

    @Test
    void transposedOffsetAndBroadcastBatchOperands() {
        Random random = new Random(22);
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64)) {
            for (Layout aLayout : Layout.values()) {
                for (Layout bLayout : Layout.values()) {
                    check(ALL, type, 3, 17, 33, 65, aLayout, bLayout, random);
                    check(ALL, type, 2, 5, 300, 7, aLayout, bLayout, random);   // k spans two k blocks
                    // full register tiles (8 rows, whole strips at every width) that continue from C in the second k block
                    check(ALL, type, 2, 24, 300, 64, aLayout, bLayout, random);
                }
            }
        }
    }

    /**
     * Small products run a plain fma loop ({@link Matmul#multiplySmall}); it must give the register tiles' bits, at
     * every width, for contiguous, transposed and broadcast-batch operands, k up to one k block, and values with
     * NaN, infinities and signed zeros.
     */
    @Test
    void smallProductsGiveTheTilesBitsAtEveryWidth() {
        Random random = new Random(25);
        int[][] shapes = {{1, 20, 3, 1}, {1, 3, 20, 1}, {2, 5, 7, 3}, {3, 1, 1, 1}, {1, 4, 0, 3}, {1, 2, 256, 2},
                {4, 8, 8, 8}};
        CpuThreads one = new CpuThreads(1);
        try {
            for (int bits : new int[] {128, 256, 512}) {
                if (bits > CpuBackend.hardwareSimdBits()) {
                    continue;
                }
                Matmul tiles = new Matmul(bits, one, Matmul.PARALLEL_MIN_MULTIPLY_ADDS, Matmul.K_BLOCK_FLOAT,
                        Matmul.K_BLOCK_DOUBLE, -1);
                Matmul small = new Matmul(bits, one);
                for (DType type : List.of(DType.FLOAT32, DType.FLOAT64)) {
                    for (int[] shape : shapes) {
                        int batch = shape[0];
                        int m = shape[1];
                        int k = shape[2];
                        int n = shape[3];
                        assertTrue((long) batch * m * n * k <= Matmul.SMALL_MAX_MULTIPLY_ADDS, "a small shape");
                        for (Layout layout : Layout.values()) {
                            double[] aValues = random(random, batch * m * k + 2, type, -3, 3);
                            double[] bValues = random(random, batch * k * n + 2, type, -3, 3);
                            if (aValues.length > 4) {
                                aValues[3] = Double.NaN;
                                bValues[bValues.length - 1] = Double.POSITIVE_INFINITY;
                                aValues[aValues.length - 1] = -0.0;
                            }
                            StridedView a = view(buffer(type, aValues), layout, batch, m, k, 2);
                            StridedView b = view(buffer(type, bValues), Layout.values()[(layout.ordinal() + 1) % 3],
                                    batch, k, n, 2);
                            CpuBuffer expected = CpuBuffer.allocate(type, (long) batch * m * n);
                            CpuBuffer actual = CpuBuffer.allocate(type, (long) batch * m * n);
                            tiles.multiply(type, ((CpuBuffer) a.buffer()).array(), a.offset(), a.strides(),
                                    ((CpuBuffer) b.buffer()).array(), b.offset(), b.strides(), expected.array(), 0,
                                    batch, m, k, n);
                            small.multiply(type, ((CpuBuffer) a.buffer()).array(), a.offset(), a.strides(),
                                    ((CpuBuffer) b.buffer()).array(), b.offset(), b.strides(), actual.array(), 0,
                                    batch, m, k, n);
                            FusedLoopTest.assertSameBits(expected, actual, bits + "-bit " + type + " "
                                    + java.util.Arrays.toString(shape) + " " + layout);
                        }
                    }
                }
            }
        } finally {
            one.close();
        }
    }

    @Test
    void emptyAndDegenerateShapes() {
        Random random = new Random(23);
        check(ALL, DType.FLOAT32, 2, 3, 0, 4, Layout.CONTIGUOUS, Layout.CONTIGUOUS, random);   // k = 0 gives zeros
        check(ALL, DType.FLOAT32, 1, 0, 5, 4, Layout.CONTIGUOUS, Layout.CONTIGUOUS, random);
        check(ALL, DType.FLOAT64, 0, 3, 5, 4, Layout.CONTIGUOUS, Layout.CONTIGUOUS, random);
    }

    @Test
    void twoThreadsAboveTheParallelThreshold() {
        try (CpuBackend parallel = new CpuBackend(CpuBackend.hardwareSimdBits(), 2)) {
            Random random = new Random(24);
            check(List.of(parallel), DType.FLOAT32, 1, 331, 330, 333, Layout.CONTIGUOUS, Layout.TRANSPOSED, random);
            check(List.of(parallel), DType.FLOAT64, 5, 130, 200, 290, Layout.TRANSPOSED, Layout.BROADCAST_BATCH, random);
        }
    }
}
