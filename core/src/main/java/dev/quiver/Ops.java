package dev.quiver;

import dev.quiver.spi.Backend;
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
        x.checkOpen(op.opName());
        if (op.requiresFloating() && !x.dtype().isFloating()) {
            throw new IllegalArgumentException(op.opName() + ": expects a floating dtype (float32/float64), got "
                    + x.dtype() + " of shape " + x.shape() + "; cast first, e.g. x.cast(DType.FLOAT32)");
        }
        if (op == Primitive.LOGICAL_NOT && x.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("logical_not: expects bool, got " + x.dtype() + " of shape " + x.shape());
        }
        if (x.dtype() == DType.BOOL && op != Primitive.LOGICAL_NOT) {
            throw new IllegalArgumentException(op.opName() + ": not defined for bool (shape " + x.shape()
                    + "); cast to a numeric dtype first");
        }
        Tensor out = Tensor.allocate(x.backend(), x.shape(), op.producesBool() ? DType.BOOL : x.dtype());
        // called directly, not through run(..., lambda): the most frequent ops pay for no lambda
        try {
            x.backend().unary(op, x.view(), out.view());
        } catch (RuntimeException failure) {
            throw failed(op, x, failure);
        }
        return record(op, out, null, x);
    }

    /** Promotes dtypes, broadcasts shapes (both as recorded ops), then runs the same-shape primitive. */
    static Tensor binary(Primitive op, Tensor a, Tensor b) {
        String name = op.opName();
        a.checkOpen(name);
        b.checkOpen(name);
        checkSameBackend(name, a, b);
        boolean logical = op == Primitive.LOGICAL_AND || op == Primitive.LOGICAL_OR;
        if (logical && (a.dtype() != DType.BOOL || b.dtype() != DType.BOOL)) {
            throw new IllegalArgumentException(name + ": expects bool operands, got " + a.dtype() + " " + a.shape()
                    + " and " + b.dtype() + " " + b.shape());
        }
        DType common = DType.promote(a.dtype(), b.dtype());
        if (common == DType.BOOL && !logical && !op.producesBool()) {
            throw new IllegalArgumentException(name + ": arithmetic is not defined on bool (shapes " + a.shape()
                    + " and " + b.shape() + "); cast to a numeric dtype first");
        }
        if (op.requiresFloating() && !common.isFloating()) {
            throw new IllegalArgumentException(name + ": expects floating operands, got " + a.dtype() + " "
                    + a.shape() + " and " + b.dtype() + " " + b.shape() + "; cast first");
        }
        Shape shape = Shape.broadcast(name, a.shape(), b.shape());
        Tensor left = expand(cast(a, common), shape);
        Tensor right = expand(cast(b, common), shape);
        Tensor out = Tensor.allocate(a.backend(), shape, op.producesBool() ? DType.BOOL : common);
        try {
            a.backend().binary(op, left.view(), right.view(), out.view());
        } catch (RuntimeException failure) {
            throw failed(op, left, failure);
        }
        return record(op, out, null, left, right);
    }

    static Tensor where(Tensor condition, Tensor whenTrue, Tensor whenFalse) {
        for (Tensor t : List.of(condition, whenTrue, whenFalse)) {
            t.checkOpen("where");
        }
        checkSameBackend("where", condition, whenTrue);
        checkSameBackend("where", condition, whenFalse);
        if (condition.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where: the condition must be bool, got " + condition.dtype()
                    + " of shape " + condition.shape());
        }
        DType common = DType.promote(whenTrue.dtype(), whenFalse.dtype());
        Shape shape = Shape.broadcast("where", Shape.broadcast("where", condition.shape(), whenTrue.shape()),
                whenFalse.shape());
        Tensor c = expand(condition, shape);
        Tensor t = expand(cast(whenTrue, common), shape);
        Tensor f = expand(cast(whenFalse, common), shape);
        Tensor out = Tensor.allocate(condition.backend(), shape, common);
        run(Primitive.WHERE, t, () -> condition.backend().where(c.view(), t.view(), f.view(), out.view()));
        return record(Primitive.WHERE, out, null, c, t, f);
    }

    static Tensor cast(Tensor x, DType dtype) {
        x.checkOpen("cast");
        if (x.dtype() == dtype) {
            return x;
        }
        Tensor out = Tensor.allocate(x.backend(), x.shape(), dtype);
        run(Primitive.CAST, x, () -> x.backend().copy(x.view(), out.view()));
        return record(Primitive.CAST, out, null, x);
    }

    /** A dense row-major copy (a no-op for a tensor that already is one). */
    static Tensor contiguous(Tensor x) {
        if (x.view().isContiguous() && x.offset == 0 && x.shape().size() == x.storage.buffer.length()) {
            return x;
        }
        Tensor out = Tensor.allocate(x.backend(), x.shape(), x.dtype());
        run(Primitive.COPY, x, () -> x.backend().copy(x.view(), out.view()));
        return record(Primitive.COPY, out, null, x);
    }

    // ---------------------------------------------------------------- views

    static Tensor reshape(Tensor x, Shape shape) {
        x.checkOpen("reshape");
        if (shape.size() != x.shape().size()) {
            throw new IllegalArgumentException("reshape: cannot reshape " + x.shape() + " (" + x.shape().size()
                    + " elements) into " + shape + " (" + shape.size() + " elements)");
        }
        if (shape.equals(x.shape())) {
            return x;
        }
        Tensor source = x.view().isContiguous() ? x : contiguous(x);
        Tensor out = new Tensor(source.storage, shape, shape.contiguousStrides(), source.offset);
        return record(Primitive.RESHAPE, out, x.shape(), source);
    }

    static Tensor permute(Tensor x, int[] axes) {
        x.checkOpen("transpose");
        int rank = x.rank();
        if (axes.length != rank) {
            throw new IllegalArgumentException("transpose: permutation " + Arrays.toString(axes)
                    + " has the wrong length for shape " + x.shape());
        }
        int[] permutation = new int[rank];
        boolean[] seen = new boolean[rank];
        boolean identity = true;
        for (int i = 0; i < rank; i++) {
            int axis = Shape.normalizeAxis(axes[i], rank, "transpose");
            if (seen[axis]) {
                throw new IllegalArgumentException("transpose: " + Arrays.toString(axes)
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
        return record(Primitive.PERMUTE, out, permutation, x);
    }

    /** Broadcast to {@code shape} without copying: new leading axes and size-1 axes get stride 0. */
    static Tensor expand(Tensor x, Shape shape) {
        if (x.shape().equals(shape)) {
            return x;
        }
        int rank = shape.rank();
        int extra = rank - x.rank();
        // broadcasting may only grow x: the broadcast of the two shapes must be the target itself
        if (extra < 0 || !Shape.broadcast("broadcast_to", x.shape(), shape).equals(shape)) {
            throw new IllegalArgumentException("broadcast_to: cannot broadcast " + x.shape() + " to " + shape);
        }
        long[] strides = new long[rank];
        for (int i = 0; i < rank; i++) {
            strides[i] = i < extra || x.shape().dim(i - extra) != shape.dim(i) ? 0 : x.strides[i - extra];
        }
        Tensor out = new Tensor(x.storage, shape, strides, x.offset);
        return record(Primitive.EXPAND, out, x.shape(), x);
    }

    /** {@code tf.slice}: {@code size[i] == -1} means "to the end". */
    static Tensor slice(Tensor x, int[] begin, int[] size) {
        x.checkOpen("slice");
        int rank = x.rank();
        if (begin.length != rank || size.length != rank) {
            throw new IllegalArgumentException("slice: begin " + Arrays.toString(begin) + " and size "
                    + Arrays.toString(size) + " must both have rank " + rank + " for shape " + x.shape());
        }
        int[] dims = new int[rank];
        long offset = x.offset;
        for (int i = 0; i < rank; i++) {
            int extent = size[i] == -1 ? x.shape().dim(i) - begin[i] : size[i];
            if (begin[i] < 0 || extent < 0 || begin[i] + extent > x.shape().dim(i)) {
                throw new IllegalArgumentException("slice: begin " + Arrays.toString(begin) + " size "
                        + Arrays.toString(size) + " is out of bounds for shape " + x.shape());
            }
            dims[i] = extent;
            offset += begin[i] * x.strides[i];
        }
        Tensor out = new Tensor(x.storage, Shape.of(dims), x.strides.clone(), offset);
        return record(Primitive.SLICE, out, new SliceBounds(x.shape(), begin.clone()), x);
    }

    /** Bounds of a slice, kept for its gradient (and the gradient's gradient). */
    record SliceBounds(Shape full, int[] begin) {
    }

    /** The adjoint of {@link #slice}: zeros of {@code bounds.full} with {@code x} written at {@code bounds.begin}. */
    static Tensor pad(Tensor x, SliceBounds bounds) {
        Tensor out = Tensor.allocate(x.backend(), bounds.full(), x.dtype());
        long offset = 0;
        long[] strides = bounds.full().contiguousStrides();
        for (int i = 0; i < strides.length; i++) {
            offset += bounds.begin()[i] * strides[i];
        }
        StridedView window = new StridedView(out.storage.buffer, x.shape().dims(), strides, offset);
        run(Primitive.PAD, x, () -> {
            x.backend().fill(out.view(), 0);
            x.backend().copy(x.view(), window);
        });
        return record(Primitive.PAD, out, bounds, x);
    }

    static Tensor concat(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat: needs at least one tensor");
        }
        Tensor first = parts.getFirst();
        int rank = first.rank();
        if (rank == 0) {
            throw new IllegalArgumentException("concat: cannot concatenate scalars; use stack");
        }
        int along = Shape.normalizeAxis(axis, rank, "concat");
        DType dtype = first.dtype();
        int total = 0;
        for (Tensor part : parts) {
            part.checkOpen("concat");
            checkSameBackend("concat", first, part);
            dtype = DType.promote(dtype, part.dtype());
            boolean compatible = part.rank() == rank;
            for (int i = 0; compatible && i < rank; i++) {
                compatible = i == along || part.shape().dim(i) == first.shape().dim(i);
            }
            if (!compatible) {
                throw new IllegalArgumentException("concat: shapes " + first.shape() + " and " + part.shape()
                        + " differ outside axis " + axis);
            }
            total += part.shape().dim(along);
        }
        int[] dims = first.shape().dims();
        dims[along] = total;
        Tensor out = Tensor.allocate(first.backend(), Shape.of(dims), dtype);
        Tensor[] inputs = new Tensor[parts.size()];
        int[] starts = new int[parts.size()];
        long[] strides = out.strides;
        int start = 0;
        for (int p = 0; p < inputs.length; p++) {
            Tensor part = cast(parts.get(p), dtype);
            inputs[p] = part;
            starts[p] = start;
            StridedView window = new StridedView(out.storage.buffer, part.shape().dims(), strides,
                    start * strides[along]);
            run(Primitive.CONCAT, part, () -> part.backend().copy(part.view(), window));
            start += part.shape().dim(along);
        }
        return record(Primitive.CONCAT, out, new int[] {along}, inputs);
    }

    // ---------------------------------------------------------------- reductions and matmul

    /** Reduction attributes, kept for the gradient: which axes, and the shape with those axes kept as 1. */
    record ReduceAxes(int[] axes, Shape keptShape) {
    }

    static Tensor reduce(Primitive op, Tensor x, int[] axes, boolean keepDims) {
        String name = "reduce_" + op.opName();
        x.checkOpen(name);
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(name + ": not defined for bool (shape " + x.shape()
                    + "); cast to int32 first to count");
        }
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        if (axes == null) {
            Arrays.fill(reduced, true);
        } else {
            for (int axis : axes) {
                int a = Shape.normalizeAxis(axis, rank, name);
                if (reduced[a]) {
                    throw new IllegalArgumentException(name + ": axis " + axis + " repeated in " + Arrays.toString(axes));
                }
                reduced[a] = true;
            }
        }
        int[] keptDims = x.shape().dims();
        List<Integer> outDims = new java.util.ArrayList<>();
        long reducedCount = 1;
        int[] reducedAxes = new int[countTrue(reduced)];
        for (int i = 0, r = 0; i < rank; i++) {
            if (reduced[i]) {
                reducedCount *= keptDims[i];
                keptDims[i] = 1;
                reducedAxes[r++] = i;
                if (keepDims) {
                    outDims.add(1);
                }
            } else {
                outDims.add(keptDims[i]);
            }
        }
        if (reducedCount == 0 && op != Primitive.SUM) {
            throw new IllegalArgumentException(name + ": cannot reduce zero elements (shape " + x.shape()
                    + ", axes " + Arrays.toString(reducedAxes) + ")");
        }
        Shape outShape = Shape.of(outDims.stream().mapToInt(Integer::intValue).toArray());
        Tensor out = Tensor.allocate(x.backend(), outShape, x.dtype());
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
        StridedView source;
        Tensor owner = x; // holds the buffer that `source` points into until the backend has read it
        if (x.view().isContiguous() && last - first + 1 == reducedAxes.length) {
            // the reduced axes are one run of a dense tensor: reduce in place as (outer, reduced, inner)
            for (int i = last + 1; i < rank; i++) {
                inner *= x.shape().dim(i);
            }
            source = x.view();
        } else {
            owner = arranged(x, order);
            source = owner.view();
        }
        long outer = outShape.size() / Math.max(1, inner);
        StridedView block = new StridedView(source.buffer(), new int[] {(int) outer, (int) reducedCount, (int) inner},
                new long[] {reducedCount * inner, inner, 1}, source.offset());
        StridedView target = new StridedView(out.storage.buffer, new int[] {(int) outer, (int) inner},
                new long[] {inner, 1}, 0);
        run(op, x, () -> x.backend().reduce(op, block, target));
        java.lang.ref.Reference.reachabilityFence(owner); // a StridedView does not keep its storage alive
        return record(op, out, new ReduceAxes(reducedAxes, Shape.of(keptDims)), x);
    }

    /** {@code x} permuted by {@code order} as a dense buffer view (copying only when it is not one already). */
    private static Tensor arranged(Tensor x, int[] order) {
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
        Tensor dense = Tensor.allocate(x.backend(), Shape.of(dims), x.dtype());
        x.backend().copy(view, dense.view());
        return dense;
    }

    static Tensor matmul(Tensor a, Tensor b) {
        a.checkOpen("matmul");
        b.checkOpen("matmul");
        checkSameBackend("matmul", a, b);
        if (a.rank() < 2 || b.rank() < 2 || a.rank() > 3 || b.rank() > 3) {
            throw new IllegalArgumentException("matmul: expects 2-D or batched 3-D operands, got shapes "
                    + a.shape() + " and " + b.shape());
        }
        if (a.shape().dim(-1) != b.shape().dim(-2)) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: shapes " + a.shape() + " and "
                    + b.shape() + " (" + a.shape().dim(-1) + " vs " + b.shape().dim(-2) + ")");
        }
        if (a.dtype() == DType.BOOL || b.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("matmul: not defined for bool (shapes " + a.shape() + " and "
                    + b.shape() + ")");
        }
        int batchA = a.rank() == 3 ? a.shape().dim(0) : 1;
        int batchB = b.rank() == 3 ? b.shape().dim(0) : 1;
        if (batchA != batchB && batchA != 1 && batchB != 1) {
            throw new IllegalArgumentException("matmul: batch dimensions differ: shapes " + a.shape() + " and "
                    + b.shape());
        }
        DType common = DType.promote(a.dtype(), b.dtype());
        Tensor left = cast(a, common);
        Tensor right = cast(b, common);
        int batch = batchA == 1 ? batchB : batchA; // numpy: a batch of 1 broadcasts, even against 0
        int m = a.shape().dim(-2);
        int k = a.shape().dim(-1);
        int n = b.shape().dim(-1);
        boolean batched = a.rank() == 3 || b.rank() == 3;
        Shape outShape = batched ? Shape.of(batch, m, n) : Shape.of(m, n);
        Tensor out = Tensor.allocate(a.backend(), outShape, common);
        StridedView viewA = batchedView(left, batch);
        StridedView viewB = batchedView(right, batch);
        StridedView viewOut = StridedView.contiguous(out.storage.buffer, batch, m, n);
        run(Primitive.MATMUL, left, () -> a.backend().matmul(viewA, viewB, viewOut));
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

    /** Runs a backend call, adding the op, the operand and the backend to any failure it reports. */
    static void run(Primitive op, Tensor operand, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException failure) {
            throw failed(op, operand, failure);
        }
    }

    /** The failure itself when it already names the op, else it wrapped with the op, operand and backend. */
    private static RuntimeException failed(Primitive op, Tensor operand, RuntimeException failure) {
        if (failure.getMessage() != null && failure.getMessage().contains(op.opName())) {
            return failure;
        }
        return new IllegalStateException(op.opName() + " failed on backend " + operand.backend().name()
                + " for " + operand.dtype() + " " + operand.shape() + ": " + failure.getMessage(), failure);
    }

    private static Tensor record(Primitive op, Tensor out, Object attributes, Tensor... inputs) {
        GradientTape.record(op, inputs, out, attributes);
        return out;
    }

    static void checkSameBackend(String op, Tensor a, Tensor b) {
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(op + ": operands live on different backends: "
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
    private static String describeBackend(Tensor x) {
        return x.backend().name() + "@" + Integer.toHexString(System.identityHashCode(x.backend()));
    }
}
