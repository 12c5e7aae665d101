package dev.quiver.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The row-major to cuBLAS mapping, checked without a GPU: a plan is executed by a Java model of
 * {@code cublasGemmStridedBatchedEx}'s column-major semantics (op, leading dimension, batch stride) and compared
 * with a plain row-major matmul of the same strided views.
 */
class GemmPlanTest {

    private record Buffer(DType dtype, long length) implements DeviceBuffer {
        @Override
        public void release() {
        }
    }

    /** A (batch, rows, cols) view into a backing array of 10 000 elements. */
    private static StridedView view(DType dtype, int batch, int rows, int cols, long batchStride, long rowStride,
                                    long colStride, long offset) {
        return new StridedView(new Buffer(dtype, 10_000), new int[] {batch, rows, cols},
                new long[] {batchStride, rowStride, colStride}, offset);
    }

    @Test
    void everyLayoutCublasCanTakeGivesTheRowMajorProduct() {
        int m = 5;
        int k = 3;
        int n = 4;
        int batch = 2;
        StridedView[] as = {
                view(DType.FLOAT32, batch, m, k, m * k, k, 1, 0),          // contiguous
                view(DType.FLOAT32, batch, m, k, m * k, 1, m, 7),          // transposed, offset
                view(DType.FLOAT32, batch, m, k, 0, k, 1, 3),              // broadcast batch
                view(DType.FLOAT32, batch, m, k, 100, 10, 1, 11),          // a slice of a wider matrix
        };
        StridedView[] bs = {
                view(DType.FLOAT32, batch, k, n, k * n, n, 1, 0),
                view(DType.FLOAT32, batch, k, n, k * n, 1, k, 5),
                view(DType.FLOAT32, batch, k, n, 0, n, 1, 0),
                view(DType.FLOAT32, batch, k, n, 64, 8, 1, 2),
        };
        StridedView out = view(DType.FLOAT32, batch, m, n, m * n, n, 1, 0);
        double[] memoryA = random(1, 10_000);
        double[] memoryB = random(2, 10_000);
        for (StridedView a : as) {
            for (StridedView b : bs) {
                GemmPlan plan = GemmPlan.of(a, b, out);
                assertNotNull(plan, "no plan for " + a + " @ " + b);
                assertArrayEquals(rowMajor(memoryA, a, memoryB, b, out), cublasModel(plan, memoryB, b.offset(),
                        memoryA, a.offset()), 1e-12, plan + " for a " + Arrays.toString(a.strides()) + " b "
                        + Arrays.toString(b.strides()));
            }
        }
    }

    @Test
    void vectorsAndSizeOneAxesTakeTheSmallestLeadingDimension() {
        // (1, k) @ (k, 1) with the size-1 axes carrying strides cuBLAS would reject as leading dimensions
        StridedView a = view(DType.FLOAT64, 1, 1, 6, 0, 0, 1, 0);
        StridedView b = view(DType.FLOAT64, 1, 6, 1, 0, 1, 0, 0);
        StridedView out = view(DType.FLOAT64, 1, 1, 1, 1, 1, 1, 0);
        GemmPlan plan = GemmPlan.of(a, b, out);
        assertNotNull(plan);
        assertTrue(plan.ldFirst() >= 1 && plan.ldSecond() >= 1, plan.toString());
        double[] memory = random(3, 10_000);
        assertArrayEquals(rowMajor(memory, a, memory, b, out), cublasModel(plan, memory, 0, memory, 0), 1e-12);
    }

    @Test
    void layoutsAndDtypesCublasCannotTakeHaveNoPlan() {
        StridedView out = view(DType.FLOAT32, 1, 4, 4, 16, 4, 1, 0);
        StridedView good = view(DType.FLOAT32, 1, 4, 4, 16, 4, 1, 0);
        assertNull(GemmPlan.of(view(DType.FLOAT32, 1, 4, 4, 16, 8, 2, 0), good, out), "no unit stride");
        assertNull(GemmPlan.of(good, view(DType.FLOAT32, 1, 4, 4, 16, 0, 1, 0), out), "a broadcast row");
        StridedView ints = view(DType.INT32, 1, 4, 4, 16, 4, 1, 0);
        assertNull(GemmPlan.of(ints, ints, ints), "integer matmul runs the tiled kernel");
        StridedView empty = view(DType.FLOAT32, 1, 4, 0, 0, 0, 1, 0);
        assertNull(GemmPlan.of(empty, view(DType.FLOAT32, 1, 0, 4, 0, 4, 1, 0), out), "k = 0 fills zeros instead");
        assertFalse(GemmPlan.of(good, good, out).transposeFirst());
        // tensor.reverse(...) views step backwards: cuBLAS has no negative leading dimension or batch stride
        assertNull(GemmPlan.of(view(DType.FLOAT32, 1, 4, 4, 16, -4, 1, 12), good, out), "reversed rows");
        assertNull(GemmPlan.of(good, view(DType.FLOAT32, 1, 4, 4, 16, 4, -1, 3), out), "reversed columns");
        assertNull(GemmPlan.of(view(DType.FLOAT32, 2, 4, 4, -16, 4, 1, 16), view(DType.FLOAT32, 2, 4, 4, 16, 4, 1, 0),
                view(DType.FLOAT32, 2, 4, 4, 16, 4, 1, 0)), "a reversed batch");
    }

    private static double[] random(long seed, int n) {
        Random random = new Random(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextInt(19) - 9;
        }
        return values;
    }

    private static double at(double[] memory, StridedView view, int p, int r, int c) {
        return memory[(int) (view.offset() + p * view.strides()[0] + r * view.strides()[1] + c * view.strides()[2])];
    }

    private static double[] rowMajor(double[] memoryA, StridedView a, double[] memoryB, StridedView b, StridedView out) {
        int batch = out.shape()[0];
        int m = out.shape()[1];
        int n = out.shape()[2];
        int k = a.shape()[2];
        double[] result = new double[batch * m * n];
        for (int p = 0; p < batch; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int l = 0; l < k; l++) {
                        sum += at(memoryA, a, p, i, l) * at(memoryB, b, p, l, j);
                    }
                    result[(p * m + i) * n + j] = sum;
                }
            }
        }
        return result;
    }

    /** cuBLAS's column-major gemm: C(i, j) = sum_l op(A)(i, l) op(B)(l, j), ldc = m, strideC = m n. */
    private static double[] cublasModel(GemmPlan plan, double[] first, long firstOffset, double[] second,
                                        long secondOffset) {
        double[] c = new double[plan.batch() * plan.m() * plan.n()];
        for (int p = 0; p < plan.batch(); p++) {
            long baseA = firstOffset + p * plan.strideFirst();
            long baseB = secondOffset + p * plan.strideSecond();
            for (int i = 0; i < plan.m(); i++) {
                for (int j = 0; j < plan.n(); j++) {
                    double sum = 0;
                    for (int l = 0; l < plan.k(); l++) {
                        double opA = plan.transposeFirst() ? first[(int) (baseA + l + (long) i * plan.ldFirst())]
                                : first[(int) (baseA + i + (long) l * plan.ldFirst())];
                        double opB = plan.transposeSecond() ? second[(int) (baseB + j + (long) l * plan.ldSecond())]
                                : second[(int) (baseB + l + (long) j * plan.ldSecond())];
                        sum += opA * opB;
                    }
                    c[p * plan.m() * plan.n() + i + j * plan.m()] = sum;
                }
            }
        }
        return c;
    }
}
