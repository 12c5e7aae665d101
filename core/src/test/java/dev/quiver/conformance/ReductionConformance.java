package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.FLOATS;
import static dev.quiver.conformance.Reference.assertValues;
import static dev.quiver.conformance.Reference.assertValuesScaled;
import static dev.quiver.conformance.Reference.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.conformance.Reference.Reduced;
import dev.quiver.conformance.Reference.Reduction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * sum, mean, max and min over all axes, single axes, several axes, negative axes, with and without keepDims, on
 * odd shapes, size 0, a large tensor and strided views, against the Java reference (the rounding tolerance of
 * sums scales with the sum of magnitudes).
 */
public abstract class ReductionConformance extends BackendConformance {

    /** Shapes and the axis lists reduced over each ({@code null}: all). */
    static final Object[][] CASES = {
            {new int[] {1}, new int[][] {null, {0}, {-1}}},
            {new int[] {1031}, new int[][] {null, {0}}},
            {new int[] {33, 17}, new int[][] {null, {0}, {1}, {-1}, {-2}, {0, 1}, {1, 0}}},
            {new int[] {3, 5, 7}, new int[][] {null, {0}, {1}, {2}, {0, 2}, {-1, -3}, {1, 2}, {0, 1}, {0, 1, 2}}},
            {new int[] {2, 3, 4, 5}, new int[][] {{1, 3}, {0, 2}, {-1}, {1, 2}, {0, 3}}},
            {new int[] {1, 9, 1}, new int[][] {{0}, {1}, {0, 2}}},
    };

    public Stream<Arguments> reductionCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Reduction op : Reduction.values()) {
            for (DType dtype : DType.values()) {
                if (dtype.isFloating() || (dtype.isIntegral() && op != Reduction.MEAN)) {
                    cases.add(Arguments.of(op, dtype));
                }
            }
        }
        return cases.stream();
    }

    static Tensor apply(Reduction op, Tensor x, int[] axes, boolean keepDims) {
        if (axes == null && !keepDims) {
            return switch (op) {
                case SUM -> x.sum();
                case MEAN -> x.mean();
                case MAX -> x.max();
                case MIN -> x.min();
            };
        }
        return switch (op) {
            case SUM -> x.sum(axes, keepDims);
            case MEAN -> x.mean(axes, keepDims);
            case MAX -> x.max(axes, keepDims);
            case MIN -> x.min(axes, keepDims);
        };
    }

    static double[] draw(long seed, int n, DType dtype) {
        return dtype.isFloating() ? Reference.uniform(seed, n, -2, 2, dtype) : Reference.integers(seed, n, -1000, 1000);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("reductionCases")
    public void reductionsMatchReference(Reduction op, DType dtype) {
        int caseNumber = 0;
        for (Object[] testCase : CASES) {
            int[] dims = (int[]) testCase[0];
            double[] x = draw(1234 + caseNumber++, Reference.size(dims), dtype);
            Tensor input = tensor(x, dtype, dims);
            for (int[] axes : (int[][]) testCase[1]) {
                Reduced expected = Reference.reduce(x, dims, axes, op);
                for (boolean keepDims : new boolean[] {false, true}) {
                    String what = op + " " + dtype + " " + Arrays.toString(dims) + " axes "
                            + Arrays.toString(axes) + (keepDims ? " keepDims" : "");
                    int[] outDims = keepDims ? expected.keptDims() : expected.outDims();
                    assertValuesScaled(what, apply(op, input, axes, keepDims), dtype, outDims, expected.values(),
                            expected.scale());
                }
            }
        }
    }

    @Test
    public void singleAxisOnOddLengthsLeavesNoTailBehind() {
        // reduced extents and inner extents that leave tails, with the reduced axis first, middle and last
        for (DType dtype : FLOATS) {
            for (int n : Reference.ODD_LENGTHS) {
                if (n > 33) {
                    continue;
                }
                int[] dims = {3, n, 5};
                double[] x = Reference.uniform(77 + n, Reference.size(dims), -1, 1, dtype);
                Tensor input = tensor(x, dtype, dims);
                for (int axis = 0; axis < 3; axis++) {
                    for (Reduction op : Reduction.values()) {
                        Reduced expected = Reference.reduce(x, dims, new int[] {axis}, op);
                        assertValuesScaled(op + " " + dtype + " (3, " + n + ", 5) axis " + axis,
                                apply(op, input, new int[] {axis}, false), dtype, expected.outDims(),
                                expected.values(), expected.scale());
                    }
                }
            }
        }
    }

    @Test
    public void reductionsOfStridedViews() {
        for (DType dtype : FLOATS) {
            int[] dims = {6, 9, 4};
            double[] x = Reference.uniform(88, Reference.size(dims), -2, 2, dtype);
            Tensor base = tensor(x, dtype, dims);
            Tensor permuted = base.transpose(2, 0, 1);                               // (4, 6, 9)
            double[] permutedValues = Reference.permute(x, dims, new int[] {2, 0, 1});
            Tensor sliced = base.slice(new int[] {1, 2, 1}, new int[] {4, 5, 3});     // (4, 5, 3)
            double[] slicedValues = Reference.slice(x, dims, new int[] {1, 2, 1}, new int[] {4, 5, 3});
            Tensor broadcast = base.slice(0, 2, 3).broadcastTo(Shape.of(5, 9, 4));   // stride 0 on axis 0
            double[] broadcastValues = Reference.broadcast(
                    Reference.slice(x, dims, new int[] {2, 0, 0}, new int[] {1, 9, 4}), new int[] {1, 9, 4},
                    new int[] {5, 9, 4});
            Object[][] views = {
                    {"transposed", permuted, permutedValues},
                    {"sliced", sliced, slicedValues},
                    {"broadcast", broadcast, broadcastValues},
            };
            for (Object[] view : views) {
                Tensor tensor = (Tensor) view[1];
                double[] values = (double[]) view[2];
                int[] viewDims = tensor.shape().dims();
                Tensor copy = tensor(values, dtype, viewDims);
                for (int[] axes : new int[][] {null, {0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1}}) {
                    for (Reduction op : Reduction.values()) {
                        Reduced expected = Reference.reduce(values, viewDims, axes, op);
                        String what = op + " " + dtype + " " + view[0] + " " + tensor.shape() + " axes "
                                + Arrays.toString(axes);
                        Tensor result = apply(op, tensor, axes, true);
                        assertValuesScaled(what, result, dtype, expected.keptDims(), expected.values(),
                                expected.scale());
                        assertValuesScaled(what + " vs contiguous copy", result, dtype, expected.keptDims(),
                                apply(op, copy, axes, true).toDoubleArray(), expected.scale());
                    }
                }
            }
        }
    }

    @Test
    public void sizeZero() {
        for (DType dtype : FLOATS) {
            Tensor empty = tensor(new double[0], dtype, 0);
            assertValues("sum of (0,)", empty.sum(), dtype, new int[0], new double[] {0});
            assertTrue(Double.isNaN(empty.mean().doubleValue()), "mean of (0,) is NaN (0/0), as in TensorFlow");
            Tensor rows = tensor(new double[0], dtype, 3, 0);
            assertValues("sum (3, 0) axis 1", rows.sum(1), dtype, new int[] {3}, new double[] {0, 0, 0});
            assertValues("sum (3, 0) axis 1 keepDims", rows.sum(new int[] {1}, true), dtype, new int[] {3, 1},
                    new double[] {0, 0, 0});
            assertValues("sum (3, 0) axis 0", rows.sum(0), dtype, new int[] {0}, new double[0]);
            assertValues("max (3, 0) axis 0", rows.max(0), dtype, new int[] {0}, new double[0]);
            assertValues("sum (3, 0) all", rows.sum(), dtype, new int[0], new double[] {0});
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> empty.max());
            assertTrue(error.getMessage().contains("max"), error.getMessage());
            assertThrows(IllegalArgumentException.class, () -> rows.min(1));
        }
        Tensor ints = tensor(new double[0], DType.INT32, 2, 0);
        assertValues("int32 sum (2, 0) axis 1", ints.sum(1), DType.INT32, new int[] {2}, new double[] {0, 0});
    }

    @Test
    public void largeSumAndMax() {
        int n = 1 << 20;
        DType dtype = DType.FLOAT32;
        // all positive, so a naive float32 accumulator drifts far more than 1e-5 relative
        double[] x = Reference.uniform(99, n, 0, 1, dtype);
        Tensor t = tensor(x, dtype, n);
        Reduced sum = Reference.reduce(x, new int[] {n}, null, Reduction.SUM);
        assertValuesScaled("sum of 1<<20 float32", t.sum(), dtype, new int[0], sum.values(), sum.scale());
        Reduced max = Reference.reduce(x, new int[] {n}, null, Reduction.MAX);
        assertValues("max of 1<<20 float32", t.max(), dtype, new int[0], max.values());
        int[] dims = {1024, 1024};
        Reduced rows = Reference.reduce(x, dims, new int[] {1}, Reduction.SUM);
        assertValuesScaled("row sums of (1024, 1024)", t.reshape(dims).sum(1), dtype, new int[] {1024},
                rows.values(), rows.scale());
        Reduced columns = Reference.reduce(x, dims, new int[] {0}, Reduction.SUM);
        assertValuesScaled("column sums of (1024, 1024)", t.reshape(dims).sum(0), dtype, new int[] {1024},
                columns.values(), columns.scale());
    }

    @Test
    public void stridedReductionsSurviveGarbageCollection() throws InterruptedException {
        // A reduction over a strided view reduces a dense temporary; the temporary must stay alive (reachable)
        // until the backend has read it, or a collection releases its buffer mid-op (use-after-free on a device).
        // 1000 x 1000 makes the copy and the reduction slow enough for a collection to land between them
        Tensor x = Tensor.randomNormal(Shape.of(1000, 1000), 0, 1, 1, DType.FLOAT32);
        double[] values = x.toDoubleArray();
        Reduced reference = Reference.reduce(values, new int[] {1000, 1000}, new int[] {0}, Reduction.SUM);
        assertValuesScaled("warm-up", x.transpose().sum(1), DType.FLOAT32, new int[] {1000}, reference.values(),
                reference.scale());
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread collector = new Thread(() -> {
            while (running.get()) {
                System.gc(); // back to back: a collection is nearly always under way
            }
        }, "gc-pressure");
        collector.setDaemon(true);
        collector.start();
        try {
            long deadline = System.nanoTime() + 2_000_000_000L;
            for (int i = 0; System.nanoTime() < deadline; i++) {
                Tensor sums = x.transpose().sum(1);   // (1000,): a permuted dense copy, then a reduction
                assertValuesScaled("iteration " + i + " under GC pressure", sums, DType.FLOAT32, new int[] {1000},
                        reference.values(), reference.scale());
            }
        } finally {
            running.set(false);
            collector.join();
        }
    }

    @Test
    public void integerMeanTruncatesLikeTensorFlow() {
        Tensor x = tensor(new double[] {1, 2, 4, 10, 20, 41}, DType.INT32, 2, 3);
        assertValues("int32 mean axis 1", x.mean(1), DType.INT32, new int[] {2}, new double[] {2, 23});
        assertValues("int32 mean", x.mean(), DType.INT32, new int[0], new double[] {13});
    }

    @Test
    public void extremaOfIntegersNearTheirLimits() {
        Tensor x = Tensor.constant(new long[] {Long.MIN_VALUE + 1, 5, Long.MAX_VALUE - 1, -7});
        assertEquals(Long.MAX_VALUE - 1, x.max().longValue());
        assertEquals(Long.MIN_VALUE + 1, x.min().longValue());
        Tensor y = Tensor.constant(new int[] {Integer.MIN_VALUE, 3, Integer.MAX_VALUE});
        assertEquals(Integer.MAX_VALUE, y.max().intValue());
        assertEquals(Integer.MIN_VALUE, y.min().intValue());
        Tensor negatives = Tensor.constant(new int[] {-5, -3, -9});
        assertEquals(-3, negatives.max().intValue(), "max of all-negative ints (an initial 0 would be wrong)");
        assertEquals(-17, negatives.sum().intValue());
    }
}
