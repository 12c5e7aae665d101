package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

/**
 * The ops along axes that TensorFlow has and the primitives do not: softmax, logSoftmax, logSumExp, argmax/argmin,
 * reduceProd, reduceVariance/reduceStd, reduceAny/reduceAll and cumsum. Each is a composition of primitives, so it
 * runs on every backend with no kernel of its own, and its gradient (and the gradient of that gradient) comes from
 * the primitives' rules. {@link Tensor} holds the public methods; this class holds how they are computed.
 *
 * <p>Two of them are not the obvious composition, for cost:
 * <ul>
 *   <li>cumsum is a work-efficient scan (Blelloch's, as JAX's {@code associative_scan}): the sums of neighbouring
 *       pairs are scanned recursively, then interleaved with the sums in between: n additions and about 5n element
 *       copies in {@code ceil(log2 n)} levels of six backend calls each (Hillis–Steele's shift-and-add would be
 *       n log2 n, 20n for n = 1e6). The product with a triangular matrix of ones would be O(n^2) (1e12
 *       multiply-adds for n = 1e6) and would turn a later NaN or infinity into NaN everywhere before it
 *       ({@code inf * 0}); the scan only ever adds elements that belong to the sum. Its gradient is the opposite
 *       scan (reverse cumsum), through the slices' and pads' rules.</li>
 *   <li>reduceProd multiplies the two halves of the reduced axis until one element is left: O(n) work in
 *       {@code ceil(log2 n)} rounds, exact for integers (wrapping as TensorFlow's does), and its gradient is right at
 *       zeros without any division (the product of the others flows back through each multiplication).</li>
 * </ul>
 * argmax/argmin compare each lane with its max/min and take the smallest index that matches; the indices
 * {@code 0 .. n-1} are uploaded once per call (n values of the index dtype).
 */
final class AxisOps {
    private AxisOps() {
    }

    // ---------------------------------------------------------------- softmax family

    /** {@code exp(x - max) / sum(exp(x - max))} along {@code axis}; the max is a constant to the tape, as in TF. */
    static Tensor softmax(Tensor x, int axis) {
        int[] axes = {floatingAxis("softmax", x, axis)};
        if (x.size() == 0) {
            return x; // nothing to normalize (and no max of an empty lane to shift by)
        }
        Tensor exponentials = shiftedByMax("softmax", x, axes).exp();
        return exponentials.div(Ops.reduce(Primitive.SUM, "softmax", exponentials, axes, true));
    }

    /** {@code (x - max) - log(sum(exp(x - max)))} along {@code axis}. */
    static Tensor logSoftmax(Tensor x, int axis) {
        int[] axes = {floatingAxis("logSoftmax", x, axis)};
        if (x.size() == 0) {
            return x;
        }
        Tensor shifted = shiftedByMax("logSoftmax", x, axes);
        return shifted.sub(Ops.reduce(Primitive.SUM, "logSoftmax", shifted.exp(), axes, true).log());
    }

    /**
     * TF's {@code reduce_logsumexp}: {@code log(sum(exp(x - m))) + m} with {@code m} the max where it is finite and 0
     * where it is not, so a lane of {@code -inf} gives {@code -inf} (not NaN), a {@code +inf} gives {@code +inf}, and
     * so does a lane of no elements ({@code -inf}).
     */
    static Tensor logSumExp(Tensor x, int[] axes, boolean keepDims) {
        String method = "logSumExp";
        x.checkOpen(method);
        Ops.requireFloating(method, x);
        boolean[] reduced = Ops.reducedAxes(method, x, axes);
        for (int i = 0; i < reduced.length; i++) {
            if (reduced[i] && x.shape().dim(i) == 0) {
                // TF: the max of nothing is -inf, not finite, so the shift is 0 and the result log(0) = -inf
                return Ops.reduce(Primitive.SUM, method, x, axes, keepDims).log();
            }
        }
        Tensor rawMax = Ops.reduce(Primitive.MAX, method, x, axes, true);
        Tensor finite = rawMax.abs().less(Double.POSITIVE_INFINITY);
        Tensor max = Tensor.where(finite, rawMax, rawMax.weakScalar(method, 0)).stopGradient();
        Tensor sum = Ops.reduce(Primitive.SUM, method, x.sub(max).exp(), axes, keepDims);
        return sum.log().add(keepDims ? max : max.reshape(sum.shape()));
    }

    /** {@code x - stopGradient(max(x))} over {@code axes}: every exponent is at most 0, so none overflows. */
    private static Tensor shiftedByMax(String method, Tensor x, int[] axes) {
        return x.sub(Ops.reduce(Primitive.MAX, method, x, axes, true).stopGradient());
    }

    private static int floatingAxis(String method, Tensor x, int axis) {
        x.checkOpen(method);
        Ops.requireFloating(method, x);
        return Shape.normalizeAxis(axis, x.rank(), method, x.backend());
    }

    // ---------------------------------------------------------------- argmax / argmin

    /**
     * The index of the first largest ({@code MAX}) or smallest ({@code MIN}) element along {@code axis}, as
     * {@code indexType}; a NaN counts as the extreme, so the first NaN wins (numpy's rule).
     */
    static Tensor argExtremum(String method, Primitive extremum, Tensor x, int axis, DType indexType) {
        x.checkOpen(method);
        Errors.notNull(indexType, method, "outputType");
        Ops.requireNumeric(method, x);
        if (indexType != DType.INT32 && indexType != DType.INT64) {
            throw Errors.invalid(method, x.backend(), "outputType must be int32 or int64 (as TensorFlow's), got "
                    + indexType);
        }
        int at = Shape.normalizeAxis(axis, x.rank(), method, x.backend());
        int[] axes = {at};
        Tensor best = Ops.reduce(extremum, method, x, axes, true); // rejects a lane of zero elements, naming method
        Tensor hits = x.equal(best);
        if (x.dtype().isFloating()) {
            // max/min give NaN when the lane holds one, and NaN equals nothing: mark the NaNs themselves
            hits = hits.logicalOr(x.notEqual(x));
        }
        int length = x.shape().dim(at);
        int[] laneDims = new int[x.rank()];
        java.util.Arrays.fill(laneDims, 1);
        laneDims[at] = length;
        Tensor positions = iota(method, x.backend(), length, indexType).reshape(laneDims);
        Tensor candidates = Tensor.where(hits, positions, Tensor.hostScalar(x.backend(), indexType, length));
        return Ops.reduce(Primitive.MIN, method, candidates, axes, false);
    }

    /** {@code 0 .. n-1} of {@code dtype} on {@code backend} (the backend of the operand, not the default one). */
    private static Tensor iota(String method, Backend backend, int n, DType dtype) {
        Object values = dtype == DType.INT64 ? LongStream.range(0, n).toArray() : IntStream.range(0, n).toArray();
        DeviceBuffer buffer;
        Shape shape = Shape.of(n);
        try {
            buffer = Tracer.device(backend).upload(values);
        } catch (RuntimeException failure) {
            throw Errors.allocationFailed(method, backend, shape, dtype, failure);
        }
        return new Tensor(new Storage(backend, buffer), shape, shape.sharedStrides(), 0);
    }

    // ---------------------------------------------------------------- reductions

    /** The product over {@code axes} by halving (see the class comment); the product of no elements is 1. */
    static Tensor reduceProd(Tensor x, int[] axes, boolean keepDims) {
        String method = "reduceProd";
        x.checkOpen(method);
        Ops.requireNumeric(method, x);
        boolean[] reduced = Ops.reducedAxes(method, x, axes);
        int rank = x.rank();
        int[] order = new int[rank];
        int[] keptDims = x.shape().dims();
        int[] laneDims = new int[rank]; // the kept axes, then one axis of every reduced element
        int[] outDims = new int[rank];
        int kept = 0;
        int out = 0;
        long count = 1;
        for (int i = 0; i < rank; i++) {
            if (!reduced[i]) {
                order[kept] = i;
                laneDims[kept++] = keptDims[i];
                outDims[out++] = keptDims[i];
            } else {
                count *= keptDims[i];
                keptDims[i] = 1;
                if (keepDims) {
                    outDims[out++] = 1;
                }
            }
        }
        Shape outShape = Shape.of(java.util.Arrays.copyOf(outDims, out));
        if (count == 0) {
            return Tensor.fill(method, x.backend(), outShape, 1, x.dtype());
        }
        for (int i = 0, r = kept; i < rank; i++) {
            if (reduced[i]) {
                order[r++] = i;
            }
        }
        laneDims[kept] = (int) count;
        int last = kept;
        Tensor lanes = x.transpose(order).reshape(java.util.Arrays.copyOf(laneDims, kept + 1));
        for (int length = (int) count; length > 1; length = (length + 1) / 2) {
            int half = length / 2;
            Tensor pairs = lanes.slice(last, 0, half).mul(lanes.slice(last, half, 2 * half));
            lanes = length % 2 == 0 ? pairs : Tensor.concat(List.of(pairs, lanes.slice(last, 2 * half, length)), last);
        }
        return lanes.reshape(outShape);
    }

    /** The population variance {@code mean((x - mean(x))^2)} over {@code axes}, as TF's {@code reduce_variance}. */
    static Tensor reduceVariance(String method, Tensor x, int[] axes, boolean keepDims) {
        x.checkOpen(method);
        Ops.requireFloating(method, x);
        Ops.reducedAxes(method, x, axes); // errors name this method rather than mean
        return x.sub(x.mean(axes, true)).square().mean(axes, keepDims);
    }

    /** Whether any ({@code any}) or every element over {@code axes} is true; no elements: false / true, as TF. */
    static Tensor reduceLogical(String method, boolean any, Tensor x, int[] axes, boolean keepDims) {
        x.checkOpen(method);
        if (x.dtype() != DType.BOOL) {
            throw Errors.invalid(method, x.backend(), "expects bool, got " + x.dtype() + " of shape " + x.shape()
                    + "; compare first, e.g. x.notEqual(0)");
        }
        // counting, not max/min: a count is defined over zero elements. An int32 count could wrap to 0 only at
        // 2^32 elements, which no buffer here reaches
        if (any) {
            return Ops.reduce(Primitive.SUM, method, x.cast(DType.INT32), axes, keepDims).notEqual(0);
        }
        return Ops.reduce(Primitive.SUM, method, x.logicalNot().cast(DType.INT32), axes, keepDims).equal(0);
    }

    // ---------------------------------------------------------------- cumsum

    /** TF's {@code cumsum(x, axis, exclusive, reverse)} as a work-efficient scan (see the class comment). */
    static Tensor cumsum(Tensor x, int axis, boolean exclusive, boolean reverse) {
        String method = "cumsum";
        x.checkOpen(method);
        Ops.requireNumeric(method, x);
        int at = Shape.normalizeAxis(axis, x.rank(), method, x.backend());
        if (x.shape().dim(at) == 0) {
            return x;
        }
        return scan(exclusive ? shifted(x, at, 1, reverse) : x, at, reverse);
    }

    /**
     * The inclusive running sums of {@code x} along {@code axis} (from the end when {@code reverse}), by pairs: the
     * sums of elements {@code 2i} and {@code 2i + 1} are scanned (half as many, recursively), which gives every
     * second running sum directly; each other one is that neighbour's sum plus one element. O(n) additions in
     * {@code 2 log2 n} rounds (a Blelloch / JAX {@code associative_scan} recursion).
     */
    private static Tensor scan(Tensor x, int axis, boolean reverse) {
        int length = x.shape().dim(axis);
        if (length < 2) {
            return x;
        }
        int[] dims = x.shape().dims();
        Tensor even = x;
        if (length % 2 == 1) { // one zero at the end adds nothing to any running sum, from either side
            dims[axis] = length + 1;
            even = Ops.pad(x, new Node.SliceBounds(Shape.of(dims), new int[x.rank()]));
        }
        int half = dims[axis] / 2;
        int[] pairDims = new int[dims.length + 1]; // (..., half, 2, ...): elements 2i and 2i + 1 side by side
        for (int i = 0, j = 0; i < dims.length; i++) {
            pairDims[j++] = i == axis ? half : dims[i];
            if (i == axis) {
                pairDims[j++] = 2;
            }
        }
        Tensor pairs = even.reshape(pairDims);
        Tensor left = pairs.slice(axis + 1, 0, 1);
        Tensor right = pairs.slice(axis + 1, 1, 2);
        Tensor pairSums = left.add(right);
        int[] halfDims = dims.clone();
        halfDims[axis] = half;
        Tensor scanned = scan(pairSums.reshape(halfDims), axis, reverse).reshape(pairSums.shape());
        // forward: sum up to 2i + 1 = scanned[i], up to 2i = scanned[i - 1] + x[2i]; reverse mirrors it
        List<Tensor> sides = reverse
                ? List.of(scanned, right.add(shifted(scanned, axis, 1, true)))
                : List.of(left.add(shifted(scanned, axis, 1, false)), scanned);
        Tensor sums = Tensor.concat(sides, axis + 1).reshape(dims);
        return length % 2 == 1 ? sums.slice(axis, 0, length) : sums;
    }

    /**
     * {@code y} moved {@code distance} places along {@code axis}, towards its end (or its start when
     * {@code towardsStart}), zeros filling the places left behind: a slice written into zeros.
     */
    private static Tensor shifted(Tensor y, int axis, int distance, boolean towardsStart) {
        int length = y.shape().dim(axis);
        int[] begin = new int[y.rank()];
        Tensor kept;
        if (towardsStart) {
            kept = y.slice(axis, distance, length);
        } else {
            kept = y.slice(axis, 0, length - distance);
            begin[axis] = distance;
        }
        return Ops.pad(kept, new Node.SliceBounds(y.shape(), begin));
    }
}
