package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.List;

/**
 * An immutable n-dimensional array on a backend, the value every Quiver op takes and returns. Its data lives in a
 * backend buffer (host memory for {@code cpu}, device memory for a GPU backend) and is copied to Java only when
 * you read it ({@link #toFloatArray()}, {@link #toArray()}, {@link #floatValue()}, {@link #toString()}).
 *
 * <p>Ops follow numpy broadcasting and the dtype promotion of {@link DType}. A Java number given to an op
 * ({@code x.mul(2)}) is weakly typed: it takes the tensor's dtype when it fits (an integral number with an int
 * tensor, any number with a float tensor); a fractional number with an int tensor promotes to float32.
 * Reshape, transpose, slice and broadcasting are views: they share the buffer and copy nothing.
 *
 * <p>Ops are recorded by every active {@link GradientTape} that watches one of their inputs, so any composition of
 * them can be differentiated.
 *
 * <pre>{@code
 * Tensor a = Tensor.constant(new int[][] {{10, 20, 30}});      // int32, shape (1, 3)
 * Tensor b = Tensor.constant(new double[][] {{1, 2}, {3, 4}}, DType.FLOAT32);
 * Tensor c = b.matmul(b).add(1.0);
 * System.out.println(c);   // Tensor([[8.0 11.0]\n [16.0 23.0]], shape=(2, 2), dtype=float32)
 * float[] values = c.toFloatArray();
 * }</pre>
 */
public class Tensor implements AutoCloseable {
    final Storage storage;
    private final Shape shape;
    final long[] strides;
    final long offset;
    private volatile boolean closed;

    Tensor(Storage storage, Shape shape, long[] strides, long offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        storage.retain();
    }

    /** A new dense tensor whose contents the caller will write. */
    static Tensor allocate(Backend backend, Shape shape, DType dtype) {
        DeviceBuffer buffer = backend.allocate(dtype, shape.size());
        return new Tensor(new Storage(backend, buffer), shape, shape.contiguousStrides(), 0);
    }

    // ================================================================ creation

    /**
     * A tensor from a Java value, like {@code tf.constant}: a number, a boolean, an array or a nested array.
     * {@code double}/{@code float} give float32 (as Python floats do in TensorFlow), {@code int} int32,
     * {@code long} int64, {@code boolean} bool. Nested arrays must be rectangular.
     */
    public static Tensor constant(Object value) {
        HostArrays.Flat flat = HostArrays.flatten(value, "constant");
        return upload(flat, flat.naturalType(), "constant");
    }

    /**
     * A tensor from a Java value converted to {@code dtype}, like {@code tf.convert_to_tensor(value, dtype)}.
     * A value that {@code dtype} cannot hold exactly (1.5 as int32) is an error.
     */
    public static Tensor constant(Object value, DType dtype) {
        if (value instanceof Tensor tensor) {
            return tensor.cast(dtype);
        }
        HostArrays.Flat flat = HostArrays.flatten(value, "constant");
        return upload(flat, dtype, "constant");
    }

    /** Same as {@link #constant(Object, DType)}: TensorFlow's name for it. */
    public static Tensor convertToTensor(Object value, DType dtype) {
        return constant(value, dtype);
    }

    private static Tensor upload(HostArrays.Flat flat, DType dtype, String op) {
        Backend backend = Quiver.backend();
        Object typed = HostArrays.toTyped(flat, dtype, op);
        DeviceBuffer buffer = backend.upload(typed);
        return new Tensor(new Storage(backend, buffer), flat.shape(), flat.shape().contiguousStrides(), 0);
    }

    /** A float32 scalar. */
    public static Tensor scalar(double value) {
        return fill(Shape.scalar(), value, DType.FLOAT32);
    }

    /** A scalar of {@code dtype}, made on the device (no host transfer). */
    public static Tensor scalar(double value, DType dtype) {
        return fill(Shape.scalar(), value, dtype);
    }

    /** A tensor of {@code shape} with every element {@code value}, made on the device (no host transfer). */
    public static Tensor fill(Shape shape, double value, DType dtype) {
        return fill(Quiver.backend(), shape, value, dtype);
    }

    static Tensor fill(Backend backend, Shape shape, double value, DType dtype) {
        Tensor out = allocate(backend, shape, dtype);
        backend.fill(out.view(), value);
        return out;
    }

    public static Tensor zeros(Shape shape, DType dtype) {
        return fill(shape, 0, dtype);
    }

    /** float32 zeros. */
    public static Tensor zeros(int... dims) {
        return fill(Shape.of(dims), 0, DType.FLOAT32);
    }

    public static Tensor ones(Shape shape, DType dtype) {
        return fill(shape, 1, dtype);
    }

    /** float32 ones. */
    public static Tensor ones(int... dims) {
        return fill(Shape.of(dims), 1, DType.FLOAT32);
    }

    /** Zeros with the shape, dtype and backend of {@code like}. */
    public static Tensor zerosLike(Tensor like) {
        return fill(like.backend(), like.shape, 0, like.dtype());
    }

    /** Ones with the shape, dtype and backend of {@code like}. */
    public static Tensor onesLike(Tensor like) {
        return fill(like.backend(), like.shape, 1, like.dtype());
    }

    /** {@code value} everywhere, with the shape, dtype and backend of {@code like}. */
    public static Tensor fillLike(Tensor like, double value) {
        return fill(like.backend(), like.shape, value, like.dtype());
    }

    /**
     * Normal samples, reproducible from {@code seed} on every backend (counter-based Philox, see
     * {@link dev.quiver.spi.Philox}). For a stream of fresh draws use a {@link RandomGenerator}.
     */
    public static Tensor randomNormal(Shape shape, double mean, double standardDeviation, long seed, DType dtype) {
        return random(Quiver.backend(), RandomDistribution.NORMAL, shape, mean, standardDeviation, seed, 0, dtype);
    }

    /** Uniform samples in {@code [low, high)}, reproducible from {@code seed} on every backend. */
    public static Tensor randomUniform(Shape shape, double low, double high, long seed, DType dtype) {
        return random(Quiver.backend(), RandomDistribution.UNIFORM, shape, low, high, seed, 0, dtype);
    }

    static Tensor random(Backend backend, RandomDistribution distribution, Shape shape, double first, double second,
                         long seed, long counter, DType dtype) {
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException("random_" + distribution.name().toLowerCase(java.util.Locale.ROOT)
                    + ": dtype must be float32 or float64, got " + dtype);
        }
        Tensor out = allocate(backend, shape, dtype);
        backend.random(distribution, seed, counter, first, second, out.view());
        return out;
    }

    /** {@code num} evenly spaced float32 values from {@code start} to {@code stop} inclusive (numpy's linspace). */
    public static Tensor linspace(double start, double stop, int num) {
        double[] values = new double[num];
        for (int i = 0; i < num; i++) {
            values[i] = num == 1 ? start : start + (stop - start) * i / (num - 1);
        }
        return constant(values);
    }

    /** The integers {@code 0 .. n-1} as int32 (like {@code tf.range(n)}). */
    public static Tensor range(int n) {
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = i;
        }
        return constant(values);
    }

    // ================================================================ properties

    public Shape shape() {
        return shape;
    }

    public DType dtype() {
        return storage.buffer.dtype();
    }

    public int rank() {
        return shape.rank();
    }

    /** Number of elements. */
    public long size() {
        return shape.size();
    }

    /** The backend that holds this tensor's data. */
    public Backend backend() {
        return storage.backend;
    }

    /** How this tensor lies in its buffer: for backends and advanced users. */
    public StridedView view() {
        return new StridedView(storage.buffer, shape.dims(), strides.clone(), offset);
    }

    // ================================================================ elementwise arithmetic

    public Tensor add(Tensor other) {
        return Ops.binary(Primitive.ADD, this, other);
    }

    public Tensor add(double other) {
        return add(weakScalar(other));
    }

    public Tensor sub(Tensor other) {
        return Ops.binary(Primitive.SUB, this, other);
    }

    public Tensor sub(double other) {
        return sub(weakScalar(other));
    }

    public Tensor mul(Tensor other) {
        return Ops.binary(Primitive.MUL, this, other);
    }

    public Tensor mul(double other) {
        return mul(weakScalar(other));
    }

    public Tensor div(Tensor other) {
        return Ops.binary(Primitive.DIV, this, other);
    }

    public Tensor div(double other) {
        return div(weakScalar(other));
    }

    /** {@code this ** exponent}; both floating (cast ints first). */
    public Tensor pow(Tensor exponent) {
        return Ops.binary(Primitive.POW, this, exponent);
    }

    public Tensor pow(double exponent) {
        return pow(weakScalar(exponent));
    }

    /** Elementwise maximum; NaN if either is NaN. */
    public Tensor maximum(Tensor other) {
        return Ops.binary(Primitive.MAXIMUM, this, other);
    }

    public Tensor maximum(double other) {
        return maximum(weakScalar(other));
    }

    /** Elementwise minimum; NaN if either is NaN. */
    public Tensor minimum(Tensor other) {
        return Ops.binary(Primitive.MINIMUM, this, other);
    }

    public Tensor minimum(double other) {
        return minimum(weakScalar(other));
    }

    public Tensor neg() {
        return Ops.unary(Primitive.NEG, this);
    }

    public Tensor abs() {
        return Ops.unary(Primitive.ABS, this);
    }

    /** -1, 0 or 1 (not differentiable: its gradient is zero almost everywhere). */
    public Tensor sign() {
        return Ops.unary(Primitive.SIGN, this);
    }

    public Tensor exp() {
        return Ops.unary(Primitive.EXP, this);
    }

    /** Natural logarithm. */
    public Tensor log() {
        return Ops.unary(Primitive.LOG, this);
    }

    public Tensor sqrt() {
        return Ops.unary(Primitive.SQRT, this);
    }

    public Tensor square() {
        return mul(this);
    }

    public Tensor sin() {
        return Ops.unary(Primitive.SIN, this);
    }

    public Tensor cos() {
        return Ops.unary(Primitive.COS, this);
    }

    public Tensor tanh() {
        return Ops.unary(Primitive.TANH, this);
    }

    /** {@code 1 / (1 + exp(-x))}. */
    public Tensor sigmoid() {
        // exp(-|x|) never overflows, so neither the value nor its gradient meets inf * 0 = NaN
        Tensor nonNegative = greaterEqual(0.0);
        Tensor small = where(nonNegative, neg(), this).exp();   // exp(-|x|), with a slope of its branch at 0
        Tensor positive = small.add(1.0).reciprocal();          // sigmoid(|x|)
        return where(nonNegative, positive, small.mul(positive));
    }

    /** {@code 1 / x}. */
    public Tensor reciprocal() {
        return fillLike(this, 1.0).div(this);
    }

    /** {@code max(x, 0)}; its gradient at 0 is 0, as in TensorFlow. */
    public Tensor relu() {
        return where(greater(0.0), this, zerosLike(this));
    }

    // ================================================================ comparisons and logic (bool results)

    public Tensor less(Tensor other) {
        return Ops.binary(Primitive.LESS, this, other);
    }

    public Tensor less(double other) {
        return less(weakScalar(other));
    }

    public Tensor lessEqual(Tensor other) {
        return Ops.binary(Primitive.LESS_EQUAL, this, other);
    }

    public Tensor lessEqual(double other) {
        return lessEqual(weakScalar(other));
    }

    public Tensor greater(Tensor other) {
        return Ops.binary(Primitive.GREATER, this, other);
    }

    public Tensor greater(double other) {
        return greater(weakScalar(other));
    }

    public Tensor greaterEqual(Tensor other) {
        return Ops.binary(Primitive.GREATER_EQUAL, this, other);
    }

    public Tensor greaterEqual(double other) {
        return greaterEqual(weakScalar(other));
    }

    public Tensor equal(Tensor other) {
        return Ops.binary(Primitive.EQUAL, this, other);
    }

    public Tensor equal(double other) {
        return equal(weakScalar(other));
    }

    public Tensor notEqual(Tensor other) {
        return Ops.binary(Primitive.NOT_EQUAL, this, other);
    }

    public Tensor notEqual(double other) {
        return notEqual(weakScalar(other));
    }

    public Tensor logicalAnd(Tensor other) {
        return Ops.binary(Primitive.LOGICAL_AND, this, other);
    }

    public Tensor logicalOr(Tensor other) {
        return Ops.binary(Primitive.LOGICAL_OR, this, other);
    }

    public Tensor logicalNot() {
        return Ops.unary(Primitive.LOGICAL_NOT, this);
    }

    /** {@code condition ? whenTrue : whenFalse} elementwise, with broadcasting; the condition is bool. */
    public static Tensor where(Tensor condition, Tensor whenTrue, Tensor whenFalse) {
        return Ops.where(condition, whenTrue, whenFalse);
    }

    // ================================================================ reductions

    /** Sum of all elements (a scalar). */
    public Tensor sum() {
        return Ops.reduce(Primitive.SUM, this, null, false);
    }

    /** Sum over {@code axes} (negative axes count from the end). */
    public Tensor sum(int... axes) {
        return Ops.reduce(Primitive.SUM, this, axes, false);
    }

    /** Sum over {@code axes}, keeping them as size 1 when {@code keepDims}. */
    public Tensor sum(int[] axes, boolean keepDims) {
        return Ops.reduce(Primitive.SUM, this, axes, keepDims);
    }

    public Tensor mean() {
        return mean(null, false);
    }

    public Tensor mean(int... axes) {
        return mean(axes, false);
    }

    /** Mean over {@code axes} ({@code null}: all); integers are averaged in their own dtype, as TensorFlow does. */
    public Tensor mean(int[] axes, boolean keepDims) {
        Tensor total = Ops.reduce(Primitive.SUM, this, axes, keepDims);
        long count = size() / Math.max(1, total.size());
        if (size() == 0) {
            count = 0;
        }
        return total.div((double) count);
    }

    public Tensor max() {
        return Ops.reduce(Primitive.MAX, this, null, false);
    }

    public Tensor max(int... axes) {
        return Ops.reduce(Primitive.MAX, this, axes, false);
    }

    public Tensor max(int[] axes, boolean keepDims) {
        return Ops.reduce(Primitive.MAX, this, axes, keepDims);
    }

    public Tensor min() {
        return Ops.reduce(Primitive.MIN, this, null, false);
    }

    public Tensor min(int... axes) {
        return Ops.reduce(Primitive.MIN, this, axes, false);
    }

    public Tensor min(int[] axes, boolean keepDims) {
        return Ops.reduce(Primitive.MIN, this, axes, keepDims);
    }

    // ================================================================ linear algebra

    /**
     * Matrix product, like {@code tf.matmul} and Python's {@code @}: 2-D {@code (m, k) @ (k, n)}, or batched
     * 3-D {@code (b, m, k) @ (b, k, n)}, where a 2-D operand (or batch 1) is broadcast over the batch.
     */
    public Tensor matmul(Tensor other) {
        return Ops.matmul(this, other);
    }

    // ================================================================ shape and movement (views)

    /** Same data, new shape; one dimension may be {@code -1} (inferred). A view when the data is dense. */
    public Tensor reshape(int... dims) {
        int[] resolved = dims.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < resolved.length; i++) {
            if (resolved[i] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("reshape: only one dimension may be -1, got "
                            + java.util.Arrays.toString(dims));
                }
                inferred = i;
            } else {
                known *= resolved[i];
            }
        }
        if (inferred >= 0) {
            if (known == 0 || size() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + shape + " into "
                        + java.util.Arrays.toString(dims));
            }
            resolved[inferred] = (int) (size() / known);
        }
        return Ops.reshape(this, Shape.of(resolved));
    }

    public Tensor reshape(Shape newShape) {
        return Ops.reshape(this, newShape);
    }

    /** Reverses the axes (a 2-D transpose), like {@code tf.transpose(x)}. */
    public Tensor transpose() {
        int[] reversed = new int[rank()];
        for (int i = 0; i < reversed.length; i++) {
            reversed[i] = reversed.length - 1 - i;
        }
        return Ops.permute(this, reversed);
    }

    /** Permutes the axes: output axis {@code i} is input axis {@code permutation[i]}. */
    public Tensor transpose(int... permutation) {
        return Ops.permute(this, permutation);
    }

    /** Same as {@link #transpose(int...)}. */
    public Tensor permute(int... permutation) {
        return Ops.permute(this, permutation);
    }

    /** Inserts an axis of size 1 at {@code axis} (negative counts from the end of the new rank). */
    public Tensor expandDims(int axis) {
        int at = Shape.normalizeAxis(axis, rank() + 1, "expand_dims");
        int[] dims = new int[rank() + 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            dims[i] = i == at ? 1 : shape.dim(j++);
        }
        return reshape(dims);
    }

    /** Removes every axis of size 1. */
    public Tensor squeeze() {
        return reshape(java.util.Arrays.stream(shape.dims()).filter(d -> d != 1).toArray());
    }

    /** A broadcast view with the given shape (numpy rules), like {@code tf.broadcast_to}. */
    public Tensor broadcastTo(Shape target) {
        return Ops.expand(this, target);
    }

    /**
     * Like {@code tf.slice}: the block starting at {@code begin} with extent {@code size} per axis;
     * {@code size[i] == -1} takes the rest of axis {@code i}. A view.
     */
    public Tensor slice(int[] begin, int[] size) {
        return Ops.slice(this, begin, size);
    }

    /** Elements {@code start} (inclusive) to {@code end} (exclusive) along {@code axis}. A view. */
    public Tensor slice(int axis, int start, int end) {
        int at = Shape.normalizeAxis(axis, rank(), "slice");
        if (start < 0 || end < start || end > shape.dim(at)) {
            throw new IllegalArgumentException("slice: [" + start + ", " + end + ") is out of bounds for axis " + axis
                    + " of shape " + shape);
        }
        int[] begin = new int[rank()];
        int[] size = shape.dims();
        begin[at] = start;
        size[at] = end - start;
        return Ops.slice(this, begin, size);
    }

    /** Joins tensors along an existing axis; dtypes are promoted. */
    public static Tensor concat(List<Tensor> tensors, int axis) {
        return Ops.concat(tensors, axis);
    }

    /** Joins equally shaped tensors along a new axis. */
    public static Tensor stack(List<Tensor> tensors, int axis) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: needs at least one tensor");
        }
        Shape first = tensors.getFirst().shape;
        int at = Shape.normalizeAxis(axis, first.rank() + 1, "stack");
        List<Tensor> expanded = new ArrayList<>();
        for (Tensor tensor : tensors) {
            if (!tensor.shape.equals(first)) {
                throw new IllegalArgumentException("stack: shapes " + first + " and " + tensor.shape + " differ");
            }
            expanded.add(tensor.expandDims(at));
        }
        return Ops.concat(expanded, at);
    }

    /** This tensor converted to {@code dtype} (float to int truncates toward zero; to bool is {@code != 0}). */
    public Tensor cast(DType target) {
        return Ops.cast(this, target);
    }

    /**
     * The same values, invisible to gradient tapes: gradients do not flow through the result
     * (like {@code tf.stop_gradient}).
     */
    public Tensor stopGradient() {
        checkOpen("stop_gradient");
        return new Tensor(storage, shape, strides, offset);
    }

    // ================================================================ reading values

    /** The values in row-major order as float32 (converting from other dtypes). */
    public float[] toFloatArray() {
        Object host = download();
        if (host instanceof float[] floats) {
            return floats;
        }
        float[] out = new float[(int) size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) HostArrays.getDouble(host, i);
        }
        return out;
    }

    /** The values in row-major order as doubles (converting from other dtypes). */
    public double[] toDoubleArray() {
        Object host = download();
        if (host instanceof double[] doubles) {
            return doubles;
        }
        double[] out = new double[(int) size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = HostArrays.getDouble(host, i);
        }
        return out;
    }

    /** The values as int32; an error for other dtypes (cast first: no silent truncation). */
    public int[] toIntArray() {
        requireDType(DType.INT32, "toIntArray");
        return (int[]) download();
    }

    /** The values as int64 (from int32 or int64). */
    public long[] toLongArray() {
        if (!dtype().isIntegral()) {
            throw new IllegalStateException("toLongArray: tensor is " + dtype() + " " + shape + "; cast first");
        }
        Object host = download();
        if (host instanceof long[] longs) {
            return longs;
        }
        long[] out = new long[(int) size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = HostArrays.getLong(host, i);
        }
        return out;
    }

    public boolean[] toBooleanArray() {
        requireDType(DType.BOOL, "toBooleanArray");
        return (boolean[]) download();
    }

    /**
     * The values as a nested Java array of the tensor's own element type ({@code float[][]} for a float32 matrix,
     * a boxed {@code Float} for a scalar): the {@code .numpy()} of the tutorials.
     */
    public Object toArray() {
        return HostArrays.nest(download(), shape.dims());
    }

    /** The single value of a one-element tensor as a float. */
    public float floatValue() {
        return (float) doubleValue();
    }

    /** The single value of a one-element tensor as a double. */
    public double doubleValue() {
        requireSingle("doubleValue");
        return HostArrays.getDouble(download(), 0);
    }

    /** The single value of a one-element integral or bool tensor. */
    public long longValue() {
        requireSingle("longValue");
        if (dtype().isFloating()) {
            throw new IllegalStateException("longValue: tensor is " + dtype() + "; use doubleValue or cast");
        }
        return HostArrays.getLong(download(), 0);
    }

    public int intValue() {
        return Math.toIntExact(longValue());
    }

    public boolean booleanValue() {
        requireSingle("booleanValue");
        requireDType(DType.BOOL, "booleanValue");
        return ((boolean[]) download())[0];
    }

    /** Like TensorFlow: {@code Tensor([[10 20 30]], shape=(1, 3), dtype=int32)}. */
    @Override
    public String toString() {
        if (closed) {
            return "Tensor(<closed>, shape=" + shape + ", dtype=" + dtype() + ")";
        }
        return "Tensor(" + HostArrays.render(download(), shape.dims()) + ", shape=" + shape + ", dtype=" + dtype() + ")";
    }

    /** Copies the values to a Java array of the dtype's element type, waiting for pending device work. */
    Object download() {
        checkOpen("read");
        Tensor dense = view().isContiguous() ? this : Ops.contiguous(stopGradient());
        Object values = backend().download(dense.storage.buffer, dense.offset, size());
        java.lang.ref.Reference.reachabilityFence(dense); // the buffer is released when its tensor is collected
        return values;
    }

    // ================================================================ lifetime

    /**
     * Gives this tensor's hold on its buffer back at once instead of waiting for the garbage collector; the
     * buffer is released when its last view is closed. Using a closed tensor is an error.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            storage.releaseUser();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    void checkOpen(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": tensor of shape " + shape + " and dtype " + storage.buffer.dtype()
                    + " was closed");
        }
    }

    // ================================================================ helpers

    /** A Java number as a scalar of this tensor's dtype when it fits, else float32 (see the class comment). */
    Tensor weakScalar(double value) {
        checkOpen("scalar");
        DType type = dtype();
        boolean integral = value == Math.rint(value) && !Double.isInfinite(value);
        if (type == DType.BOOL) {
            type = integral ? DType.INT32 : DType.FLOAT32;
        } else if (!type.isFloating() && !integral) {
            type = DType.FLOAT32;
        }
        if ((type == DType.INT32 && (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE))
                || (type == DType.INT64 && (value < -0x1p63 || value >= 0x1p63))) {
            throw new IllegalArgumentException("the Java number " + value + " does not fit " + type + " (tensor of shape "
                    + shape + "); cast the tensor first, e.g. x.cast(DType.INT64)");
        }
        return fill(backend(), Shape.scalar(), value, type);
    }

    private void requireSingle(String op) {
        if (size() != 1) {
            throw new IllegalStateException(op + ": tensor has shape " + shape + " (" + size()
                    + " elements), not one value");
        }
    }

    private void requireDType(DType expected, String op) {
        if (dtype() != expected) {
            throw new IllegalStateException(op + ": tensor is " + dtype() + " " + shape + ", not " + expected
                    + "; cast first");
        }
    }
}
