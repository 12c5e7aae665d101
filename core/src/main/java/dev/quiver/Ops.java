package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.Arrays;
import java.util.List;

/**
 * The one place where primitives run: validate, choose the output, call the backend, record on the tape.
 * Every public {@link Tensor} method ends here or in a composition of these; gradient rules use the same
 * entry points, which is why they can themselves be differentiated.
 */
final class Ops {
    private Ops() {
    }

    // ---------------------------------------------------------------- elementwise

    static Tensor unary(Primitive op, Tensor x) {
        String method = Errors.methodName(op);
        x.checkOpen(method);
        if (op.requiresFloating()) {
            requireFloating(method, x);
        }
        if (op == Primitive.LOGICAL_NOT && x.dtype() != DType.BOOL) {
            throw Errors.invalid(method, x.backend(), "expects bool, got " + x.dtype() + " of shape " + x.shape());
        }
        if (op != Primitive.LOGICAL_NOT) {
            requireNumeric(method, x);
        }
        Tensor out = Tensor.allocate(method, x.backend(), x.shape(), op.producesBool() ? DType.BOOL : x.dtype());
        // called directly, not through run(..., lambda): the most frequent ops pay for no lambda
        try {
            x.device().unary(op, x.view(), out.view());
        } catch (RuntimeException failure) {
            throw Errors.failed(method, x, failure);
        }
        return record(op, out, null, x);
    }

    /** Rejects int and bool tensors for {@code method}, which needs float32 or float64. */
    static void requireFloating(String method, Tensor x) {
        if (!x.dtype().isFloating()) {
            throw Errors.invalid(method, x.backend(), "expects a floating dtype (float32/float64), got " + x.dtype()
                    + " of shape " + x.shape() + "; cast first, e.g. x.cast(DType.FLOAT32)");
        }
    }

    /** Rejects bool tensors for {@code method}, an arithmetic op. */
    static void requireNumeric(String method, Tensor x) {
        if (x.dtype() == DType.BOOL) {
            throw Errors.invalid(method, x.backend(), "not defined for bool (shape " + x.shape()
                    + "); cast to a numeric dtype first");
        }
    }

    /** Promotes dtypes, broadcasts shapes (both as recorded ops), then runs the same-shape primitive. */
    static Tensor binary(Primitive op, Tensor a, Tensor b) {
        return binary(op, Errors.methodName(op), a, b);
    }

    /** {@link #binary(Primitive, Tensor, Tensor)} for a composite ({@code square}): errors name {@code method}. */
    static Tensor binary(Primitive op, String method, Tensor a, Tensor b) {
        a.checkOpen(method);
        if (b == null) {
            throw Errors.nullArgument(method, "other");
        }
        b.checkOpen(method);
        checkSameBackend(method, a, b);
        boolean logical = op == Primitive.LOGICAL_AND || op == Primitive.LOGICAL_OR;
        if (logical && (a.dtype() != DType.BOOL || b.dtype() != DType.BOOL)) {
            throw Errors.invalid(method, a.backend(), "expects bool operands, got " + a.dtype() + " " + a.shape()
                    + " and " + b.dtype() + " " + b.shape());
        }
        DType common = DType.promote(a.dtype(), b.dtype());
        if (common == DType.BOOL && !logical && !op.producesBool()) {
            throw Errors.invalid(method, a.backend(), "arithmetic is not defined on bool (shapes " + a.shape()
                    + " and " + b.shape() + "); cast to a numeric dtype first");
        }
        if (op.requiresFloating() && !common.isFloating()) {
            throw Errors.invalid(method, a.backend(), "expects floating operands, got " + a.dtype() + " "
                    + a.shape() + " and " + b.dtype() + " " + b.shape() + "; cast first");
        }
        Shape shape = Shape.broadcast(method, a.backend(), a.shape(), b.shape());
        Tensor left = expand(cast(a, common), shape);
        Tensor right = expand(cast(b, common), shape);
        Tensor out = Tensor.allocate(method, a.backend(), shape, op.producesBool() ? DType.BOOL : common);
        try {
            a.device().binary(op, left.view(), right.view(), out.view());
        } catch (RuntimeException failure) {
            throw Errors.failed(method, left, failure);
        }
        return record(op, out, null, left, right);
    }

    static Tensor where(Tensor condition, Tensor whenTrue, Tensor whenFalse) {
        Errors.notNull(condition, "where", "condition").checkOpen("where");
        Errors.notNull(whenTrue, "where", "whenTrue").checkOpen("where");
        Errors.notNull(whenFalse, "where", "whenFalse").checkOpen("where");
        checkSameBackend("where", condition, whenTrue);
        checkSameBackend("where", condition, whenFalse);
        Backend backend = condition.backend();
        if (condition.dtype() != DType.BOOL) {
            throw Errors.invalid("where", backend, "the condition must be bool, got " + condition.dtype()
                    + " of shape " + condition.shape());
        }
        DType common = DType.promote(whenTrue.dtype(), whenFalse.dtype());
        Shape shape = Shape.broadcast("where", backend,
                Shape.broadcast("where", backend, condition.shape(), whenTrue.shape()), whenFalse.shape());
        Tensor c = expand(condition, shape);
        Tensor t = expand(cast(whenTrue, common), shape);
        Tensor f = expand(cast(whenFalse, common), shape);
        Tensor out = Tensor.allocate("where", backend, shape, common);
        run("where", t, () -> Tracer.device(backend).where(c.view(), t.view(), f.view(), out.view()));
        return record(Primitive.WHERE, out, null, c, t, f);
    }

    static Tensor cast(Tensor x, DType dtype) {
        x.checkOpen("cast");
        Errors.notNull(dtype, "cast", "dtype");
        if (x.dtype() == dtype) {
            return x;
        }
        if (x.storage.buffer instanceof HostScalar scalar) {
            // a host value converts on the host, as the copy kernel would (HostScalar.of): no backend call
            Tensor out = new Tensor(new Storage(x.backend(), HostScalar.of(dtype, scalar.value())), x.shape(),
                    x.strides, x.offset);
            return record(Primitive.CAST, out, null, x);
        }
        Tensor out = Tensor.allocate("cast", x.backend(), x.shape(), dtype);
        run("cast", x, () -> x.device().copy(x.view(), out.view()));
        return record(Primitive.CAST, out, null, x);
    }

    /** A dense row-major copy (a no-op for a tensor that already is one). */
    static Tensor contiguous(Tensor x) {
        if (x.isHostScalar()) {
            return materialize("copy", x);
        }
        if (x.isContiguous() && x.offset == 0 && x.shape().size() == x.storage.buffer.length()) {
            return x;
        }
        Tensor out = Tensor.allocate("copy", x.backend(), x.shape(), x.dtype());
        run("copy", x, () -> x.device().copy(x.view(), out.view()));
        return record(Primitive.COPY, out, null, x);
    }

    /** A new dense copy of {@code x} (a device tensor), always: for outputs that must own their buffer. */
    static Tensor copy(String method, Tensor x) {
        Tensor out = Tensor.allocate(method, x.backend(), x.shape(), x.dtype());
        run(method, x, () -> x.device().copy(x.view(), out.view()));
        return record(Primitive.COPY, out, null, x);
    }

    /**
     * {@code x} in a device buffer, for the backend calls that take only those (copy, reduce, matmul, variables):
     * the tensor itself, or for a {@link HostScalar} a dense copy made by {@link #materialize}.
     */
    static Tensor onDevice(String method, Tensor x) {
        return x.isHostScalar() ? materialize(method, x) : x;
    }

    /**
     * The one place a {@link HostScalar} becomes device memory: a dense tensor of {@code x}'s shape filled with its
     * value (one allocation, one fill), recorded as a COPY so gradients flow through it.
     */
    private static Tensor materialize(String method, Tensor x) {
        HostScalar scalar = (HostScalar) x.storage.buffer;
        Tensor out = Tensor.allocate(method, x.backend(), x.shape(), x.dtype());
        run(method, x, () -> x.device().fill(out.view(), scalar.value()));
        return record(Primitive.COPY, out, null, x);
    }

    // ---------------------------------------------------------------- views

    static Tensor reshape(Tensor x, Shape shape) {
        x.checkOpen("reshape");
        Errors.notNull(shape, "reshape", "shape");
        if (shape.size() != x.shape().size()) {
            throw Errors.invalid("reshape", x.backend(), "cannot reshape " + x.shape() + " (" + x.shape().size()
                    + " elements) into " + shape + " (" + shape.size() + " elements)");
        }
        if (shape.equals(x.shape())) {
            return x;
        }
        if (x.isHostScalar()) { // every element is the one value: any shape is a stride-0 view of it
            Tensor out = new Tensor(x.storage, shape, new long[shape.rank()], 0);
            return record(Primitive.RESHAPE, out, new Node.SourceShape(x.shape()), x);
        }
        Tensor source = x.isContiguous() ? x : contiguous(x);
        Tensor out = new Tensor(source.storage, shape, shape.sharedStrides(), source.offset);
        return record(Primitive.RESHAPE, out, new Node.SourceShape(x.shape()), source);
    }

    static Tensor permute(Tensor x, int[] axes) {
        x.checkOpen("transpose");
        Errors.notNull(axes, "transpose", "permutation");
        int rank = x.rank();
        if (axes.length != rank) {
            throw Errors.invalid("transpose", x.backend(), "permutation " + Arrays.toString(axes)
                    + " has the wrong length for shape " + x.shape());
        }
        int[] permutation = new int[rank];
        boolean[] seen = new boolean[rank];
        boolean identity = true;
        for (int i = 0; i < rank; i++) {
            int axis = Shape.normalizeAxis(axes[i], rank, "transpose", x.backend());
            if (seen[axis]) {
                throw Errors.invalid("transpose", x.backend(), Arrays.toString(axes)
                        + " is not a permutation of the axes of " + x.shape());
            }
            seen[axis] = true;
            permutation[i] = axis;
            identity &= axis == i;
        }
        if (identity) {
            return x;
        }
        int[] dims = new int[rank];
        long[] strides = new long[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = x.shape().dim(permutation[i]);
            strides[i] = x.strides[permutation[i]];
        }
        Tensor out = new Tensor(x.storage, Shape.of(dims), strides, x.offset);
        return record(Primitive.PERMUTE, out, new Node.Permutation(permutation), x);
    }

    /** Broadcast to {@code shape} without copying: new leading axes and size-1 axes get stride 0. */
    static Tensor expand(Tensor x, Shape shape) {
        if (x.shape().equals(shape)) {
            return x;
        }
        int rank = shape.rank();
        int extra = rank - x.rank();
        // broadcasting may only grow x: the broadcast of the two shapes must be the target itself
        if (extra < 0 || !Shape.broadcast("broadcastTo", x.backend(), x.shape(), shape).equals(shape)) {
            throw Errors.invalid("broadcastTo", x.backend(), "cannot broadcast " + x.shape() + " to " + shape);
        }
        long[] strides = new long[rank];
        for (int i = 0; i < rank; i++) {
            strides[i] = i < extra || x.shape().dim(i - extra) != shape.dim(i) ? 0 : x.strides[i - extra];
        }
        Tensor out = new Tensor(x.storage, shape, strides, x.offset);
        return record(Primitive.EXPAND, out, new Node.SourceShape(x.shape()), x);
    }

    /** {@code tf.slice}: {@code size[i] == -1} means "to the end". */
    static Tensor slice(Tensor x, int[] begin, int[] size) {
        x.checkOpen("slice");
        Errors.notNull(begin, "slice", "begin");
        Errors.notNull(size, "slice", "size");
        int rank = x.rank();
        if (begin.length != rank || size.length != rank) {
            throw Errors.invalid("slice", x.backend(), "begin " + Arrays.toString(begin) + " and size "
                    + Arrays.toString(size) + " must both have rank " + rank + " for shape " + x.shape());
        }
        int[] dims = new int[rank];
        long offset = x.offset;
        for (int i = 0; i < rank; i++) {
            int extent = size[i] == -1 ? x.shape().dim(i) - begin[i] : size[i];
            if (begin[i] < 0 || extent < 0 || begin[i] + extent > x.shape().dim(i)) {
                throw Errors.invalid("slice", x.backend(), "begin " + Arrays.toString(begin) + " size "
                        + Arrays.toString(size) + " is out of bounds for shape " + x.shape());
            }
            dims[i] = extent;
            offset += begin[i] * x.strides[i];
        }
        Tensor out = new Tensor(x.storage, Shape.of(dims), x.strides.clone(), offset);
        return record(Primitive.SLICE, out, new Node.SliceBounds(x.shape(), begin.clone()), x);
    }

    /** The adjoint of {@link #slice}: zeros of {@code bounds.full} with {@code x} written at {@code bounds.begin}. */
    static Tensor pad(Tensor g, Node.SliceBounds bounds) {
        return pad("pad", g, bounds, 0);
    }

    /**
     * {@code value} everywhere in {@code bounds.full}, with {@code g} written at {@code bounds.begin}: the adjoint of
     * {@link #slice} ({@code value} 0) and {@code tf.pad} in constant mode. Its gradient is the slice, whatever the
     * value.
     */
    static Tensor pad(String method, Tensor g, Node.SliceBounds bounds, double value) {
        Tensor x = onDevice(method, g);
        Tensor out = Tensor.allocate(method, x.backend(), bounds.full(), x.dtype());
        long offset = 0;
        long[] strides = bounds.full().contiguousStrides();
        for (int i = 0; i < strides.length; i++) {
            offset += bounds.begin()[i] * strides[i];
        }
        StridedView window = new StridedView(out.storage.buffer, x.shape().dims(), strides, offset);
        run(method, x, () -> {
            x.device().fill(out.view(), value);
            x.device().copy(x.view(), window);
        });
        return record(Primitive.PAD, out, bounds, x);
    }

    /**
     * {@code x} reversed along {@code axes} ({@code tf.reverse}), a view: each reversed axis starts at its last
     * element and steps back (a negative stride), so nothing is copied.
     */
    static Tensor reverse(Tensor x, int[] axes) {
        x.checkOpen("reverse");
        Errors.notNull(axes, "reverse", "axes");
        int rank = x.rank();
        boolean[] reversed = new boolean[rank];
        for (int axis : axes) {
            int a = Shape.normalizeAxis(axis, rank, "reverse", x.backend());
            if (reversed[a]) {
                throw Errors.invalid("reverse", x.backend(), "axis " + axis + " repeated in " + Arrays.toString(axes)
                        + " for shape " + x.shape());
            }
            reversed[a] = true;
        }
        if (axes.length == 0) {
            return x;
        }
        long[] strides = x.strides.clone();
        long offset = x.offset;
        int[] normalized = new int[axes.length];
        for (int i = 0, n = 0; i < rank; i++) {
            if (reversed[i]) {
                normalized[n++] = i;
                int extent = x.shape().dim(i);
                if (extent > 0) { // an empty axis has no last element to start from
                    offset += (extent - 1) * strides[i];
                }
                strides[i] = -strides[i];
            }
        }
        Tensor out = new Tensor(x.storage, x.shape(), strides, offset);
        return record(Primitive.REVERSE, out, new Node.ReversedAxes(normalized), x);
    }

    // ---------------------------------------------------------------- gather and its adjoint

    /**
     * {@code tf.gather(params, indices, axis)}: the result has shape {@code params.shape[:axis] + indices.shape +
     * params.shape[axis+1:]}. One backend call, O(result) work; an index outside the axis is an error naming gather,
     * the index and the shape (on a device, where the result is read).
     */
    static Tensor gather(Tensor params, Tensor indices, int axis) {
        params.checkOpen("gather");
        Errors.notNull(indices, "gather", "indices").checkOpen("gather");
        checkSameBackend("gather", params, indices);
        Backend backend = params.backend();
        if (params.rank() == 0) {
            throw Errors.invalid("gather", backend, "params must have rank >= 1, got a scalar " + params.dtype());
        }
        requireIndices("gather", indices, params.shape());
        int along = Shape.normalizeAxis(axis, params.rank(), "gather", backend);
        Shape outShape = indexedShape(params.shape(), along, indices.shape());
        Tensor source = onDevice("gather", params);
        Tensor index = flatIndices("gather", indices);
        StridedView paramsView = threeAxisView(source, along);
        if (paramsView == null) {
            source = contiguous(source);
            paramsView = threeAxisView(source, along);
        }
        Tensor out = Tensor.allocate("gather", backend, outShape, params.dtype());
        int[] blocks = blocks(params.shape(), along);
        StridedView target = StridedView.contiguous(out.storage.buffer, blocks[0], index.shape().dim(0), blocks[2]);
        StridedView sourceView = paramsView;
        Tensor owner = source;
        run("gather", params, () -> Tracer.device(backend).gather(sourceView, index.view(), target));
        java.lang.ref.Reference.reachabilityFence(owner);
        return record(Primitive.GATHER, out, new Node.IndexAxis(along), source, indices);
    }

    /**
     * The adjoint of {@link #gather}: zeros of {@code shape} with {@code updates[..., j, ...]} added at
     * {@code indices[j]} along {@code axis} (a repeated index adds up), like TensorFlow's densified
     * {@code IndexedSlices} gradient of gather.
     */
    static Tensor scatterAdd(Tensor updates, Tensor indices, Shape shape, int axis) {
        updates.checkOpen("scatterAdd");
        Backend backend = updates.backend();
        requireIndices("scatterAdd", indices, shape);
        requireNumeric("scatterAdd", updates);
        Shape expected = indexedShape(shape, axis, indices.shape());
        if (!updates.shape().equals(expected)) {
            throw Errors.invalid("scatterAdd", backend, "updates of shape " + updates.shape() + " do not match "
                    + expected + " (shape " + shape + ", indices " + indices.shape() + ", axis " + axis + ")");
        }
        Tensor source = onDevice("scatterAdd", updates);
        Tensor index = flatIndices("scatterAdd", indices);
        int[] blocks = blocks(shape, axis);
        StridedView updatesView = threeAxisView(source, axis, indices.rank());
        if (updatesView == null) {
            source = contiguous(source);
            updatesView = threeAxisView(source, axis, indices.rank());
        }
        Tensor out = Tensor.allocate("scatterAdd", backend, shape, updates.dtype());
        StridedView target = StridedView.contiguous(out.storage.buffer, blocks[0], blocks[1], blocks[2]);
        StridedView sourceView = updatesView;
        Tensor owner = source;
        run("scatterAdd", updates, () -> {
            Tracer.device(backend).fill(out.view(), 0);
            Tracer.device(backend).scatterAdd(sourceView, index.view(), target);
        });
        java.lang.ref.Reference.reachabilityFence(owner);
        return record(Primitive.SCATTER_ADD, out, new Node.IndexAxis(axis), source, indices);
    }

    private static void requireIndices(String method, Tensor indices, Shape shape) {
        if (indices.dtype() != DType.INT32 && indices.dtype() != DType.INT64) {
            throw Errors.invalid(method, indices.backend(), "indices must be int32 or int64, got " + indices.dtype()
                    + " of shape " + indices.shape() + " (params shape " + shape + ")");
        }
    }

    /** {@code shape} with axis {@code axis} replaced by the dimensions of {@code indices}. */
    private static Shape indexedShape(Shape shape, int axis, Shape indices) {
        int[] dims = new int[shape.rank() - 1 + indices.rank()];
        int next = 0;
        for (int i = 0; i < axis; i++) {
            dims[next++] = shape.dim(i);
        }
        for (int i = 0; i < indices.rank(); i++) {
            dims[next++] = indices.dim(i);
        }
        for (int i = axis + 1; i < shape.rank(); i++) {
            dims[next++] = shape.dim(i);
        }
        return Shape.of(dims);
    }

    /** {@code (outer, shape[axis], inner)}: the products of the dimensions before and after {@code axis}. */
    private static int[] blocks(Shape shape, int axis) {
        long outer = 1;
        long inner = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape.dim(i);
        }
        for (int i = axis + 1; i < shape.rank(); i++) {
            inner *= shape.dim(i);
        }
        return new int[] {Math.toIntExact(outer), shape.dim(axis), Math.toIntExact(inner)};
    }

    /** The indices as a 1-D tensor (a view when they are dense or already 1-D; a device copy of a host scalar). */
    private static Tensor flatIndices(String method, Tensor indices) {
        Tensor index = onDevice(method, indices).stopGradient();
        if (index.rank() == 1) {
            return index;
        }
        return contiguous(index).reshape((int) index.size());
    }

    private static StridedView threeAxisView(Tensor x, int axis) {
        return threeAxisView(x, axis, 1);
    }

    /**
     * {@code x} as an {@code (outer, middle, inner)} view where the middle block is axes {@code [axis, axis+count)}:
     * the same buffer when each block's axes merge into one stride, else null (the caller copies first).
     */
    private static StridedView threeAxisView(Tensor x, int axis, int count) {
        int[] dims = x.shape().dims();
        long[] merged = new long[3];
        int[] extents = new int[3];
        int[][] ranges = {{0, axis}, {axis, axis + count}, {axis + count, dims.length}};
        for (int block = 0; block < 3; block++) {
            long extent = 1;
            long stride = 0;
            boolean started = false;
            for (int i = ranges[block][1] - 1; i >= ranges[block][0]; i--) {
                if (dims[i] == 1) {
                    continue;
                }
                if (!started) {
                    stride = x.strides[i];
                    started = true;
                } else if (x.strides[i] != stride * extent) {
                    return null;
                }
                extent *= dims[i];
            }
            for (int i = ranges[block][0]; i < ranges[block][1]; i++) {
                if (dims[i] == 0) {
                    extent = 0;
                }
            }
            if (extent > Integer.MAX_VALUE) {
                return null;
            }
            extents[block] = (int) extent;
            merged[block] = stride;
        }
        return new StridedView(x.storage.buffer, extents, merged, x.offset);
    }

    static Tensor concat(List<Tensor> parts, int axis) {
        return concat("concat", parts, axis);
    }

    /** Joins {@code parts} along {@code axis}; errors name {@code method} ({@code concat} or {@code stack}). */
    static Tensor concat(String method, List<Tensor> parts, int axis) {
        checkParts(method, parts);
        Tensor first = parts.getFirst();
        int rank = first.rank();
        if (rank == 0) {
            throw Errors.invalid(method, first.backend(), "cannot concatenate scalars; use stack");
        }
        int along = Shape.normalizeAxis(axis, rank, method, first.backend());
        DType dtype = first.dtype();
        long total = 0;
        for (Tensor part : parts) {
            checkSameBackend(method, first, part);
            dtype = DType.promote(dtype, part.dtype());
            boolean compatible = part.rank() == rank;
            for (int i = 0; compatible && i < rank; i++) {
                compatible = i == along || part.shape().dim(i) == first.shape().dim(i);
            }
            if (!compatible) {
                throw Errors.invalid(method, first.backend(), "shapes " + first.shape() + " and " + part.shape()
                        + " differ outside axis " + axis);
            }
            total += part.shape().dim(along);
        }
        if (total > Integer.MAX_VALUE) {
            throw Errors.invalid(method, first.backend(), "the joined axis " + axis + " would have " + total
                    + " elements, more than an int dimension holds");
        }
        int[] dims = first.shape().dims();
        dims[along] = (int) total;
        Tensor out = Tensor.allocate(method, first.backend(), Shape.of(method, first.backend(), dims), dtype);
        Tensor[] inputs = new Tensor[parts.size()];
        int[] starts = new int[parts.size()];
        long[] strides = out.strides;
        int start = 0;
        for (int p = 0; p < inputs.length; p++) {
            Tensor part = onDevice(method, cast(parts.get(p), dtype));
            inputs[p] = part;
            starts[p] = start;
            StridedView window = new StridedView(out.storage.buffer, part.shape().dims(), strides,
                    start * strides[along]);
            run(method, part, () -> part.device().copy(part.view(), window));
            start += part.shape().dim(along);
        }
        return record(Primitive.CONCAT, out, new Node.ConcatAxis(along), inputs);
    }

    /** A non-empty list without nulls, every tensor open; errors name the position of the bad one. */
    static void checkParts(String method, List<Tensor> parts) {
        Errors.notNull(parts, method, "tensors");
        if (parts.isEmpty()) {
            throw Errors.invalid(method, Quiver.backend(), "needs at least one tensor");
        }
        for (int i = 0; i < parts.size(); i++) {
            Errors.notNull(parts.get(i), method, "tensor " + i).checkOpen(method);
        }
    }

    // ---------------------------------------------------------------- reductions and matmul

    static Tensor reduce(Primitive op, Tensor x, int[] axes, boolean keepDims) {
        return reduce(op, Errors.methodName(op), x, axes, keepDims);
    }

    /** {@link #reduce(Primitive, Tensor, int[], boolean)} for a composite ({@code mean}): errors name it. */
    static Tensor reduce(Primitive op, String name, Tensor input, int[] axes, boolean keepDims) {
        input.checkOpen(name);
        if (input.dtype() == DType.BOOL) {
            throw Errors.invalid(name, input.backend(), "not defined for bool (shape " + input.shape()
                    + "); cast to int32 first to count");
        }
        Tensor x = onDevice(name, input);
        int rank = x.rank();
        boolean[] reduced = reducedAxes(name, x, axes);
        int[] keptDims = x.shape().dims();
        int[] reducedAxes = new int[countTrue(reduced)];
        int[] outDims = new int[keepDims ? rank : rank - reducedAxes.length];
        long reducedCount = 1;
        for (int i = 0, r = 0, o = 0; i < rank; i++) {
            if (reduced[i]) {
                reducedCount *= keptDims[i];
                keptDims[i] = 1;
                reducedAxes[r++] = i;
                if (keepDims) {
                    outDims[o++] = 1;
                }
            } else {
                outDims[o++] = keptDims[i];
            }
        }
        if (reducedCount == 0 && op != Primitive.SUM) {
            throw Errors.invalid(name, x.backend(), "cannot reduce zero elements (shape " + x.shape()
                    + ", axes " + Arrays.toString(reducedAxes) + ")");
        }
        Shape outShape = Shape.of(outDims);
        Tensor out = Tensor.allocate(name, x.backend(), outShape, x.dtype());
        // Bring the reduced axes together: permute them behind the kept ones, then make the block dense.
        int[] order = new int[rank];
        int next = 0;
        for (int i = 0; i < rank; i++) {
            if (!reduced[i]) {
                order[next++] = i;
            }
        }
        for (int axis : reducedAxes) {
            order[next++] = axis;
        }
        long inner = 1;
        int first = reducedAxes.length == 0 ? rank : reducedAxes[0];
        int last = reducedAxes.length == 0 ? rank - 1 : reducedAxes[reducedAxes.length - 1];
        Tensor owner = x; // holds the buffer that `block` points into until the backend has read it
        if (x.isContiguous() && last - first + 1 == reducedAxes.length) {
            // the reduced axes are one run of a dense tensor: reduce in place as (outer, reduced, inner)
            for (int i = last + 1; i < rank; i++) {
                inner *= x.shape().dim(i);
            }
        } else {
            owner = arranged(name, x, order);
        }
        long outer = outShape.size() / Math.max(1, inner);
        StridedView block = new StridedView(owner.storage.buffer,
                new int[] {(int) outer, (int) reducedCount, (int) inner},
                new long[] {reducedCount * inner, inner, 1}, owner.offset);
        StridedView target = new StridedView(out.storage.buffer, new int[] {(int) outer, (int) inner},
                new long[] {inner, 1}, 0);
        run(name, x, () -> x.device().reduce(op, block, target));
        java.lang.ref.Reference.reachabilityFence(owner); // a StridedView does not keep its storage alive
        return record(op, out, new Node.ReduceAxes(reducedAxes, Shape.of(keptDims)), x);
    }

    /**
     * Which axes of {@code x} a reduction over {@code axes} reduces ({@code null}: all; negative axes count from the
     * end); an axis out of range or given twice is an error naming {@code method}.
     */
    static boolean[] reducedAxes(String method, Tensor x, int[] axes) {
        boolean[] reduced = new boolean[x.rank()];
        if (axes == null) {
            Arrays.fill(reduced, true);
            return reduced;
        }
        for (int axis : axes) {
            int a = Shape.normalizeAxis(axis, x.rank(), method, x.backend());
            if (reduced[a]) {
                throw Errors.invalid(method, x.backend(), "axis " + axis + " repeated in " + Arrays.toString(axes));
            }
            reduced[a] = true;
        }
        return reduced;
    }

    /** {@code x} permuted by {@code order} as a dense buffer view (copying only when it is not one already). */
    private static Tensor arranged(String method, Tensor x, int[] order) {
        int[] dims = new int[order.length];
        long[] strides = new long[order.length];
        for (int i = 0; i < order.length; i++) {
            dims[i] = x.shape().dim(order[i]);
            strides[i] = x.strides[order[i]];
        }
        StridedView view = new StridedView(x.storage.buffer, dims, strides, x.offset);
        if (view.isContiguous()) {
            return new Tensor(x.storage, Shape.of(dims), strides, x.offset);
        }
        Tensor dense = Tensor.allocate(method, x.backend(), Shape.of(dims), x.dtype());
        run(method, x, () -> x.device().copy(view, dense.view()));
        return dense;
    }

    static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, false, false);
    }

    /**
     * {@code tf.matmul(a, b, transpose_a, transpose_b)} with numpy's rules for the rest: a 1-D operand is a row
     * (left) or a column (right) whose added axis is removed from the result; the batch dimensions (all but the last
     * two) broadcast and may be any number. The backend takes one batch axis: the broadcast batch dimensions are
     * merged into it as a view when their strides allow (a broadcast operand has stride 0 throughout) and copied
     * otherwise; a transposed operand is a view, never a copy.
     */
    static Tensor matmul(Tensor a, Tensor b, boolean transposeA, boolean transposeB) {
        a.checkOpen("matmul");
        Errors.notNull(b, "matmul", "other").checkOpen("matmul");
        checkSameBackend("matmul", a, b);
        Backend backend = a.backend();
        if (a.rank() == 0 || b.rank() == 0) {
            throw Errors.invalid("matmul", backend, "expects operands of rank >= 1, got shapes " + a.shape() + " and "
                    + b.shape() + "; use mul for a scalar");
        }
        if ((transposeA && a.rank() < 2) || (transposeB && b.rank() < 2)) {
            throw Errors.invalid("matmul", backend, "a transpose flag needs an operand of rank >= 2, got shapes "
                    + a.shape() + " and " + b.shape() + " with transposeA=" + transposeA + ", transposeB="
                    + transposeB);
        }
        if (a.dtype() == DType.BOOL || b.dtype() == DType.BOOL) {
            throw Errors.invalid("matmul", backend, "not defined for bool (shapes " + a.shape() + " and "
                    + b.shape() + ")");
        }
        DType common = DType.promote(a.dtype(), b.dtype());
        Tensor left = onDevice("matmul", cast(a, common));
        Tensor right = onDevice("matmul", cast(b, common));
        boolean vectorLeft = left.rank() == 1;
        boolean vectorRight = right.rank() == 1;
        left = vectorLeft ? left.reshape(1, left.shape().dim(0)) : transposeA ? GradientRules.swapLastTwo(left) : left;
        right = vectorRight ? right.reshape(right.shape().dim(0), 1) : transposeB ? GradientRules.swapLastTwo(right) : right;
        if (left.shape().dim(-1) != right.shape().dim(-2)) {
            throw Errors.invalid("matmul", backend, "inner dimensions differ: shapes " + a.shape() + " and "
                    + b.shape() + (transposeA || transposeB ? " with transposeA=" + transposeA + ", transposeB="
                    + transposeB : "") + " (" + left.shape().dim(-1) + " vs " + right.shape().dim(-2) + ")");
        }
        Shape batchA = leadingDims(left);
        Shape batchB = leadingDims(right);
        Shape batchShape;
        try {
            batchShape = Shape.broadcast("matmul", backend, batchA, batchB);
        } catch (IllegalArgumentException mismatch) {
            throw Errors.invalid("matmul", backend, "batch dimensions " + batchA + " and " + batchB
                    + " do not broadcast: shapes " + a.shape() + " and " + b.shape());
        }
        int batch = Math.toIntExact(batchShape.size());
        int m = left.shape().dim(-2);
        int k = left.shape().dim(-1);
        int n = right.shape().dim(-1);
        StridedView viewA = batchedView(left, batchShape);
        if (viewA == null) { // batch strides that do not merge into one: copy the broadcast operand
            left = contiguous(expand(left, withLastTwo(batchShape, left)));
            viewA = batchedView(left, batchShape);
        }
        StridedView viewB = batchedView(right, batchShape);
        if (viewB == null) {
            right = contiguous(expand(right, withLastTwo(batchShape, right)));
            viewB = batchedView(right, batchShape);
        }
        Shape outShape = withLastTwo(batchShape, m, n);
        Tensor out = Tensor.allocate("matmul", backend, outShape, common);
        StridedView viewOut = StridedView.contiguous(out.storage.buffer, batch, m, n);
        StridedView first = viewA;
        StridedView second = viewB;
        Tensor owner = right; // keeps the buffer of `second` reachable while the backend reads it
        run("matmul", left, () -> Tracer.device(backend).matmul(first, second, viewOut));
        java.lang.ref.Reference.reachabilityFence(owner);
        Tensor product = record(Primitive.MATMUL, out, null, left, right);
        if (vectorLeft || vectorRight) { // numpy: the axis added to a vector operand is removed again
            int[] dims = outShape.dims();
            int[] kept = new int[dims.length - (vectorLeft ? 1 : 0) - (vectorRight ? 1 : 0)];
            int next = 0;
            for (int i = 0; i < dims.length; i++) {
                if (!(vectorLeft && i == dims.length - 2) && !(vectorRight && i == dims.length - 1)) {
                    kept[next++] = dims[i];
                }
            }
            return product.reshape(kept);
        }
        return product;
    }

    /** All dimensions but the last two: a matmul operand's batch shape. */
    private static Shape leadingDims(Tensor x) {
        return Shape.of(Arrays.copyOf(x.shape().dims(), x.rank() - 2));
    }

    /** {@code batch} followed by the last two dimensions of {@code x}. */
    private static Shape withLastTwo(Shape batch, Tensor x) {
        return withLastTwo(batch, x.shape().dim(-2), x.shape().dim(-1));
    }

    private static Shape withLastTwo(Shape batch, int rows, int columns) {
        int[] dims = Arrays.copyOf(batch.dims(), batch.rank() + 2);
        dims[batch.rank()] = rows;
        dims[batch.rank() + 1] = columns;
        return Shape.of(dims);
    }

    /**
     * {@code x} as the backend's {@code (batch, rows, columns)} view, its batch dimensions broadcast to
     * {@code batchShape} (stride 0) and merged into one axis; null when their strides do not merge.
     */
    private static StridedView batchedView(Tensor x, Shape batchShape) {
        int rank = x.rank();
        int extra = batchShape.rank() - (rank - 2);
        long stride = 0;
        long extent = 1;
        boolean started = false;
        for (int i = batchShape.rank() - 1; i >= 0; i--) {
            int size = batchShape.dim(i);
            int own = i - extra;
            long step = own < 0 || x.shape().dim(own) != size ? 0 : x.strides[own];
            if (size == 1) {
                continue;
            }
            if (!started) {
                stride = step;
                started = true;
            } else if (step != stride * extent) {
                return null;
            }
            extent *= size;
        }
        return new StridedView(x.storage.buffer, new int[] {Math.toIntExact(batchShape.size()), x.shape().dim(-2),
                x.shape().dim(-1)}, new long[] {stride, x.strides[rank - 2], x.strides[rank - 1]}, x.offset);
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Runs a backend call, adding the method, the operand and the backend to any failure it reports. Only backend
     * calls run here (core's own validation happened before), so every failure is the backend's and is wrapped.
     */
    static void run(String method, Tensor operand, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException failure) {
            throw Errors.failed(method, operand, failure);
        }
    }

    private static Tensor record(Primitive op, Tensor out, Node.Attributes attributes, Tensor... inputs) {
        GradientTape.record(op, inputs, out, attributes);
        return out;
    }

    static void checkSameBackend(String op, Tensor a, Tensor b) {
        if (a.backend() != b.backend()) {
            throw Errors.invalid(op, a.backend(), "operands live on different backends: "
                    + describeBackend(a) + " (" + a.shape() + ") and " + describeBackend(b) + " (" + b.shape()
                    + "); make both on one backend");
        }
    }

    private static int countTrue(boolean[] flags) {
        int count = 0;
        for (boolean flag : flags) {
            count += flag ? 1 : 0;
        }
        return count;
    }

    /** The backend's name, plus which instance when two of the same name are in play. */
    static String describeBackend(Tensor x) {
        return x.backend().name() + "@" + Integer.toHexString(System.identityHashCode(x.backend()));
    }
}
