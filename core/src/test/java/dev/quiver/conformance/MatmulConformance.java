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

    // ---------------------------------------------------------------- flags, vectors, any batch rank, einsum

    /**
     * {@code einsum} in Java, by definition: every assignment of the letters, the product of the operands' elements
     * added into the output element it names.
     */
    static double[] einsumReference(String equation, double[][] values, int[][] dims, int[] outDims) {
        String[] sides = equation.split("->", -1);
        String[] inputs = sides[0].split(",");
        String output = sides[1];
        java.util.Map<Character, Integer> sizes = new java.util.LinkedHashMap<>();
        for (int o = 0; o < inputs.length; o++) {
            for (int i = 0; i < inputs[o].length(); i++) {
                sizes.put(inputs[o].charAt(i), dims[o][i]);
            }
        }
        char[] letters = new char[sizes.size()];
        int[] extents = new int[sizes.size()];
        int next = 0;
        for (var entry : sizes.entrySet()) {
            letters[next] = entry.getKey();
            extents[next++] = entry.getValue();
        }
        double[] out = new double[Reference.size(outDims)];
        int[] at = new int[letters.length];
        long total = Reference.size(extents);
        for (long step = 0; step < total; step++) {
            long rest = step;
            for (int d = letters.length - 1; d >= 0; d--) {
                at[d] = (int) (rest % extents[d]);
                rest /= extents[d];
            }
            double product = 1;
            for (int o = 0; o < inputs.length; o++) {
                product *= values[o][flat(inputs[o], dims[o], letters, at)];
            }
            out[flat(output, outDims, letters, at)] += product;
        }
        return out;
    }

    private static int flat(String names, int[] dims, char[] letters, int[] at) {
        int index = 0;
        for (int i = 0; i < names.length(); i++) {
            index = index * dims[i] + at[new String(letters).indexOf(names.charAt(i))];
        }
        return index;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32", "INT64"})
    public void transposeFlagsVectorsAndBroadcastBatchDims(DType dtype) {
        int m = 5;
        int k = 7;
        int n = 3;
        double[] a = draw(60, m * k, dtype);
        double[] b = draw(61, k * n, dtype);
        double[] expected = Reference.matmul(a, 1, b, 1, m, k, n, null);
        Tensor stored = tensor(Reference.permute(a, new int[] {m, k}, new int[] {1, 0}), dtype, k, m);
        Tensor storedB = tensor(Reference.permute(b, new int[] {k, n}, new int[] {1, 0}), dtype, n, k);
        assertValues("transposeA", stored.matmul(tensor(b, dtype, k, n), true, false), dtype, new int[] {m, n},
                expected);
        assertValues("transposeB", tensor(a, dtype, m, k).matmul(storedB, false, true), dtype, new int[] {m, n},
                expected);
        assertValues("transposeA and transposeB", stored.matmul(storedB, true, true), dtype, new int[] {m, n},
                expected);
        Tensor[] views = {stored.transpose(), storedB.transpose()};
        org.junit.jupiter.api.Assertions.assertSame(stored.view().buffer(), views[0].view().buffer());

        // 1-D operands: (k,) @ (k, n) -> (n,), (m, k) @ (k,) -> (m,), (k,) @ (k,) -> ()
        double[] v = draw(62, k, dtype);
        assertValues("vector @ matrix", tensor(v, dtype, k).matmul(tensor(b, dtype, k, n)), dtype, new int[] {n},
                Reference.matmul(v, 1, b, 1, 1, k, n, null));
        assertValues("matrix @ vector", tensor(a, dtype, m, k).matmul(tensor(v, dtype, k)), dtype, new int[] {m},
                Reference.matmul(a, 1, v, 1, m, k, 1, null));
        assertValues("vector @ vector", tensor(v, dtype, k).matmul(tensor(v, dtype, k)), dtype, new int[0],
                Reference.matmul(v, 1, v, 1, 1, k, 1, null));
        double[] batchA = draw(63, 3 * m * k, dtype);
        assertValues("batch (3, m, k) @ vector", tensor(batchA, dtype, 3, m, k).matmul(tensor(v, dtype, k)), dtype,
                new int[] {3, m}, Reference.matmul(batchA, 3, v, 1, m, k, 1, null));

        // rank 4 with broadcast batch dims: (2, 1, m, k) @ (3, k, n) -> (2, 3, m, n)
        double[] a4 = draw(64, 2 * m * k, dtype);
        double[] b3 = draw(65, 3 * k * n, dtype);
        double[] expected4 = new double[2 * 3 * m * n];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                double[] block = Reference.matmul(java.util.Arrays.copyOfRange(a4, i * m * k, (i + 1) * m * k), 1,
                        java.util.Arrays.copyOfRange(b3, j * k * n, (j + 1) * k * n), 1, m, k, n, null);
                System.arraycopy(block, 0, expected4, (i * 3 + j) * m * n, m * n);
            }
        }
        assertValues("(2, 1, m, k) @ (3, k, n)", tensor(a4, dtype, 2, 1, m, k).matmul(tensor(b3, dtype, 3, k, n)),
                dtype, new int[] {2, 3, m, n}, expected4);
        // (6, m, k) as (2, 3, m, k) @ (k, n): batch dims that merge into one axis, no copy
        double[] a6 = draw(66, 6 * m * k, dtype);
        assertValues("(2, 3, m, k) @ (k, n)", tensor(a6, dtype, 2, 3, m, k).matmul(tensor(b, dtype, k, n)), dtype,
                new int[] {2, 3, m, n}, Reference.matmul(a6, 6, b, 1, m, k, n, null));
        assertValues("(1, 1, 1, k) @ (2, 1, k, n), rank 4 broadcast of both", tensor(v, dtype, 1, 1, 1, k)
                .matmul(tensor(draw(67, 2 * k * n, dtype), dtype, 2, 1, k, n)), dtype, new int[] {2, 1, 1, n},
                Reference.matmul(v, 1, draw(67, 2 * k * n, dtype), 2, 1, k, n, null));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT64"})
    public void einsumMatchesItsDefinition(DType dtype) {
        Object[][] cases = {
                {"bij,bjk->bik", new int[][] {{3, 5, 7}, {3, 7, 2}}, new int[] {3, 5, 2}},
                {"ij,jk->ik", new int[][] {{5, 7}, {7, 3}}, new int[] {5, 3}},
                {"ij,j->i", new int[][] {{5, 7}, {7}}, new int[] {5}},
                {"i,i->", new int[][] {{17}, {17}}, new int[0]},
                {"i,j->ij", new int[][] {{4}, {3}}, new int[] {4, 3}},
                {"bi,bi->b", new int[][] {{3, 9}, {3, 9}}, new int[] {3}},
                {"ij->ji", new int[][] {{4, 7}}, new int[] {7, 4}},
                {"ij->", new int[][] {{4, 7}}, new int[0]},
                {"ijk->kj", new int[][] {{2, 3, 4}}, new int[] {4, 3}},
                {"ij,kj->ik", new int[][] {{5, 7}, {3, 7}}, new int[] {5, 3}},
                {"bij,bkj->bki", new int[][] {{2, 3, 4}, {2, 5, 4}}, new int[] {2, 5, 3}},
                {"ijk,jl->li", new int[][] {{2, 3, 4}, {3, 5}}, new int[] {5, 2}},
        };
        for (Object[] c : cases) {
            String equation = (String) c[0];
            int[][] dims = (int[][]) c[1];
            double[][] values = new double[dims.length][];
            Tensor[] operands = new Tensor[dims.length];
            for (int o = 0; o < dims.length; o++) {
                values[o] = draw(70 + o, Reference.size(dims[o]), dtype);
                operands[o] = tensor(values[o], dtype, dims[o]);
            }
            assertValues("einsum " + equation, Tensor.einsum(equation, operands), dtype, (int[]) c[2],
                    einsumReference(equation, values, dims, (int[]) c[2]));
        }
        Tensor a = tensor(draw(80, 12, dtype), dtype, 3, 4);
        Tensor b = tensor(draw(81, 20, dtype), dtype, 4, 5);
        assertValues("implicit output ij,jk", Tensor.einsum("ij,jk", a, b), dtype, new int[] {3, 5},
                a.matmul(b).toDoubleArray());
        Object[][] bad = {{"ii->i", new Tensor[] {a}, "diagonal"}, {"...ij->ij", new Tensor[] {a}, "ellipses"},
                {"ij,jk,kl->il", new Tensor[] {a, b, b}, "two"}, {"ij,jk->iz", new Tensor[] {a, b}, "'z'"},
                {"ijk->i", new Tensor[] {a}, "letters"}, {"ij,jk->ik", new Tensor[] {a, a}, "size"}};
        for (Object[] c : bad) {
            ErrorConformance.assertMessage(IllegalArgumentException.class,
                    () -> Tensor.einsum((String) c[0], (Tensor[]) c[1]), "einsum", (String) c[0], (String) c[2]);
        }
    }
}
