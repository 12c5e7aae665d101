package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.TestSupport.ALL;
import static dev.quiver.backend.cpu.TestSupport.assertClose;
import static dev.quiver.backend.cpu.TestSupport.buffer;
import static dev.quiver.backend.cpu.TestSupport.contiguous;
import static dev.quiver.backend.cpu.TestSupport.name;
import static dev.quiver.backend.cpu.TestSupport.random;
import static dev.quiver.backend.cpu.TestSupport.round;
import static dev.quiver.backend.cpu.TestSupport.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** SUM/MAX/MIN over rows (inner == 1) and columns (inner > 1), every width against a float64 reference. */
class ReduceTest {
    private static final List<Primitive> OPS = List.of(Primitive.SUM, Primitive.MAX, Primitive.MIN);

    @Test
    void reductionsMatchReferenceAtEveryWidth() {
        Random random = new Random(11);
        int[] outers = {1, 3};
        int[] reduceds = {1, 7, 33, 1000, 5003};
        int[] inners = {1, 5, 17, 33};
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64)) {
            for (int outer : outers) {
                for (int reduced : reduceds) {
                    for (int inner : inners) {
                        if ((long) outer * reduced * inner > 200_000) {
                            continue;
                        }
                        double[] input = random(random, outer * reduced * inner, type, -100, 100);
                        // an offset in the input buffer: views need not start at 0
                        double[] padded = new double[input.length + 3];
                        System.arraycopy(input, 0, padded, 3, input.length);
                        CpuBuffer in = buffer(type, padded);
                        StridedView inView = new StridedView(in, new int[] {outer, reduced, inner},
                                new long[] {(long) reduced * inner, inner, 1}, 3);
                        for (Primitive op : OPS) {
                            double[] expected = new double[outer * inner];
                            double[] magnitude = new double[outer * inner];
                            for (int o = 0; o < outer; o++) {
                                for (int j = 0; j < inner; j++) {
                                    double acc = op == Primitive.SUM ? 0 : op == Primitive.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                                    for (int r = 0; r < reduced; r++) {
                                        double x = input[(o * reduced + r) * inner + j];
                                        acc = op == Primitive.SUM ? acc + x : op == Primitive.MAX ? Math.max(acc, x) : Math.min(acc, x);
                                        magnitude[o * inner + j] += Math.abs(x);
                                    }
                                    expected[o * inner + j] = round(type, acc);
                                }
                            }
                            for (CpuBackend backend : ALL) {
                                CpuBuffer out = CpuBuffer.allocate(type, outer * inner);
                                backend.reduce(op, inView, contiguous(out, outer, inner));
                                double[] actual = values(out);
                                String context = op.opName() + " " + type + " (" + outer + ", " + reduced + ", " + inner + ") " + name(backend);
                                if (op == Primitive.SUM && type.isFloating()) {
                                    // error bound relative to the sum of magnitudes (cancellation makes relative-to-result meaningless)
                                    double eps = type == DType.FLOAT32 ? 1e-6 : 1e-14;
                                    for (int i = 0; i < actual.length; i++) {
                                        assertTrue(Math.abs(actual[i] - expected[i]) <= eps * (magnitude[i] + 1),
                                                context + " element " + i + ": " + actual[i] + " vs " + expected[i]);
                                    }
                                } else {
                                    assertClose(expected, actual, 0, 0, context);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void sumOfNothingIsZero() {
        for (CpuBackend backend : ALL) {
            for (DType type : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64)) {
                for (int inner : new int[] {1, 19}) {
                    CpuBuffer in = CpuBuffer.allocate(type, 0);
                    CpuBuffer out = buffer(type, new double[2 * inner]);
                    backend.fill(contiguous(out, 2 * inner), 7);
                    backend.reduce(Primitive.SUM, contiguous(in, 2, 0, inner), contiguous(out, 2, inner));
                    assertClose(new double[2 * inner], values(out), 0, 0, "empty sum " + type + " " + name(backend));
                }
            }
        }
    }

    @Test
    void maxAndMinPropagateNaNInRowsAndColumns() {
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64)) {
            for (int reduced : new int[] {5, 40, 1001}) {
                for (int nanAt : new int[] {0, reduced / 2, reduced - 1}) {
                    for (int inner : new int[] {1, 33}) {
                        double[] input = new double[reduced * inner];
                        for (int i = 0; i < input.length; i++) {
                            input[i] = i % 17 - 8;
                        }
                        input[nanAt * inner + inner - 1] = Double.NaN;
                        CpuBuffer in = buffer(type, input);
                        for (CpuBackend backend : ALL) {
                            for (Primitive op : OPS) {
                                CpuBuffer out = CpuBuffer.allocate(type, inner);
                                backend.reduce(op, contiguous(in, 1, reduced, inner), contiguous(out, 1, inner));
                                double[] result = values(out);
                                assertTrue(Double.isNaN(result[inner - 1]), op.opName() + " " + type + " reduced=" + reduced
                                        + " NaN at " + nanAt + " inner=" + inner + " " + name(backend) + ": " + result[inner - 1]);
                                if (inner > 1) {
                                    assertEquals(false, Double.isNaN(result[0]), "NaN leaked into another column");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void float32SumOfManyValuesStaysAccurate() {
        int n = 3_000_000;
        float[] data = new float[n];
        Random random = new Random(12);
        double exact = 0;
        for (int i = 0; i < n; i++) {
            data[i] = random.nextFloat();
            exact += data[i];
        }
        CpuBuffer in = (CpuBuffer) TestSupport.SCALAR.upload(data);
        for (CpuBackend backend : ALL) {
            CpuBuffer out = CpuBuffer.allocate(DType.FLOAT32, 1);
            backend.reduce(Primitive.SUM, contiguous(in, 1, n, 1), contiguous(out, 1, 1));
            float sum = ((float[]) out.array())[0];
            assertTrue(Math.abs(sum - exact) <= 1e-6 * exact, name(backend) + ": " + sum + " vs " + exact);
        }
    }

    @Test
    void float32SumsOfRowsLongEnoughForTwoStreamsAtOddLengths() {
        Random random = new Random(13);
        for (int n : new int[] {2 * Reductions.ROW_BLOCK, 2 * Reductions.ROW_BLOCK + 1, 3 * Reductions.ROW_BLOCK + 7, 20_001}) {
            float[] data = new float[n + 5];
            for (int i = 0; i < data.length; i++) {
                data[i] = random.nextFloat() * 2 - 1;
            }
            double exact = 0;
            double magnitude = 0;
            for (int i = 5; i < data.length; i++) { // the row starts at offset 5
                exact += data[i];
                magnitude += Math.abs(data[i]);
            }
            CpuBuffer in = (CpuBuffer) TestSupport.SCALAR.upload(data);
            for (CpuBackend backend : ALL) {
                CpuBuffer out = CpuBuffer.allocate(DType.FLOAT32, 1);
                backend.reduce(Primitive.SUM, new StridedView(in, new int[] {1, n, 1}, new long[] {n, 1, 1}, 5),
                        contiguous(out, 1, 1));
                float sum = ((float[]) out.array())[0];
                assertTrue(Math.abs(sum - exact) <= 1e-6 * magnitude, name(backend) + " n=" + n + ": " + sum + " vs " + exact);
            }
        }
    }

    /**
     * Both dtypes' row sums come from one template, so float64 has the float32 kernel's two read streams: block i
     * of the row's first half is summed beside block i of its second half, and the pair folds into the total
     * before the next pair; a tail shorter than two blocks follows alone. The row [2^53 | 1 | -2^53 | 1 | 0.5]
     * (one value per block, then a 7-element tail) tells that order apart: the pairs give (2^53 - 2^53) + (1 + 1)
     * + 0.5 = 2.5, the exact sum, while block after block gives 2^53 + 1 = 2^53 (ties to even), then 0, 1 and
     * 1.5, which the float64 kernel returned while it was written by hand without the two streams. The scalar
     * twin adds element after element, so it is left out here.
     */
    @Test
    void rowSumsPairBlocksFromBothHalvesInEveryFloatingDtype() {
        int block = Reductions.ROW_BLOCK;
        double[] row = new double[4 * block + 7];
        row[0] = 0x1p53;
        row[block + 5] = 1;
        row[2 * block + 9] = -0x1p53;
        row[3 * block + 17] = 1;
        row[4 * block + 3] = 0.5;
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64)) {
            CpuBuffer in = buffer(type, row);
            for (CpuBackend backend : TestSupport.SIMD) {
                CpuBuffer out = CpuBuffer.allocate(type, 1);
                backend.reduce(Primitive.SUM, contiguous(in, 1, row.length, 1), contiguous(out, 1, 1));
                assertEquals(2.5, values(out)[0], type + " " + name(backend));
            }
        }
    }
}
