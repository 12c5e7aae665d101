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
            x.backend().unary(op, x.view(), out.view());
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
            a.backend().binary(op, left.view(), right.view(), out.view());
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
        run("where", t, () -> backend.where(c.view(), t.view(), f.view(), out.view()));
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
        run("cast", x, () -> x.backend().copy(x.view(), out.view()));
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
        run("copy", x, () -> x.backend().copy(x.view(), out.view()));
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
        run(method, x, () -> x.backend().fill(out.view(), scalar.value()));
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
        Tensor x = onDevice("pad", g);
        Tensor out = Tensor.allocate("pad", x.backend(), bounds.full(), x.dtype());
        long offset = 0;
        long[] strides = bounds.full().contiguousStrides();
        for (int i = 0; i < strides.length; i++) {
            offset += bounds.begin()[i] * strides[i];
        }
        StridedView window = new StridedView(out.storage.buffer, x.shape().dims(), strides, offset);
        run("pad", x, () -> {
            x.backend().fill(out.view(), 0);
            x.backend().copy(x.view(), window);
        });
        return record(Primitive.PAD, out, bounds, x);
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
            run(method, part, () -> part.backend().copy(part.view(), window));
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
        run(name, x, () -> x.backend().reduce(op, block, target));
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
        run(method, x, () -> x.backend().copy(view, dense.view()));
        return dense;
    }

    static Tensor matmul(Tensor a, Tensor b) {
        a.checkOpen("matmul");
        Errors.notNull(b, "matmul", "other").checkOpen("matmul");
        checkSameBackend("matmul", a, b);
        Backend backend = a.backend();
        if (a.rank() < 2 || b.rank() < 2 || a.rank() > 3 || b.rank() > 3) {
            throw Errors.invalid("matmul", backend, "expects 2-D or batched 3-D operands, got shapes "
                    + a.shape() + " and " + b.shape());
        }
        if (a.shape().dim(-1) != b.shape().dim(-2)) {
            throw Errors.invalid("matmul", backend, "inner dimensions differ: shapes " + a.shape() + " and "
                    + b.shape() + " (" + a.shape().dim(-1) + " vs " + b.shape().dim(-2) + ")");
        }
        if (a.dtype() == DType.BOOL || b.dtype() == DType.BOOL) {
            throw Errors.invalid("matmul", backend, "not defined for bool (shapes " + a.shape() + " and "
                    + b.shape() + ")");
        }
        int batchA = a.rank() == 3 ? a.shape().dim(0) : 1;
        int batchB = b.rank() == 3 ? b.shape().dim(0) : 1;
        if (batchA != batchB && batchA != 1 && batchB != 1) {
            throw Errors.invalid("matmul", backend, "batch dimensions differ: shapes " + a.shape() + " and "
                    + b.shape());
        }
        DType common = DType.promote(a.dtype(), b.dtype());
        Tensor left = onDevice("matmul", cast(a, common));
        Tensor right = onDevice("matmul", cast(b, common));
        int batch = batchA == 1 ? batchB : batchA; // numpy: a batch of 1 broadcasts, even against 0
        int m = a.shape().dim(-2);
        int k = a.shape().dim(-1);
        int n = b.shape().dim(-1);
        boolean batched = a.rank() == 3 || b.rank() == 3;
        Shape outShape = batched ? Shape.of(batch, m, n) : Shape.of(m, n);
        Tensor out = Tensor.allocate("matmul", backend, outShape, common);
        StridedView viewA = batchedView(left, batch);
        StridedView viewB = batchedView(right, batch);
        StridedView viewOut = StridedView.contiguous(out.storage.buffer, batch, m, n);
        run("matmul", left, () -> backend.matmul(viewA, viewB, viewOut));
        return record(Primitive.MATMUL, out, null, left, right);
    }

    private static StridedView batchedView(Tensor x, int batch) {
        int rows = x.shape().dim(-2);
        int columns = x.shape().dim(-1);
        long rowStride = x.strides[x.rank() - 2];
        long columnStride = x.strides[x.rank() - 1];
        long batchStride = x.rank() == 3 && x.shape().dim(0) == batch ? x.strides[0] : 0;
        return new StridedView(x.storage.buffer, new int[] {batch, rows, columns},
                new long[] {batchStride, rowStride, columnStride}, x.offset);
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
