package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.FLOATS;
import static dev.quiver.conformance.Reference.assertBooleans;
import static dev.quiver.conformance.Reference.assertValues;
import static dev.quiver.conformance.Reference.assertValuesScaled;
import static dev.quiver.conformance.Reference.tensor;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Shape;
import dev.quiver.conformance.Reference.Groups;
import dev.quiver.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The ops along axes that TensorFlow has beside sum/mean/max/min: softmax, logSoftmax, logSumExp, argmax/argmin,
 * reduceProd, reduceVariance/reduceStd, reduceAny/reduceAll and cumsum (with its exclusive and reverse flags), against
 * float64 references written here lane by lane, on odd shapes, every axis, negative axes, keepDims, strided views,
 * size 0, NaN and inputs large enough to overflow a naive {@code exp}. Their gradients are in
 * {@link GradientConformance#axisOps()}.
 */
public abstract class AxisOpsConformance extends BackendConformance {

    /** Shapes and the axis lists reduced over each ({@code null}: all). */
    static final Object[][] CASES = {
            {new int[] {1031}, new int[][] {null, {0}, {-1}}},
            {new int[] {33, 17}, new int[][] {null, {0}, {1}, {-2}, {1, 0}}},
            {new int[] {3, 5, 7}, new int[][] {null, {0}, {1}, {2}, {0, 2}, {-1, -3}, {1, 2}}},
            {new int[] {2, 3, 4, 5}, new int[][] {{1, 3}, {0, 2}, {-1}, {1, 2}}},
            {new int[] {1, 9, 1}, new int[][] {{0}, {1}, {0, 2}}},
    };

    // ---------------------------------------------------------------- reference

    /** {@code lane} applied to every lane of {@code x} along {@code axis}, each result written where its lane was. */
    static double[] perLane(double[] x, int[] dims, int axis, Function<double[], double[]> lane) {
        double[] out = new double[x.length];
        for (int[] members : Reference.groups(dims, new int[] {axis}).members()) {
            double[] values = new double[members.length];
            for (int i = 0; i < members.length; i++) {
                values[i] = x[members[i]];
            }
            double[] result = lane.apply(values);
            for (int i = 0; i < members.length; i++) {
                out[members[i]] = result[i];
            }
        }
        return out;
    }

    /** {@code reduce} applied to the elements of every output of a reduction over {@code axes}. */
    static double[] perGroup(double[] x, Groups groups, Function<double[], Double> reduce) {
        double[] out = new double[groups.members().length];
        for (int g = 0; g < out.length; g++) {
            int[] members = groups.members()[g];
            double[] values = new double[members.length];
            for (int i = 0; i < members.length; i++) {
                values[i] = x[members[i]];
            }
            out[g] = reduce.apply(values);
        }
        return out;
    }

    static double max(double[] values) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            max = Double.isNaN(v) || Double.isNaN(max) ? Double.NaN : Math.max(max, v);
        }
        return max;
    }

    /** TensorFlow's reduce_logsumexp: the max as the shift where it is finite, 0 where it is not. */
    static double logSumExp(double[] values) {
        double max = max(values);
        double shift = Double.isFinite(max) ? max : 0;
        double sum = 0;
        for (double v : values) {
            sum += Math.exp(v - shift);
        }
        return Math.log(sum) + shift;
    }

    static double[] softmax(double[] values) {
        double max = max(values);
        double sum = 0;
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.exp(values[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= sum;
        }
        return out;
    }

    static double[] logSoftmax(double[] values) {
        double max = max(values);
        double sum = 0;
        for (double v : values) {
            sum += Math.exp(v - max);
        }
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] - max - Math.log(sum);
        }
        return out;
    }

    /** The first index of the largest ({@code largest}) or smallest element; the first NaN wins (numpy). */
    static double argExtremum(double[] values, boolean largest) {
        int best = 0;
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                return i;
            }
            if (largest ? values[i] > values[best] : values[i] < values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The product in the dtype's own arithmetic: wrapping for integers, float64 for floats. */
    static double product(double[] values, DType dtype) {
        if (dtype == DType.INT32) {
            int p = 1;
            for (double v : values) {
                p *= (int) v;
            }
            return p;
        }
        if (dtype == DType.INT64) {
            long p = 1;
            for (double v : values) {
                p *= (long) v;
            }
            return p;
        }
        double p = 1;
        for (double v : values) {
            p *= v;
        }
        return p;
    }

    static double variance(double[] values) {
        double mean = Arrays.stream(values).sum() / values.length;
        return Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / values.length;
    }

    static double meanSquare(double[] values) {
        return Arrays.stream(values).map(v -> v * v).sum() / values.length;
    }

    /** Running sums with TensorFlow's flags, or (with {@code magnitudes}) the running sums of |x| for tolerances. */
    static double[] cumsum(double[] values, boolean exclusive, boolean reverse, boolean magnitudes) {
        int n = values.length;
        double[] out = new double[n];
        double running = 0;
        for (int step = 0; step < n; step++) {
            int i = reverse ? n - 1 - step : step;
            double v = magnitudes ? Math.abs(values[i]) : values[i];
            if (exclusive) {
                out[i] = running;
                running += v;
            } else {
                running += v;
                out[i] = running;
            }
        }
        return out;
    }

    static double[] signedMagnitudes(long seed, int n, double low, double high, DType dtype) {
        return Reference.awayFromZero(seed, n, low, high, dtype);
    }

    // ---------------------------------------------------------------- reductions over axes

    @Test
    public void reductionsOverAxesMatchReference() {
        int caseNumber = 0;
        for (Object[] testCase : CASES) {
            int[] dims = (int[]) testCase[0];
            int n = Reference.size(dims);
            caseNumber++;
            for (DType dtype : FLOATS) {
                double[] x = Reference.uniform(500 + caseNumber, n, -2, 2, dtype);
                double[] factors = signedMagnitudes(600 + caseNumber, n, 0.5, 1.5, dtype); // products stay normal
                Tensor input = tensor(x, dtype, dims);
                Tensor factorInput = tensor(factors, dtype, dims);
                for (int[] axes : (int[][]) testCase[1]) {
                    Groups groups = Reference.groups(dims, axes);
                    double[] lse = perGroup(x, groups, AxisOpsConformance::logSumExp);
                    double[] lseScale = perGroup(x, groups, v -> Math.abs(max(v)) + Math.log(v.length) + 1);
                    double[] variance = perGroup(x, groups, AxisOpsConformance::variance);
                    double[] squares = perGroup(x, groups, AxisOpsConformance::meanSquare);
                    double[] deviations = Arrays.stream(squares).map(Math::sqrt).toArray();
                    double[] std = Arrays.stream(variance).map(Math::sqrt).toArray();
                    double[] products = perGroup(factors, groups, v -> product(v, dtype));
                    for (boolean keepDims : new boolean[] {false, true}) {
                        String what = dtype + " " + Arrays.toString(dims) + " axes " + Arrays.toString(axes)
                                + (keepDims ? " keepDims" : "");
                        int[] out = groups.dims(keepDims);
                        assertValuesScaled("logSumExp " + what, logSumExp(input, axes, keepDims), dtype, out, lse,
                                lseScale);
                        assertValuesScaled("reduceVariance " + what, input.reduceVariance(axes, keepDims), dtype, out,
                                variance, squares);
                        assertValuesScaled("reduceStd " + what, input.reduceStd(axes, keepDims), dtype, out, std,
                                deviations);
                        assertValues("reduceProd " + what, factorInput.reduceProd(axes, keepDims), dtype, out,
                                products);
                    }
                }
            }
        }
    }

    private static Tensor logSumExp(Tensor x, int[] axes, boolean keepDims) {
        return axes == null && !keepDims ? x.logSumExp() : x.logSumExp(axes, keepDims);
    }

    @Test
    public void integerProductsWrapAsTensorFlowsDo() {
        for (DType dtype : Reference.INTS) {
            int caseNumber = 0;
            for (Object[] testCase : CASES) {
                int[] dims = (int[]) testCase[0];
                double[] x = Reference.integers(700 + caseNumber++, Reference.size(dims), -3, 3);
                for (int i = 0; i < x.length; i++) {
                    x[i] = x[i] == 0 ? 2 : x[i]; // zeros would make every long lane 0
                }
                Tensor input = tensor(x, dtype, dims);
                for (int[] axes : (int[][]) testCase[1]) {
                    Groups groups = Reference.groups(dims, axes);
                    String what = "reduceProd " + dtype + " " + Arrays.toString(dims) + " axes " + Arrays.toString(axes);
                    assertValues(what, axes == null ? input.reduceProd() : input.reduceProd(axes), dtype,
                            groups.outDims(), perGroup(x, groups, v -> product(v, dtype)));
                }
            }
        }
        Tensor big = Tensor.constant(new int[] {65536, 65536, 3});
        assertValues("int32 65536^2 * 3 wraps to 0", big.reduceProd(), DType.INT32, new int[0], new double[] {0});
    }

    @Test
    public void anyAndAllMatchReference() {
        int caseNumber = 0;
        for (Object[] testCase : CASES) {
            int[] dims = (int[]) testCase[0];
            int n = Reference.size(dims);
            // mostly true, so that lanes of both answers occur for both ops
            double[] mostlyTrue = Reference.uniform(800 + caseNumber++, n, 0, 1, DType.FLOAT64);
            boolean[] values = new boolean[n];
            double[] asDoubles = new double[n];
            for (int i = 0; i < n; i++) {
                values[i] = mostlyTrue[i] < 0.93;
                asDoubles[i] = values[i] ? 1 : 0;
            }
            Tensor input = Tensor.constant(values).reshape(dims);
            Tensor negated = input.logicalNot();
            for (int[] axes : (int[][]) testCase[1]) {
                Groups groups = Reference.groups(dims, axes);
                double[] all = perGroup(asDoubles, groups, v -> Arrays.stream(v).allMatch(e -> e == 1) ? 1.0 : 0.0);
                double[] noneFalse = perGroup(asDoubles, groups, v -> Arrays.stream(v).anyMatch(e -> e == 0) ? 1.0
                        : 0.0);
                for (boolean keepDims : new boolean[] {false, true}) {
                    String what = Arrays.toString(dims) + " axes " + Arrays.toString(axes) + (keepDims ? " keepDims" : "");
                    int[] out = groups.dims(keepDims);
                    assertBooleans("reduceAll " + what, input.reduceAll(axes, keepDims), out, booleans(all));
                    assertBooleans("reduceAny of the negation " + what, negated.reduceAny(axes, keepDims), out,
                            booleans(noneFalse));
                }
            }
        }
        Tensor x = Tensor.constant(new boolean[][] {{true, false, false}, {false, false, false}});
        assertBooleans("reduceAny axis 1", x.reduceAny(1), new int[] {2}, new boolean[] {true, false});
        assertBooleans("reduceAny", x.reduceAny(), new int[0], new boolean[] {true});
        assertBooleans("reduceAll axis 0", x.logicalNot().reduceAll(0), new int[] {3},
                new boolean[] {false, true, true});
    }

    private static boolean[] booleans(double[] values) {
        boolean[] out = new boolean[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i] != 0;
        }
        return out;
    }

    // ---------------------------------------------------------------- along one axis

    @Test
    public void alongAnAxisMatchReference() {
        int caseNumber = 0;
        for (Object[] testCase : CASES) {
            int[] dims = (int[]) testCase[0];
            int n = Reference.size(dims);
            caseNumber++;
            for (int axis = -1; axis < dims.length; axis++) {
                int at = axis < 0 ? axis + dims.length : axis;
                for (DType dtype : DType.values()) {
                    if (dtype == DType.BOOL) {
                        continue;
                    }
                    String what = dtype + " " + Arrays.toString(dims) + " axis " + axis;
                    double[] x = dtype.isFloating() ? Reference.uniform(900 + caseNumber, n, -2, 2, dtype)
                            : Reference.integers(900 + caseNumber, n, -20, 20); // integers tie often
                    Tensor input = tensor(x, dtype, dims);
                    assertValues("argmax " + what, input.argmax(axis), DType.INT64, without(dims, at),
                            perGroup(x, Reference.groups(dims, new int[] {at}), v -> argExtremum(v, true)));
                    assertValues("argmin " + what, input.argmin(axis), DType.INT64, without(dims, at),
                            perGroup(x, Reference.groups(dims, new int[] {at}), v -> argExtremum(v, false)));
                    for (boolean exclusive : new boolean[] {false, true}) {
                        for (boolean reverse : new boolean[] {false, true}) {
                            assertValuesScaled("cumsum " + what + (exclusive ? " exclusive" : "")
                                            + (reverse ? " reverse" : ""), input.cumsum(axis, exclusive, reverse), dtype,
                                    dims, perLane(x, dims, at, v -> cumsum(v, exclusive, reverse, false)),
                                    perLane(x, dims, at, v -> cumsum(v, exclusive, reverse, true)));
                        }
                    }
                    if (dtype.isFloating()) {
                        assertValues("softmax " + what, input.softmax(axis), dtype, dims,
                                perLane(x, dims, at, AxisOpsConformance::softmax));
                        double[] logSoftmaxScale = perLane(x, dims, at,
                                v -> Arrays.stream(v).map(e -> Math.abs(e) + 2 + Math.log(v.length)).toArray());
                        assertValuesScaled("logSoftmax " + what, input.logSoftmax(axis), dtype, dims,
                                perLane(x, dims, at, AxisOpsConformance::logSoftmax), logSoftmaxScale);
                    }
                }
            }
        }
    }

    private static int[] without(int[] dims, int axis) {
        int[] out = new int[dims.length - 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (i != axis) {
                out[j++] = dims[i];
            }
        }
        return out;
    }

    @Test
    public void defaultsFollowTensorFlow() {
        for (DType dtype : FLOATS) {
            double[] x = Reference.uniform(31, 12, -2, 2, dtype);
            Tensor input = tensor(x, dtype, 3, 4);
            Reference.assertSameTensor("softmax() is along the last axis", input.softmax(1), input.softmax());
            Reference.assertSameTensor("logSoftmax() is along the last axis", input.logSoftmax(-1),
                    input.logSoftmax());
            assertValues("logSumExp() reduces everything", input.logSumExp(), dtype, new int[0],
                    new double[] {logSumExp(x)});
            assertValues("argmax as int32", input.argmax(1, DType.INT32), DType.INT32, new int[] {3},
                    perGroup(x, Reference.groups(new int[] {3, 4}, new int[] {1}), v -> argExtremum(v, true)));
            assertValues("cumsum(axis) is inclusive and forward", input.cumsum(0), dtype, new int[] {3, 4},
                    perLane(x, new int[] {3, 4}, 0, v -> cumsum(v, false, false, false)));
            assertValues("reduceProd() of everything", input.reduceProd(), dtype, new int[0],
                    new double[] {product(x, DType.FLOAT64)});
        }
        Tensor ties = Tensor.constant(new double[][] {{3, 1, 3}, {2, 2, 5}});
        assertValues("argmax ties: first index", ties.argmax(1), DType.INT64, new int[] {2}, new double[] {0, 2});
        assertValues("argmin ties: first index", ties.argmin(1), DType.INT64, new int[] {2}, new double[] {1, 0});
    }

    // ---------------------------------------------------------------- numerics

    @Test
    public void largeInputsDoNotOverflow() {
        double inf = Double.POSITIVE_INFINITY;
        for (DType dtype : FLOATS) {
            Tensor big = tensor(new double[] {1000, 1000, -1000, 1000, 0, 999}, dtype, 2, 3);
            assertValues("softmax of +-1000", big.softmax(), dtype, new int[] {2, 3},
                    new double[] {0.5, 0.5, 0, 1 / (1 + Math.exp(-1000) + Math.exp(-1)), 0,
                            Math.exp(-1) / (1 + Math.exp(-1))});
            assertValues("logSoftmax of 1000 and 0", big.logSoftmax(), dtype, new int[] {2, 3},
                    new double[] {-Math.log(2), -Math.log(2), -2000 - Math.log(2), -Math.log1p(Math.exp(-1)), -1000
                            - Math.log1p(Math.exp(-1)), -1 - Math.log1p(Math.exp(-1))});
            assertValues("logSumExp of 1000s", big.logSumExp(1), dtype, new int[] {2},
                    new double[] {1000 + Math.log(2), 1000 + Math.log1p(Math.exp(-1))});
            assertValues("logSumExp of -1000s", tensor(new double[] {-1000, -1000}, dtype, 2).logSumExp(), dtype,
                    new int[0], new double[] {-1000 + Math.log(2)});
            Tensor infinite = tensor(new double[] {-inf, -inf, inf, 1, -inf, 2}, dtype, 3, 2);
            assertValues("logSumExp with infinities (as TF: -inf, inf, finite)", infinite.logSumExp(1), dtype,
                    new int[] {3}, new double[] {-inf, inf, 2});
            assertValues("softmax with a -inf", infinite.slice(0, 2, 3).softmax(), dtype, new int[] {1, 2},
                    new double[] {0, 1});
        }
    }

    @Test
    public void nanPropagatesAndArgExtremaPickTheFirstNaN() {
        double nan = Double.NaN;
        for (DType dtype : FLOATS) {
            Tensor x = tensor(new double[] {1, nan, 3, nan, 2, 0.5, -1, 4}, dtype, 2, 4);
            double[] second = {2, 0.5, -1, 4};
            double[] softmaxSecond = softmax(second);
            assertValues("softmax: a NaN lane is NaN, the other lane is untouched", x.softmax(), dtype,
                    new int[] {2, 4}, new double[] {nan, nan, nan, nan, softmaxSecond[0], softmaxSecond[1],
                            softmaxSecond[2], softmaxSecond[3]});
            assertValues("logSumExp", x.logSumExp(1), dtype, new int[] {2}, new double[] {nan, logSumExp(second)});
            assertValues("argmax: the first NaN", x.argmax(1), DType.INT64, new int[] {2}, new double[] {1, 3});
            assertValues("argmin: the first NaN", x.argmin(1), DType.INT64, new int[] {2}, new double[] {1, 2});
            assertValues("cumsum: NaN from the NaN on", x.cumsum(1), dtype, new int[] {2, 4},
                    new double[] {1, nan, nan, nan, 2, 2.5, 1.5, 5.5});
            assertValues("reverse cumsum: NaN up to the NaN", x.cumsum(1, false, true), dtype, new int[] {2, 4},
                    new double[] {nan, nan, nan, nan, 5.5, 3.5, 3, 4});
            assertValues("reduceProd", x.reduceProd(1), dtype, new int[] {2}, new double[] {nan, -4});
            Tensor inf = tensor(new double[] {1, Double.POSITIVE_INFINITY, 2}, dtype, 3);
            assertValues("cumsum: an infinity leaves the sums before it finite", inf.cumsum(0), dtype, new int[] {3},
                    new double[] {1, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY});
        }
    }

    @Test
    public void stridedViewsGiveWhatTheirContiguousCopiesGive() {
        for (DType dtype : FLOATS) {
            int[] dims = {6, 9, 4};
            double[] x = signedMagnitudes(41, Reference.size(dims), 0.5, 1.5, dtype);
            Tensor base = tensor(x, dtype, dims);
            Tensor[] views = {base.transpose(2, 0, 1), base.slice(new int[] {1, 2, 1}, new int[] {4, 5, 3}),
                    base.slice(0, 2, 3).broadcastTo(Shape.of(5, 9, 4))};
            for (Tensor view : views) {
                Tensor copy = tensor(view.toDoubleArray(), dtype, view.shape().dims());
                for (int axis = 0; axis < 3; axis++) {
                    String what = dtype + " view " + view.shape() + " axis " + axis;
                    Reference.assertSameTensor("softmax " + what, copy.softmax(axis), view.softmax(axis));
                    Reference.assertSameTensor("cumsum " + what, copy.cumsum(axis, true, true),
                            view.cumsum(axis, true, true));
                    Reference.assertSameTensor("argmax " + what, copy.argmax(axis), view.argmax(axis));
                    Reference.assertSameTensor("reduceProd " + what, copy.reduceProd(axis), view.reduceProd(axis));
                    int[] pair = {axis, (axis + 1) % 3};
                    Reference.assertSameTensor("reduceVariance " + what, copy.reduceVariance(pair, true),
                            view.reduceVariance(pair, true));
                }
            }
        }
    }

    @Test
    public void sizeZeroFollowsTensorFlow() {
        for (DType dtype : FLOATS) {
            Tensor rows = tensor(new double[0], dtype, 3, 0);
            assertValues("cumsum (3, 0) axis 1", rows.cumsum(1), dtype, new int[] {3, 0}, new double[0]);
            assertValues("cumsum (3, 0) axis 0", rows.cumsum(0, true, true), dtype, new int[] {3, 0}, new double[0]);
            assertValues("reduceProd (3, 0) axis 1: the empty product is 1", rows.reduceProd(1), dtype,
                    new int[] {3}, new double[] {1, 1, 1});
            assertValues("reduceProd (3, 0) axis 0", rows.reduceProd(new int[] {0}, true), dtype, new int[] {1, 0},
                    new double[0]);
            assertValues("softmax (3, 0) axis 0", rows.softmax(0), dtype, new int[] {3, 0}, new double[0]);
            assertValues("softmax (3, 0) axis 1", rows.softmax(), dtype, new int[] {3, 0}, new double[0]);
            assertValues("logSoftmax (3, 0) axis 1", rows.logSoftmax(), dtype, new int[] {3, 0}, new double[0]);
            double inf = Double.POSITIVE_INFINITY;
            assertValues("logSumExp of no elements is -inf, as TF", rows.logSumExp(new int[] {1}, true), dtype,
                    new int[] {3, 1}, new double[] {-inf, -inf, -inf});
            assertValues("logSumExp of (3, 0)", rows.logSumExp(), dtype, new int[0], new double[] {-inf});
            assertValues("logSumExp (3, 0) axis 0", rows.logSumExp(0), dtype, new int[] {0}, new double[0]);
            assertTrue(Double.isNaN(rows.reduceVariance().doubleValue()), "variance of nothing is NaN (0/0), as TF");
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> rows.argmax(1));
            assertTrue(error.getMessage().contains("argmax"), error.getMessage());
        }
        Tensor empty = Tensor.zeros(DType.BOOL, 2, 0);
        assertBooleans("reduceAny of nothing", empty.reduceAny(1), new int[] {2}, new boolean[] {false, false});
        assertBooleans("reduceAll of nothing", empty.reduceAll(1), new int[] {2}, new boolean[] {true, true});
        assertValues("cumsum of one element, exclusive", Tensor.constant(new double[] {5}).cumsum(0, true, false),
                DType.FLOAT32, new int[] {1}, new double[] {0});
    }

    @Test
    public void argmaxIsNotDifferentiable() {
        Tensor x = tensor(new double[] {1, 3, 2}, DType.FLOAT64, 3);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor index = x.argmax(0).cast(DType.FLOAT64);
            assertNull(tape.gradient(index, x), "argmax has no gradient (TensorFlow: None)");
        }
    }

    @Test
    public void errorsNameTheMethodAndTheProblem() {
        Tensor ints = Tensor.constant(new int[] {1, 2, 3});
        Tensor floats = Tensor.constant(new double[][] {{1, 2}, {3, 4}});
        Tensor bools = Tensor.constant(new boolean[] {true});
        expectError("softmax", "int32", () -> ints.softmax());
        expectError("logSoftmax", "int32", () -> ints.logSoftmax(0));
        expectError("logSumExp", "int32", () -> ints.logSumExp());
        expectError("reduceVariance", "int32", () -> ints.reduceVariance());
        expectError("reduceStd", "axis", () -> floats.reduceStd(2));
        expectError("reduceAny", "float32", () -> floats.reduceAny());
        expectError("reduceAll", "int32", () -> ints.reduceAll(0));
        expectError("reduceProd", "bool", () -> bools.reduceProd());
        expectError("reduceProd", "repeated", () -> floats.reduceProd(1, -1));
        expectError("cumsum", "bool", () -> bools.cumsum(0));
        expectError("cumsum", "axis", () -> floats.cumsum(2));
        expectError("argmax", "bool", () -> bools.argmax(0));
        expectError("argmin", "outputType", () -> floats.argmin(0, DType.FLOAT32));
        expectError("softmax", "axis", () -> Tensor.scalar(1.0).softmax());
    }

    private static void expectError(String method, String detail, Executable call) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call);
        assertTrue(error.getMessage().startsWith(method + ":") && error.getMessage().contains(detail),
                "expected '" + method + ": ...' mentioning " + detail + ", got: " + error.getMessage());
    }

    @Test
    public void longScansAreExact() {
        // integer running sums of 1<<16 + 3 ones are exact: each is its own index + 1 (odd lengths at every level)
        int n = (1 << 16) + 3;
        Tensor ones = Tensor.ones(DType.INT64, n);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = i + 1;
        }
        assertValues("cumsum of ones", ones.cumsum(0), DType.INT64, new int[] {n}, expected);
        SplittableRandom random = new SplittableRandom(5);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Reference.round(DType.FLOAT32, random.nextDouble(-1, 1));
        }
        assertValuesScaled("float32 cumsum of 65539", tensor(x, DType.FLOAT32, n).cumsum(0, true, true), DType.FLOAT32,
                new int[] {n}, cumsum(x, true, true, false), cumsum(x, true, true, true));
    }
}
