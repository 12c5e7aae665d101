package dev.quiver.backend.cuda;

import dev.quiver.DType;
import dev.quiver.spi.StridedView;

/**
 * How a batched row-major matmul {@code out[p] = a[p] @ b[p]} maps onto cuBLAS's column-major
 * {@code cublasGemmStridedBatchedEx}, with no copy: a row-major {@code (m, n)} matrix is a column-major
 * {@code (n, m)} one, so cuBLAS computes {@code out^T = b^T a^T}. An operand whose inner stride is 1 is passed as is
 * ({@code OP_N}); one whose outer stride is 1 (a transposed view) is passed transposed ({@code OP_T}); a broadcast
 * batch is a batch stride of 0. Anything else (a stride on both axes, integer dtypes, sizes beyond {@code int},
 * {@code k = 0}) has no plan and runs the tiled kernel.
 *
 * <pre>{@code
 * GemmPlan plan = GemmPlan.of(a, b, out);   // null: use the tiled kernel
 * cublasGemmStridedBatchedEx(handle, plan.transposeFirst() ? OP_T : OP_N, ..., plan.m(), plan.n(), plan.k(), ...);
 * }</pre>
 *
 * @param transposeFirst  whether cuBLAS's first operand (Quiver's {@code b}) is {@code OP_T}
 * @param transposeSecond whether cuBLAS's second operand (Quiver's {@code a}) is {@code OP_T}
 * @param m               cuBLAS's m: Quiver's n (columns of out)
 * @param n               cuBLAS's n: Quiver's m (rows of out)
 * @param k               the shared dimension
 * @param ldFirst         leading dimension of {@code b} as cuBLAS sees it
 * @param ldSecond        leading dimension of {@code a}
 * @param strideFirst     batch stride of {@code b} in elements (0 for a broadcast batch)
 * @param strideSecond    batch stride of {@code a}
 * @param batch           batch count
 */
record GemmPlan(boolean transposeFirst, boolean transposeSecond, int m, int n, int k, int ldFirst, int ldSecond,
                long strideFirst, long strideSecond, int batch) {

    /** The plan for {@code out = a @ b} ((batch, m, k) x (batch, k, n) into contiguous (batch, m, n)), or null. */
    static GemmPlan of(StridedView a, StridedView b, StridedView out) {
        DType dtype = out.dtype();
        if (dtype != DType.FLOAT32 && dtype != DType.FLOAT64) {
            return null;
        }
        long batch = out.shape()[0];
        long rows = out.shape()[1];
        long columns = out.shape()[2];
        long inner = a.shape()[2];
        if (inner == 0 || batch * rows * columns == 0) {
            return null;
        }
        // b is (k, n) row-major-ish: cuBLAS's first operand, an (n x k) column-major matrix after op
        Operand first = operand(b, inner, columns);
        Operand second = operand(a, rows, inner);
        if (first == null || second == null || batch > Integer.MAX_VALUE) {
            return null;
        }
        return new GemmPlan(first.transpose(), second.transpose(), (int) columns, (int) rows, (int) inner,
                first.leading(), second.leading(), b.strides()[0], a.strides()[0], (int) batch);
    }

    /** One operand as cuBLAS takes it: transposed or not, and its leading dimension. */
    private record Operand(boolean transpose, int leading) {
    }

    /**
     * A row-major {@code (rows, cols)} view as a column-major operand. Row layout (column stride 1): stored as the
     * {@code (cols x rows)} column-major matrix, {@code OP_N}, leading dimension = row stride. Column layout (row
     * stride 1): stored as {@code (rows x cols)}, {@code OP_T}, leading dimension = column stride. A size-1 axis
     * has no meaningful stride, so it takes the smallest leading dimension cuBLAS accepts.
     */
    private static Operand operand(StridedView view, long rows, long cols) {
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE || view.strides()[0] < 0) {
            return null;
        }
        long rowStride = view.strides()[1];
        long colStride = view.strides()[2];
        if (colStride == 1 || cols == 1) {
            long leading = rows == 1 ? Math.max(1, cols) : rowStride;
            if (leading >= Math.max(1, cols) && leading <= Integer.MAX_VALUE) {
                return new Operand(false, (int) leading);
            }
        }
        if (rowStride == 1 || rows == 1) {
            long leading = cols == 1 ? Math.max(1, rows) : colStride;
            if (leading >= Math.max(1, rows) && leading <= Integer.MAX_VALUE) {
                return new Operand(true, (int) leading);
            }
        }
        return null;
    }
}
