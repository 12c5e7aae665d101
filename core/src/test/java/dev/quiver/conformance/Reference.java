package dev.quiver.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quiver.DType;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;

/**
 * The float64 reference the conformance suite compares backends with: seeded data, plain-Java versions of the
 * ops (broadcasting, reductions, matmul, permutations) and comparisons with a tolerance per dtype.
 */
public final class Reference {
    /** The floating dtypes every op is checked in. */
    public static final DType[] FLOATS = {DType.FLOAT32, DType.FLOAT64};
    /** The integer dtypes, for the ops defined on them. */
    public static final DType[] INTS = {DType.INT32, DType.INT64};
    /** Lengths that leave tails after any SIMD width from 2 to 16 lanes. */
    public static final int[] ODD_LENGTHS = {1, 7, 17, 33, 1031};

    private Reference() {
    }

    /**
     * C99's {@code pow}, which Quiver follows on every backend (as numpy and TensorFlow do): {@link Math#pow}
     * except {@code 1^y = 1} for every {@code y} (NaN too) and {@code (-1)^(+-inf) = 1}, where Java says NaN.
     */
    public static double pow(double x, double y) {
        if (x == 1 || y == 0 || (x == -1 && Double.isInfinite(y))) {
            return 1;
        }
        return Math.pow(x, y);
    }

    // ---------------------------------------------------------------- data

    /** Seeded uniform values in {@code [low, high)}, rounded to what {@code dtype} holds (ints are rounded). */
    public static double[] uniform(long seed, int n, double low, double high, DType dtype) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = round(dtype, low + (high - low) * random.nextDouble());
        }
        return values;
    }

    /** Seeded integers in {@code [low, high]} as doubles (exact in every numeric dtype). */
    public static double[] integers(long seed, int n, int low, int high) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextInt(low, high + 1);
        }
        return values;
    }

    /** Seeded values with magnitude in {@code [low, high)} and a random sign (away from zero). */
    public static double[] awayFromZero(long seed, int n, double low, double high, DType dtype) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            double magnitude = low + (high - low) * random.nextDouble();
            values[i] = round(dtype, random.nextBoolean() ? magnitude : -magnitude);
        }
        return values;
    }

    /** {@code n} distinct values spaced at least {@code gap} apart, shuffled (no ties for max/min). */
    public static double[] distinct(long seed, int n, double gap) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = (i - n / 2.0) * gap + random.nextDouble() * gap * 0.25;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            double t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
        return values;
    }

    public static boolean[] booleans(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean[] values = new boolean[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextBoolean();
        }
        return values;
    }

    /** {@code value} as {@code dtype} stores it: float32 rounding, integer rounding, bool as 0/1. */
    public static double round(DType dtype, double value) {
        return switch (dtype) {
            case FLOAT32 -> (float) value;
            case FLOAT64 -> value;
            case INT32, INT64 -> Math.rint(value);
            case BOOL -> value != 0 ? 1 : 0;
        };
    }

    public static double[] round(DType dtype, double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = round(dtype, values[i]);
        }
        return out;
    }

    /** A tensor of {@code dtype} and shape {@code dims} holding {@code values} (which must be exact in dtype). */
    public static Tensor tensor(double[] values, DType dtype, int... dims) {
        Tensor flat = Tensor.constant(values, dtype);
        return flat.reshape(dims);
    }

    public static int size(int... dims) {
        return (int) Shape.of(dims).size();
    }

    // ---------------------------------------------------------------- reference ops

    /** Flat index in an input of shape {@code in} feeding output position {@code flat} of shape {@code out}. */
    public static int broadcastSource(int flat, int[] out, int[] in) {
        int index = 0;
        int stride = 1;
        int rest = flat;
        for (int axis = out.length - 1, j = in.length - 1; axis >= 0; axis--, j--) {
            int coordinate = rest % out[axis];
            rest /= out[axis];
            if (j >= 0) {
                if (in[j] != 1) {
                    index += coordinate * stride;
                }
                stride *= in[j];
            }
        }
        return index;
    }

    /** numpy's broadcast of two shapes (the reference does not trust {@link Shape#broadcast}). */
    public static int[] broadcastDims(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("reference: no broadcast " + Arrays.toString(a) + Arrays.toString(b));
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    public static double[] binary(double[] a, int[] dimsA, double[] b, int[] dimsB, DoubleBinaryOperator op) {
        int[] out = broadcastDims(dimsA, dimsB);
        double[] result = new double[size(out)];
        for (int i = 0; i < result.length; i++) {
            result[i] = op.applyAsDouble(a[broadcastSource(i, out, dimsA)], b[broadcastSource(i, out, dimsB)]);
        }
        return result;
    }

    /** {@code x} broadcast to {@code out}. */
    public static double[] broadcast(double[] x, int[] dims, int[] out) {
        double[] result = new double[size(out)];
        for (int i = 0; i < result.length; i++) {
            result[i] = x[broadcastSource(i, out, dims)];
        }
        return result;
    }

    /** Output axis {@code i} is input axis {@code permutation[i]}. */
    public static double[] permute(double[] x, int[] dims, int[] permutation) {
        int rank = dims.length;
        int[] outDims = new int[rank];
        for (int i = 0; i < rank; i++) {
            outDims[i] = dims[permutation[i]];
        }
        long[] inStrides = Shape.of(dims).contiguousStrides();
        double[] out = new double[x.length];
        for (int flat = 0; flat < out.length; flat++) {
            int rest = flat;
            long source = 0;
            for (int axis = rank - 1; axis >= 0; axis--) {
                int coordinate = rest % outDims[axis];
                rest /= outDims[axis];
                source += coordinate * inStrides[permutation[axis]];
            }
            out[flat] = x[(int) source];
        }
        return out;
    }

    /** The block at {@code begin} with extent {@code extent}. */
    public static double[] slice(double[] x, int[] dims, int[] begin, int[] extent) {
        long[] strides = Shape.of(dims).contiguousStrides();
        double[] out = new double[size(extent)];
        for (int flat = 0; flat < out.length; flat++) {
            int rest = flat;
            long source = 0;
            for (int axis = dims.length - 1; axis >= 0; axis--) {
                int coordinate = rest % extent[axis];
                rest /= extent[axis];
                source += (coordinate + begin[axis]) * strides[axis];
            }
            out[flat] = x[(int) source];
        }
        return out;
    }

    public enum Reduction { SUM, MEAN, MAX, MIN }

    /**
     * A reduction and its error scale.
     *
     * @param values   the result, in row-major order (the same with or without kept axes)
     * @param scale    per output, the sum (mean) of |x| over the reduced elements (what rounding error grows
     *                 with); null for max and min, which are exact
     * @param keptDims the input shape with the reduced axes set to 1
     * @param outDims  the output shape without the reduced axes
     */
    public record Reduced(double[] values, double[] scale, int[] keptDims, int[] outDims) {
    }

    /**
     * The elements each output of a reduction over {@code axes} reads.
     *
     * @param members  per output (row-major), the flat input indices it reduces, in row-major order (for one axis:
     *                 the lane along it, first to last)
     * @param keptDims the input shape with the reduced axes set to 1
     * @param outDims  the output shape without them
     */
    public record Groups(int[][] members, int[] keptDims, int[] outDims) {
        /** The output shape with or without the reduced axes. */
        public int[] dims(boolean keepDims) {
            return keepDims ? keptDims : outDims;
        }
    }

    /** Who reduces into whom for a reduction over {@code axes} ({@code null}: all; negatives count from the end). */
    public static Groups groups(int[] dims, int[] axes) {
        int rank = dims.length;
        boolean[] reduced = new boolean[rank];
        if (axes == null) {
            Arrays.fill(reduced, true);
        } else {
            for (int axis : axes) {
                reduced[axis < 0 ? axis + rank : axis] = true;
            }
        }
        int[] kept = dims.clone();
        int count = 1;
        int outRank = 0;
        for (int i = 0; i < rank; i++) {
            if (reduced[i]) {
                count *= dims[i];
                kept[i] = 1;
            } else {
                outRank++;
            }
        }
        int[] outDims = new int[outRank];
        for (int i = 0, j = 0; i < rank; i++) {
            if (!reduced[i]) {
                outDims[j++] = dims[i];
            }
        }
        int[][] members = new int[size(kept)][count];
        int[] filled = new int[members.length];
        long[] keptStrides = Shape.of(kept).contiguousStrides();
        for (int flat = 0; flat < size(dims); flat++) {
            int rest = flat;
            long target = 0;
            for (int axis = rank - 1; axis >= 0; axis--) {
                int coordinate = rest % dims[axis];
                rest /= dims[axis];
                if (!reduced[axis]) {
                    target += coordinate * keptStrides[axis];
                }
            }
            members[(int) target][filled[(int) target]++] = flat;
        }
        return new Groups(members, kept, outDims);
    }

    /** Reduces over {@code axes} ({@code null}: all; negatives count from the end). */
    public static Reduced reduce(double[] x, int[] dims, int[] axes, Reduction op) {
        Groups groups = groups(dims, axes);
        double[] values = new double[groups.members().length];
        double[] scale = new double[values.length];
        for (int g = 0; g < values.length; g++) {
            int[] members = groups.members()[g];
            double value = switch (op) {
                case SUM, MEAN -> 0;
                case MAX -> Double.NEGATIVE_INFINITY;
                case MIN -> Double.POSITIVE_INFINITY;
            };
            for (int i : members) {
                double v = x[i];
                value = switch (op) {
                    case SUM, MEAN -> value + v;
                    case MAX -> Math.max(value, v);
                    case MIN -> Math.min(value, v);
                };
                scale[g] += Math.abs(v);
            }
            if (op == Reduction.MEAN) {
                value /= members.length;
                scale[g] /= members.length;
            }
            values[g] = value;
        }
        // max and min are exact: compare them relative to the value, not to the sum of magnitudes
        boolean exact = op == Reduction.MAX || op == Reduction.MIN;
        return new Reduced(values, exact ? null : scale, groups.keptDims(), groups.outDims());
    }

    /**
     * Batched matmul {@code (batchA|1, m, k) @ (batchB|1, k, n)}, with the output and, per element, the sum of
     * |a_ik b_kj| (the error scale) written to {@code scaleOut} when it is not null.
     */
    public static double[] matmul(double[] a, int batchA, double[] b, int batchB, int m, int k, int n,
                                  double[] scaleOut) {
        int batch = Math.max(batchA, batchB);
        double[] out = new double[batch * m * n];
        for (int p = 0; p < batch; p++) {
            int offA = (batchA == 1 ? 0 : p) * m * k;
            int offB = (batchB == 1 ? 0 : p) * k * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double scale = 0;
                    for (int q = 0; q < k; q++) {
                        double product = a[offA + i * k + q] * b[offB + q * n + j];
                        sum += product;
                        scale += Math.abs(product);
                    }
                    out[p * m * n + i * n + j] = sum;
                    if (scaleOut != null) {
                        scaleOut[p * m * n + i * n + j] = scale;
                    }
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- comparisons

    public static double relativeTolerance(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> 1e-5;
            case FLOAT64 -> 1e-12;
            default -> 0;
        };
    }

    public static double absoluteTolerance(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> 1e-6;
            case FLOAT64 -> 1e-14;
            default -> 0;
        };
    }

    /** Checks dtype, shape and every value against {@code expected} with the dtype's tolerance. */
    public static void assertValues(String what, Tensor actual, DType dtype, int[] dims, double[] expected) {
        assertValuesScaled(what, actual, dtype, dims, expected, null);
    }

    /**
     * Like {@link #assertValues}, with the relative tolerance applied to {@code scale[i]} instead of
     * {@code |expected[i]|} (sums and dot products, whose rounding error grows with the sum of magnitudes).
     */
    public static void assertValuesScaled(String what, Tensor actual, DType dtype, int[] dims, double[] expected,
                                          double[] scale) {
        assertEquals(dtype, actual.dtype(), what + ": dtype");
        assertArrayEquals(dims, actual.shape().dims(), () -> what + ": shape " + actual.shape());
        double[] values = actual.toDoubleArray();
        assertEquals(expected.length, values.length, what + ": element count");
        double relative = relativeTolerance(dtype);
        double absolute = absoluteTolerance(dtype);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = values[i];
            if (Double.isNaN(e) || Double.isNaN(a)) {
                if (Double.isNaN(e) != Double.isNaN(a)) {
                    fail(what + ": element " + i + " of " + expected.length + ": expected " + e + " but was " + a);
                }
                continue;
            }
            if (Double.isInfinite(e) || Double.isInfinite(a)) {
                if (e != a) {
                    fail(what + ": element " + i + " of " + expected.length + ": expected " + e + " but was " + a);
                }
                continue;
            }
            double magnitude = scale == null ? Math.abs(e) : scale[i];
            double tolerance = absolute + relative * magnitude;
            if (!(Math.abs(a - e) <= tolerance)) {
                fail(what + ": element " + i + " of " + expected.length + ": expected " + e + " but was " + a
                        + " (difference " + Math.abs(a - e) + ", tolerance " + tolerance + ")");
            }
        }
    }

    public static void assertBooleans(String what, Tensor actual, int[] dims, boolean[] expected) {
        assertEquals(DType.BOOL, actual.dtype(), what + ": dtype");
        assertArrayEquals(dims, actual.shape().dims(), () -> what + ": shape " + actual.shape());
        boolean[] values = actual.toBooleanArray();
        for (int i = 0; i < expected.length; i++) {
            if (values[i] != expected[i]) {
                fail(what + ": element " + i + " of " + expected.length + ": expected " + expected[i] + " but was "
                        + values[i]);
            }
        }
        assertEquals(expected.length, values.length, what + ": element count");
    }

    /** Two tensors with the same dtype, shape and values (within the dtype's tolerance). */
    public static void assertSameTensor(String what, Tensor expected, Tensor actual) {
        assertValues(what, actual, expected.dtype(), expected.shape().dims(), expected.toDoubleArray());
    }
}
