package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.assertValues;
import static dev.quiver.conformance.Reference.assertValuesScaled;
import static dev.quiver.conformance.Reference.tensor;

import dev.quiver.DType;
import dev.quiver.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * matmul 2-D and batched 3-D (with a broadcast batch), on odd sizes that leave tile and SIMD tails, transposed and
 * sliced operands (strided views), size 0, every numeric dtype; the tolerance scales with {@code sum |a_ik b_kj|}.
 */
public abstract class MatmulConformance extends BackendConformance {

    static final int[][] SIZES_2D = {
            {1, 1, 1}, {2, 3, 4}, {7, 17, 33}, {33, 1, 7}, {1, 31, 1}, {1, 17, 9}, {9, 17, 1},
            {16, 16, 16}, {64, 64, 64}, {65, 130, 67}, {3, 1031, 5},
    };

    static double[] draw(long seed, int n, DType dtype) {
        return dtype.isFloating() ? Reference.uniform(seed, n, -1, 1, dtype) : Reference.integers(seed, n, -20, 20);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32", "INT64"})
    public void matmul2dMatchesReference(DType dtype) {
        for (int[] size : SIZES_2D) {
            int m = size[0];
            int k = size[1];
            int n = size[2];
            double[] a = draw(m * 1000L + k, m * k, dtype);
            double[] b = draw(k * 1000L + n + 7, k * n, dtype);
            double[] scale = new double[m * n];
            double[] expected = Reference.matmul(a, 1, b, 1, m, k, n, scale);
            assertValuesScaled("matmul " + dtype + " " + Arrays.toString(size),
                    tensor(a, dtype, m, k).matmul(tensor(b, dtype, k, n)), dtype, new int[] {m, n}, expected, scale);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32", "INT64"})
    public void batchedAndBroadcastBatch(DType dtype) {
        // {batchA (0 = 2-D), batchB (0 = 2-D), m, k, n}
        int[][] cases = {
                {4, 4, 5, 6, 7}, {1, 3, 5, 6, 7}, {3, 1, 5, 6, 7}, {0, 3, 5, 6, 7}, {3, 0, 5, 6, 7},
                {2, 2, 17, 33, 9}, {5, 5, 1, 1, 1}, {1, 1, 8, 3, 8},
        };
        for (int[] c : cases) {
            int batchA = Math.max(1, c[0]);
            int batchB = Math.max(1, c[1]);
            int m = c[2];
            int k = c[3];
            int n = c[4];
            double[] a = draw(31L * c[0] + m, batchA * m * k, dtype);
            double[] b = draw(37L * c[1] + n, batchB * k * n, dtype);
            Tensor ta = c[0] == 0 ? tensor(a, dtype, m, k) : tensor(a, dtype, batchA, m, k);
            Tensor tb = c[1] == 0 ? tensor(b, dtype, k, n) : tensor(b, dtype, batchB, k, n);
            int batch = Math.max(batchA, batchB);
            double[] scale = new double[batch * m * n];
            double[] expected = Reference.matmul(a, batchA, b, batchB, m, k, n, scale);
            assertValuesScaled("matmul " + dtype + " " + ta.shape() + " @ " + tb.shape(), ta.matmul(tb), dtype,
                    new int[] {batch, m, n}, expected, scale);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32"})
    public void transposedAndSlicedOperands(DType dtype) {
        int m = 13;
        int k = 19;
        int n = 11;
        double[] aT = draw(1, k * m, dtype);  // stored (k, m)
        double[] bT = draw(2, n * k, dtype);  // stored (n, k)
        double[] a = Reference.permute(aT, new int[] {k, m}, new int[] {1, 0});
        double[] b = Reference.permute(bT, new int[] {n, k}, new int[] {1, 0});
        double[] scale = new double[m * n];
        double[] expected = Reference.matmul(a, 1, b, 1, m, k, n, scale);
        Tensor viewA = tensor(aT, dtype, k, m).transpose();
        Tensor viewB = tensor(bT, dtype, n, k).transpose();
        Tensor denseA = tensor(a, dtype, m, k);
        Tensor denseB = tensor(b, dtype, k, n);
        int[] out = {m, n};
        assertValuesScaled("A^T-view @ B " + dtype, viewA.matmul(denseB), dtype, out, expected, scale);
        assertValuesScaled("A @ B^T-view " + dtype, denseA.matmul(viewB), dtype, out, expected, scale);
        assertValuesScaled("both views " + dtype, viewA.matmul(viewB), dtype, out, expected, scale);
        assertValuesScaled("views vs dense " + dtype, viewA.matmul(viewB), dtype, out,
                denseA.matmul(denseB).toDoubleArray(), scale);

        // batched with the last two axes swapped by transpose(0, 2, 1)
        int batch = 3;
        double[] stored = draw(3, batch * k * m, dtype);     // (batch, k, m)
        double[] right = draw(4, batch * k * n, dtype);      // (batch, k, n)
        double[] left = Reference.permute(stored, new int[] {batch, k, m}, new int[] {0, 2, 1});
        double[] batchScale = new double[batch * m * n];
        double[] batchExpected = Reference.matmul(left, batch, right, batch, m, k, n, batchScale);
        assertValuesScaled("batched transpose(0, 2, 1) " + dtype,
                tensor(stored, dtype, batch, k, m).transpose(0, 2, 1).matmul(tensor(right, dtype, batch, k, n)),
                dtype, new int[] {batch, m, n}, batchExpected, batchScale);

        // a sliced operand: rows 2..8 and columns 3..15 of a (10, 20) matrix (offset and a row stride of 20)
        double[] big = draw(5, 10 * 20, dtype);
        double[] sub = Reference.slice(big, new int[] {10, 20}, new int[] {2, 3}, new int[] {7, 12});
        double[] rhs = draw(6, 12 * 5, dtype);
        double[] subScale = new double[7 * 5];
        double[] subExpected = Reference.matmul(sub, 1, rhs, 1, 7, 12, 5, subScale);
        assertValuesScaled("sliced operand " + dtype, tensor(big, dtype, 10, 20)
                        .slice(new int[] {2, 3}, new int[] {7, 12}).matmul(tensor(rhs, dtype, 12, 5)),
                dtype, new int[] {7, 5}, subExpected, subScale);
    }

    @Test
    public void sizeZero() {
        for (DType dtype : Reference.FLOATS) {
            // k = 0: the product is all zeros even though the output buffer starts with unspecified contents
            Tensor a = tensor(new double[0], dtype, 3, 0);
            Tensor b = tensor(new double[0], dtype, 0, 4);
            assertValues("(3, 0) @ (0, 4)", a.matmul(b), dtype, new int[] {3, 4}, new double[12]);
            Tensor rows = tensor(new double[0], dtype, 0, 5);
            Tensor c = tensor(Reference.uniform(3, 20, -1, 1, dtype), dtype, 5, 4);
            assertValues("(0, 5) @ (5, 4)", rows.matmul(c), dtype, new int[] {0, 4}, new double[0]);
            Tensor batch = tensor(new double[0], dtype, 0, 2, 5);
            assertValues("(0, 2, 5) @ (5, 4)", batch.matmul(c), dtype, new int[] {0, 2, 4}, new double[0]);
        }
    }

    @Test
    public void mixedDtypesPromote() {
        Tensor a = tensor(new double[] {1, 2, 3, 4}, DType.INT32, 2, 2);
        Tensor b = tensor(new double[] {0.5, -1, 2, 0.25}, DType.FLOAT32, 2, 2);
        assertValues("int32 @ float32", a.matmul(b), DType.FLOAT32, new int[] {2, 2},
                new double[] {4.5, -0.5, 9.5, -2});
        Tensor c = tensor(new double[] {1, 2, 3, 4}, DType.FLOAT64, 2, 2);
        assertValues("float32 @ float64", b.matmul(c), DType.FLOAT64, new int[] {2, 2},
                new double[] {-2.5, -3, 2.75, 5});
    }
}
