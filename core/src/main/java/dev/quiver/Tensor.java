package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.HostScalar;
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
    /**
     * The marks of the {@link GradientTape}s that track this tensor: null, one {@code GradientTape.Mark}, or an
     * array of them (nested tapes). Written only by GradientTape, with compare-and-set.
     */
    volatile Object tapeMarks;

    Tensor(Storage storage, Shape shape, long[] strides, long offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        storage.retain();
    }

    /**
     * A new dense tensor whose contents the caller will write. A backend that cannot hold it (device memory, the
     * Java heap, a buffer size limit) fails here with {@code method}, the shape, the bytes and the backend named.
     */
    static Tensor allocate(String method, Backend backend, Shape shape, DType dtype) {
        DeviceBuffer buffer;
        try {
            buffer = Tracer.device(backend).allocate(dtype, shape.size());
        } catch (RuntimeException failure) {
            throw Errors.allocationFailed(method, backend, shape, dtype, failure);
        }
        return new Tensor(new Storage(backend, buffer), shape, shape.sharedStrides(), 0);
    }

    // ================================================================ creation
    //
    // Every factory that makes a tensor of a shape takes the shape as int... (or int[]) and as a Shape, with float32
    // by default and an optional DType; scalars and Java values take a DType too.

    /**
     * A tensor from a Java value, like {@code tf.constant}: a number, a boolean, an array or a nested array.
     * {@code double}/{@code float} give float32 (as Python floats do in TensorFlow), {@code int} int32,
     * {@code long} int64, {@code boolean} bool; boxed values ({@code Object[]} of {@code Long}s) follow their
     * Java type, the widest one winning ({@code Integer} and {@code Long} give int64, any {@code Double} float32).
     * Nested arrays must be rectangular. An empty array keeps the rank of its Java type, with 0 for the lengths
     * Java does not keep ({@code new float[0][5]} holds no row, so it becomes shape {@code (0, 0)}; use
     * {@code zeros(0, 5)} or {@code reshape(0, 5)} for {@code (0, 5)}).
     */
    public static Tensor constant(Object value) {
        return fromJava("constant", value);
    }

    /** A Java value as a tensor of its natural dtype; errors name {@code method}. */
    static Tensor fromJava(String method, Object value) {
        Backend backend = Quiver.backend();
        HostArrays.Flat flat = HostArrays.flatten(value, method, backend);
        return upload(backend, flat, flat.naturalType(), method);
    }

    /**
     * A tensor from a Java value converted to {@code dtype}, like {@code tf.convert_to_tensor(value, dtype)}.
     * A value that {@code dtype} cannot hold exactly (1.5 as int32) is an error.
     */
    public static Tensor constant(Object value, DType dtype) {
        return constant("constant", value, dtype);
    }

    /** A Java value (or a tensor) as a tensor of {@code dtype}; errors name {@code method}. */
    static Tensor constant(String method, Object value, DType dtype) {
        Errors.notNull(dtype, method, "dtype");
        if (value instanceof Tensor tensor) {
            return tensor.cast(dtype);
        }
        Backend backend = Quiver.backend();
        HostArrays.Flat flat = HostArrays.flatten(value, method, backend);
        return upload(backend, flat, dtype, method);
    }

    /** Same as {@link #constant(Object, DType)}: TensorFlow's name for it. */
    public static Tensor convertToTensor(Object value, DType dtype) {
        return constant("convertToTensor", value, dtype);
    }

    /**
     * Same as {@link #constant(Object)}, named like {@link Variable#of(Object)} and Java's {@code List.of}: a Java
     * value (number, boolean, array, nested array) as a tensor. It is deliberately not a varargs vector maker
     * ({@code of(1, 2, 3)}): {@code Variable.of(3.6)} is a scalar, and {@code Tensor.of(3.6)} must be one too.
     *
     * <pre>{@code
     * Tensor x = Tensor.of(new double[][] {{1, 2}, {3, 4}});   // float32, shape (2, 2)
     * Tensor n = Tensor.of(7L);                                // int64 scalar
     * }</pre>
     */
    public static Tensor of(Object value) {
        return fromJava("of", value);
    }

    /** Same as {@link #constant(Object, DType)}: {@code Tensor.of(new int[] {1, 2}, DType.FLOAT64)}. */
    public static Tensor of(Object value, DType dtype) {
        return constant("of", value, dtype);
    }

    private static Tensor upload(Backend backend, HostArrays.Flat flat, DType dtype, String method) {
        Object typed = HostArrays.toTyped(flat, dtype, method, backend);
        DeviceBuffer buffer;
        try {
            buffer = Tracer.device(backend).upload(typed);
        } catch (RuntimeException failure) {
            throw Errors.allocationFailed(method, backend, flat.shape(), dtype, failure);
        }
        return new Tensor(new Storage(backend, buffer), flat.shape(), flat.shape().sharedStrides(), 0);
    }

    /** A float32 scalar. */
    public static Tensor scalar(double value) {
        return scalar(value, DType.FLOAT32);
    }

    /**
     * A scalar of {@code dtype}, with no device work at all: it is held as a {@link HostScalar}, which ops pass to
     * their kernels as an argument, and becomes a device buffer only where an op needs one (matmul, reductions,
     * variables).
     */
    public static Tensor scalar(double value, DType dtype) {
        return fill("scalar", Quiver.backend(), Shape.scalar(), value, dtype);
    }

    /**
     * A scalar of {@code dtype} on {@code backend} (the others use the backend in use): for state that must live
     * beside given tensors, such as an optimizer's step count beside its variables.
     */
    public static Tensor scalar(Backend backend, double value, DType dtype) {
        Errors.notNull(backend, "scalar", "backend");
        return fill("scalar", backend, Shape.scalar(), value, dtype);
    }

    /** A float32 tensor of {@code shape} with every element {@code value}, made on the device. */
    public static Tensor fill(Shape shape, double value) {
        return fill("fill", Quiver.backend(), shape, value, DType.FLOAT32);
    }

    /** A tensor of {@code shape} with every element {@code value}, made on the device (no host transfer). */
    public static Tensor fill(Shape shape, double value, DType dtype) {
        return fill("fill", Quiver.backend(), shape, value, dtype);
    }

    /** A float32 tensor of dimensions {@code dims}, every element {@code value}, like {@code tf.fill(dims, value)}. */
    public static Tensor fill(int[] dims, double value) {
        return fill(dims, value, DType.FLOAT32);
    }

    /** A tensor of dimensions {@code dims} and {@code dtype} with every element {@code value}. */
    public static Tensor fill(int[] dims, double value, DType dtype) {
        return fill("fill", dims, value, dtype);
    }

    /** The {@code int...} forms of the factories: the shape is checked under the name of {@code method}. */
    private static Tensor fill(String method, int[] dims, double value, DType dtype) {
        Backend backend = Quiver.backend();
        return fill(method, backend, Shape.of(method, backend, dims), value, dtype);
    }

    /**
     * The one place tensors of one value are made: validates, allocates, fills on the backend. A rank-0 tensor is
     * a {@link HostScalar} instead: no allocation and no fill, its value reaches kernels as an argument.
     */
    static Tensor fill(String method, Backend backend, Shape shape, double value, DType dtype) {
        Errors.notNull(shape, method, "shape");
        Errors.notNull(dtype, method, "dtype");
        if (shape.rank() == 0) {
            return hostScalar(backend, dtype, value);
        }
        Tensor out = allocate(method, backend, shape, dtype);
        try { // not Ops.run(lambda): zeros/ones are on a program's first path, and cold start pays for a lambda
            Tracer.device(backend).fill(out.view(), value);
        } catch (RuntimeException failure) {
            throw Errors.failed(method, out, failure);
        }
        return out;
    }

    /** float32 zeros of dimensions {@code dims}. */
    public static Tensor zeros(int... dims) {
        return zeros(DType.FLOAT32, dims);
    }

    /** Zeros of dimensions {@code dims} and {@code dtype}: {@code Tensor.zeros(DType.INT64, 2, 3)}. */
    public static Tensor zeros(DType dtype, int... dims) {
        return fill("zeros", dims, 0, dtype);
    }

    /** float32 zeros of {@code shape}. */
    public static Tensor zeros(Shape shape) {
        return fill("zeros", Quiver.backend(), shape, 0, DType.FLOAT32);
    }

    /** Zeros of {@code shape} and {@code dtype}. */
    public static Tensor zeros(Shape shape, DType dtype) {
        return fill("zeros", Quiver.backend(), shape, 0, dtype);
    }

    /** float32 ones of dimensions {@code dims}. */
    public static Tensor ones(int... dims) {
        return ones(DType.FLOAT32, dims);
    }

    /** Ones of dimensions {@code dims} and {@code dtype}: {@code Tensor.ones(DType.FLOAT64, 3)}. */
    public static Tensor ones(DType dtype, int... dims) {
        return fill("ones", dims, 1, dtype);
    }

    /** float32 ones of {@code shape}. */
    public static Tensor ones(Shape shape) {
        return fill("ones", Quiver.backend(), shape, 1, DType.FLOAT32);
    }

    /** Ones of {@code shape} and {@code dtype}. */
    public static Tensor ones(Shape shape, DType dtype) {
        return fill("ones", Quiver.backend(), shape, 1, dtype);
    }

    /** Zeros with the shape, dtype and backend of {@code like}. */
    public static Tensor zerosLike(Tensor like) {
        return zerosLike(like, Errors.notNull(like, "zerosLike", "like").dtype());
    }

    /** Zeros with the shape and backend of {@code like}, of {@code dtype}. */
    public static Tensor zerosLike(Tensor like, DType dtype) {
        Errors.notNull(like, "zerosLike", "like").checkOpen("zerosLike");
        return fill("zerosLike", like.backend(), like.shape, 0, dtype);
    }

    /** Ones with the shape, dtype and backend of {@code like}. */
    public static Tensor onesLike(Tensor like) {
        return onesLike(like, Errors.notNull(like, "onesLike", "like").dtype());
    }

    /** Ones with the shape and backend of {@code like}, of {@code dtype}. */
    public static Tensor onesLike(Tensor like, DType dtype) {
        Errors.notNull(like, "onesLike", "like").checkOpen("onesLike");
        return fill("onesLike", like.backend(), like.shape, 1, dtype);
    }

    /** {@code value} everywhere, with the shape, dtype and backend of {@code like}. */
    public static Tensor fillLike(Tensor like, double value) {
        Errors.notNull(like, "fillLike", "like").checkOpen("fillLike");
        return fill("fillLike", like.backend(), like.shape, value, like.dtype());
    }

    /**
     * float32 normal samples, reproducible from {@code seed} on every backend (counter-based Philox, see
     * {@link dev.quiver.spi.Philox}). For a stream of fresh draws use a {@link RandomGenerator}.
     */
    public static Tensor randomNormal(Shape shape, double mean, double standardDeviation, long seed) {
        return randomNormal(shape, mean, standardDeviation, seed, DType.FLOAT32);
    }

    /** Normal samples of {@code dtype} (float32 or float64), reproducible from {@code seed} on every backend. */
    public static Tensor randomNormal(Shape shape, double mean, double standardDeviation, long seed, DType dtype) {
        return random("randomNormal", Quiver.backend(), RandomDistribution.NORMAL, shape, mean, standardDeviation,
                seed, 0, dtype);
    }

    /** float32 normal samples of dimensions {@code dims}, reproducible from {@code seed}. */
    public static Tensor randomNormal(int[] dims, double mean, double standardDeviation, long seed) {
        return randomNormal(dims, mean, standardDeviation, seed, DType.FLOAT32);
    }

    /** Normal samples of dimensions {@code dims} and {@code dtype}, reproducible from {@code seed}. */
    public static Tensor randomNormal(int[] dims, double mean, double standardDeviation, long seed, DType dtype) {
        Backend backend = Quiver.backend();
        return random("randomNormal", backend, RandomDistribution.NORMAL, Shape.of("randomNormal", backend, dims),
                mean, standardDeviation, seed, 0, dtype);
    }

    /** float32 uniform samples in {@code [low, high)}, reproducible from {@code seed} on every backend. */
    public static Tensor randomUniform(Shape shape, double low, double high, long seed) {
        return randomUniform(shape, low, high, seed, DType.FLOAT32);
    }

    /** Uniform samples in {@code [low, high)}, reproducible from {@code seed} on every backend. */
    public static Tensor randomUniform(Shape shape, double low, double high, long seed, DType dtype) {
        return random("randomUniform", Quiver.backend(), RandomDistribution.UNIFORM, shape, low, high, seed, 0,
                dtype);
    }

    /** float32 uniform samples in {@code [low, high)} of dimensions {@code dims}, reproducible from {@code seed}. */
    public static Tensor randomUniform(int[] dims, double low, double high, long seed) {
        return randomUniform(dims, low, high, seed, DType.FLOAT32);
    }

    /** Uniform samples in {@code [low, high)} of dimensions {@code dims} and {@code dtype}. */
    public static Tensor randomUniform(int[] dims, double low, double high, long seed, DType dtype) {
        Backend backend = Quiver.backend();
        return random("randomUniform", backend, RandomDistribution.UNIFORM, Shape.of("randomUniform", backend, dims),
                low, high, seed, 0, dtype);
    }

    static Tensor random(String method, Backend backend, RandomDistribution distribution, Shape shape, double first,
                         double second, long seed, long counter, DType dtype) {
        Errors.notNull(shape, method, "shape");
        Errors.notNull(dtype, method, "dtype");
        if (!dtype.isFloating()) {
            throw Errors.invalid(method, backend, "dtype must be float32 or float64, got " + dtype);
        }
        Tensor out = allocate(method, backend, shape, dtype);
        try {
            Tracer.device(backend).random(distribution, seed, counter, first, second, out.view());
        } catch (RuntimeException failure) {
            throw Errors.failed(method, out, failure);
        }
        return out;
    }

    /** {@code num} evenly spaced float32 values from {@code start} to {@code stop} inclusive (numpy's linspace). */
    public static Tensor linspace(double start, double stop, int num) {
        return linspace(start, stop, num, DType.FLOAT32);
    }

    /** {@code num} evenly spaced values of floating {@code dtype} from {@code start} to {@code stop} inclusive. */
    public static Tensor linspace(double start, double stop, int num, DType dtype) {
        Errors.notNull(dtype, "linspace", "dtype");
        if (num < 0) {
            throw Errors.invalid("linspace", Quiver.backend(), "num must be >= 0, got " + num);
        }
        double[] values = new double[num];
        for (int i = 0; i < num; i++) {
            values[i] = num == 1 ? start : start + (stop - start) * i / (num - 1);
        }
        return constant("linspace", values, dtype);
    }

    /** The integers {@code 0 .. n-1} as int32 (like {@code tf.range(n)}). */
    public static Tensor range(int n) {
        return range(n, DType.INT32);
    }

    /** The integers {@code 0 .. n-1} as {@code dtype} (like {@code tf.range(n, dtype=...)}). */
    public static Tensor range(int n, DType dtype) {
        Errors.notNull(dtype, "range", "dtype");
        if (n < 0) {
            throw Errors.invalid("range", Quiver.backend(), "n must be >= 0, got " + n);
        }
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = i;
        }
        return constant("range", values, dtype);
    }

    // ================================================================ properties

    /** The dimensions. */
    public Shape shape() {
        return shape;
    }

    /** The element type. */
    public DType dtype() {
        return storage.buffer.dtype();
    }

    /** The number of dimensions (0 for a scalar). */
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

    /**
     * The backend to call for this tensor's work: its own, or while a step is being traced on this thread, the
     * tracer's recorder in front of it ({@link Tracer}). Core calls backends only through this and
     * {@link Tracer#device(Backend)}, so that nothing escapes a trace.
     */
    Backend device() {
        return Tracer.device(storage.backend);
    }

    /**
     * How this tensor lies in its buffer: for backends and advanced users. The buffer of a number given to an op
     * ({@code x.mul(2.0)}) or of a rank-0 factory tensor is a {@link HostScalar}, which only the inputs of the
     * elementwise backend calls accept.
     */
    public StridedView view() {
        Tracer.touch(storage);
        return new StridedView(storage.buffer, shape.dims(), strides.clone(), offset);
    }

    /** {@code view().isContiguous()}, without building the view (core asks this on every reshape and reduction). */
    boolean isContiguous() {
        return shape.isContiguous(strides);
    }

    // ================================================================ elementwise arithmetic

    /** {@code this + other} elementwise, with broadcasting and dtype promotion. */
    public Tensor add(Tensor other) {
        return Ops.binary(Primitive.ADD, this, other);
    }

    /** {@code this + other} for a Java number (weakly typed: see the class comment). */
    public Tensor add(double other) {
        return add(weakScalar("add", other));
    }

    /** {@code this - other} elementwise, with broadcasting and dtype promotion. */
    public Tensor sub(Tensor other) {
        return Ops.binary(Primitive.SUB, this, other);
    }

    /** {@code this - other} for a Java number. */
    public Tensor sub(double other) {
        return sub(weakScalar("sub", other));
    }

    /** {@code this * other} elementwise, with broadcasting and dtype promotion. */
    public Tensor mul(Tensor other) {
        return Ops.binary(Primitive.MUL, this, other);
    }

    /** {@code this * other} for a Java number. */
    public Tensor mul(double other) {
        return mul(weakScalar("mul", other));
    }

    /**
     * {@code this / other} elementwise, TensorFlow's true division: int32 and int64 operands divide as float64
     * ({@code [7, -7] / [2, 2]} is {@code [3.5, -3.5]}, float64); for Python's {@code //} see {@link #floorDiv}.
     */
    public Tensor div(Tensor other) {
        checkOpen("div");
        Errors.notNull(other, "div", "other").checkOpen("div");
        if (DType.promote(dtype(), other.dtype()).isIntegral()) {
            return Ops.binary(Primitive.DIV, "div", cast(DType.FLOAT64), other.cast(DType.FLOAT64));
        }
        return Ops.binary(Primitive.DIV, this, other);
    }

    /** {@code this / other} for a Java number; an int tensor divides as float64 ({@code int32 / 2.0 = 3.5}). */
    public Tensor div(double other) {
        checkOpen("div");
        if (dtype().isIntegral()) {
            return cast(DType.FLOAT64).div(other);
        }
        return div(weakScalar("div", other));
    }

    /** {@code this ** exponent}; both floating (cast ints first). */
    public Tensor pow(Tensor exponent) {
        return Ops.binary(Primitive.POW, this, exponent);
    }

    /** {@code this ** exponent} for a Java number. */
    public Tensor pow(double exponent) {
        return pow(weakScalar("pow", exponent));
    }

    /** Elementwise maximum; NaN if either is NaN. */
    public Tensor maximum(Tensor other) {
        return Ops.binary(Primitive.MAXIMUM, this, other);
    }

    /** Elementwise maximum with a Java number. */
    public Tensor maximum(double other) {
        return maximum(weakScalar("maximum", other));
    }

    /** Elementwise minimum; NaN if either is NaN. */
    public Tensor minimum(Tensor other) {
        return Ops.binary(Primitive.MINIMUM, this, other);
    }

    /** Elementwise minimum with a Java number. */
    public Tensor minimum(double other) {
        return minimum(weakScalar("minimum", other));
    }

    /** {@code -this}. */
    public Tensor neg() {
        return Ops.unary(Primitive.NEG, this);
    }

    /** {@code |this|}. */
    public Tensor abs() {
        return Ops.unary(Primitive.ABS, this);
    }

    /** -1, 0 or 1 (not differentiable: its gradient is zero almost everywhere). */
    public Tensor sign() {
        return Ops.unary(Primitive.SIGN, this);
    }

    /** {@code e ** this}; floating dtypes only. */
    public Tensor exp() {
        return Ops.unary(Primitive.EXP, this);
    }

    /** Natural logarithm. */
    public Tensor log() {
        return Ops.unary(Primitive.LOG, this);
    }

    /** Square root; floating dtypes only. */
    public Tensor sqrt() {
        return Ops.unary(Primitive.SQRT, this);
    }

    /** {@code this * this}. */
    public Tensor square() {
        return Ops.binary(Primitive.MUL, "square", this, this);
    }

    /** Sine (radians); floating dtypes only. */
    public Tensor sin() {
        return Ops.unary(Primitive.SIN, this);
    }

    /** Cosine (radians); floating dtypes only. */
    public Tensor cos() {
        return Ops.unary(Primitive.COS, this);
    }

    /** Hyperbolic tangent; floating dtypes only. */
    public Tensor tanh() {
        return Ops.unary(Primitive.TANH, this);
    }

    /** The error function {@code erf(x) = 2/sqrt(pi) * integral of exp(-t^2) from 0 to x}; floating dtypes only. */
    public Tensor erf() {
        return Ops.unary(Primitive.ERF, this);
    }

    /** {@code log(1 + x)}, accurate for small x (where {@code x.add(1).log()} loses digits); floating dtypes only. */
    public Tensor log1p() {
        return Ops.unary(Primitive.LOG1P, this);
    }

    /** {@code exp(x) - 1}, accurate for small x; floating dtypes only. */
    public Tensor expm1() {
        return Ops.unary(Primitive.EXPM1, this);
    }

    /**
     * {@code log(1 + exp(x))}, computed as {@code max(x, 0) + log1p(exp(-|x|))} so it never overflows; its gradient
     * is {@code sigmoid(x)}; floating dtypes only.
     */
    public Tensor softplus() {
        return Ops.unary(Primitive.SOFTPLUS, this);
    }

    /** {@code 1 / (1 + exp(-x))}. */
    public Tensor sigmoid() {
        checkOpen("sigmoid");
        Ops.requireFloating("sigmoid", this);
        // exp(-|x|) never overflows, so neither the value nor its gradient meets inf * 0 = NaN
        Tensor nonNegative = greaterEqual(0.0);
        Tensor small = where(nonNegative, neg(), this).exp();   // exp(-|x|), with a slope of its branch at 0
        Tensor positive = small.add(1.0).reciprocal();          // sigmoid(|x|)
        return where(nonNegative, positive, small.mul(positive));
    }

    /** {@code 1 / x}. */
    public Tensor reciprocal() {
        checkOpen("reciprocal");
        Ops.requireNumeric("reciprocal", this);
        // the 1 is a kernel argument, not a filled tensor; the DIV primitive itself, so that an int reciprocal stays
        // int (truncated) as tf.math.reciprocal's does, where Tensor.div of ints is truediv
        return Ops.binary(Primitive.DIV, "reciprocal", weakScalar("reciprocal", 1.0), this);
    }

    /** {@code max(x, 0)}; {@code relu(NaN) = NaN} and its gradient at 0 is 0, as in TensorFlow. */
    public Tensor relu() {
        checkOpen("relu");
        Ops.requireNumeric("relu", this);
        // x <= 0 is false for NaN, so NaN takes the x branch and passes through (x > 0 would turn it into 0)
        return where(lessEqual(0.0), weakScalar("relu", 0), this);
    }

    /** The largest integer not above each element ({@code tf.math.floor}); floating dtypes; no gradient, as TF. */
    public Tensor floor() {
        return Ops.unary(Primitive.FLOOR, this);
    }

    /** The smallest integer not below each element ({@code tf.math.ceil}); floating dtypes; no gradient, as TF. */
    public Tensor ceil() {
        return Ops.unary(Primitive.CEIL, this);
    }

    /**
     * The nearest integer, halves to even ({@code tf.math.round}: {@code 0.5 -> 0}, {@code 1.5 -> 2},
     * {@code -2.5 -> -2}); floating dtypes; no gradient, as TF.
     */
    public Tensor round() {
        return Ops.unary(Primitive.ROUND, this);
    }

    /** Tangent (radians); floating dtypes only; its gradient is {@code 1 + tan^2}. */
    public Tensor tan() {
        return Ops.unary(Primitive.TAN, this);
    }

    /** Arctangent, in {@code [-pi/2, pi/2]}; floating dtypes only; its gradient is {@code 1 / (1 + x^2)}. */
    public Tensor atan() {
        return Ops.unary(Primitive.ATAN, this);
    }

    /**
     * {@code tf.math.atan2(this, x)}: the angle of the point {@code (x, this)} in {@code [-pi, pi]}, this tensor
     * being y; floating dtypes only, with broadcasting.
     */
    public Tensor atan2(Tensor x) {
        return Ops.binary(Primitive.ATAN2, this, x);
    }

    /** {@link #atan2(Tensor)} with a Java number as x. */
    public Tensor atan2(double x) {
        return atan2(weakScalar("atan2", x));
    }

    /**
     * Python's {@code //} ({@code tf.math.floordiv}): the quotient rounded down, {@code -7 // 2 = -4}. Integers stay
     * integers (a zero divisor is an error, as for integer division); floats give {@code floor(this / other)}.
     * Not differentiable, as in TensorFlow.
     */
    public Tensor floorDiv(Tensor other) {
        return Ops.binary(Primitive.FLOOR_DIV, this, other);
    }

    /** {@link #floorDiv(Tensor)} with a Java number. */
    public Tensor floorDiv(double other) {
        return floorDiv(weakScalar("floorDiv", other));
    }

    /**
     * Python's {@code %} ({@code tf.math.floormod}): {@code this - floorDiv(this, other) * other}, with the sign of
     * the divisor ({@code -7 % 2 = 1}, {@code 7 % -2 = -1}). Integers: a zero divisor is an error. Its gradient is
     * TensorFlow's: 1 for this, {@code -floorDiv(this, other)} for other.
     */
    public Tensor mod(Tensor other) {
        return Ops.binary(Primitive.MOD, this, other);
    }

    /** {@link #mod(Tensor)} with a Java number. */
    public Tensor mod(double other) {
        return mod(weakScalar("mod", other));
    }

    /**
     * {@code tf.clip_by_value}: {@code maximum(minimum(this, max), min)}, with broadcasting. Its gradient is
     * TensorFlow's: 1 where {@code min <= x <= max} (the bounds included), 0 outside.
     */
    public Tensor clip(Tensor min, Tensor max) {
        checkOpen("clip");
        Errors.notNull(min, "clip", "min");
        Errors.notNull(max, "clip", "max");
        return minimum(max).maximum(min);
    }

    /** {@link #clip(Tensor, Tensor)} with Java numbers. */
    public Tensor clip(double min, double max) {
        checkOpen("clip");
        return minimum(max).maximum(min);
    }

    // ================================================================ comparisons and logic (bool results)

    /** {@code this < other} elementwise (bool). */
    public Tensor less(Tensor other) {
        return Ops.binary(Primitive.LESS, this, other);
    }

    /** {@code this < other} for a Java number (bool). */
    public Tensor less(double other) {
        return less(weakScalar("less", other));
    }

    /** {@code this <= other} elementwise (bool). */
    public Tensor lessEqual(Tensor other) {
        return Ops.binary(Primitive.LESS_EQUAL, this, other);
    }

    /** {@code this <= other} for a Java number (bool). */
    public Tensor lessEqual(double other) {
        return lessEqual(weakScalar("lessEqual", other));
    }

    /** {@code this > other} elementwise (bool). */
    public Tensor greater(Tensor other) {
        return Ops.binary(Primitive.GREATER, this, other);
    }

    /** {@code this > other} for a Java number (bool). */
    public Tensor greater(double other) {
        return greater(weakScalar("greater", other));
    }

    /** {@code this >= other} elementwise (bool). */
    public Tensor greaterEqual(Tensor other) {
        return Ops.binary(Primitive.GREATER_EQUAL, this, other);
    }

    /** {@code this >= other} for a Java number (bool). */
    public Tensor greaterEqual(double other) {
        return greaterEqual(weakScalar("greaterEqual", other));
    }

    /** {@code this == other} elementwise (bool). */
    public Tensor equal(Tensor other) {
        return Ops.binary(Primitive.EQUAL, this, other);
    }

    /** {@code this == other} for a Java number (bool). */
    public Tensor equal(double other) {
        return equal(weakScalar("equal", other));
    }

    /** {@code this != other} elementwise (bool). */
    public Tensor notEqual(Tensor other) {
        return Ops.binary(Primitive.NOT_EQUAL, this, other);
    }

    /** {@code this != other} for a Java number (bool). */
    public Tensor notEqual(double other) {
        return notEqual(weakScalar("notEqual", other));
    }

    /** {@code this && other} for bool tensors. */
    public Tensor logicalAnd(Tensor other) {
        return Ops.binary(Primitive.LOGICAL_AND, this, other);
    }

    /** {@code this || other} for bool tensors. */
    public Tensor logicalOr(Tensor other) {
        return Ops.binary(Primitive.LOGICAL_OR, this, other);
    }

    /** {@code !this} for a bool tensor. */
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

    /** Mean of all elements (a scalar); see {@link #mean(int[], boolean)}. */
    public Tensor mean() {
        return mean(null, false);
    }

    /** Mean over {@code axes} (negative axes count from the end). */
    public Tensor mean(int... axes) {
        return mean(axes, false);
    }

    /** Mean over {@code axes} ({@code null}: all); integers are averaged in their own dtype, as TensorFlow does. */
    public Tensor mean(int[] axes, boolean keepDims) {
        Tensor total = Ops.reduce(Primitive.SUM, "mean", this, axes, keepDims);
        long count = size() / Math.max(1, total.size());
        if (size() == 0) {
            count = 0;
        }
        // the DIV primitive itself: an int mean truncates, as TensorFlow's reduce_mean (Tensor.div of ints is truediv)
        return Ops.binary(Primitive.DIV, "mean", total, total.weakScalar("mean", count));
    }

    /** Largest element (a scalar); NaN if any is NaN. */
    public Tensor max() {
        return Ops.reduce(Primitive.MAX, this, null, false);
    }

    /** Largest element over {@code axes}. */
    public Tensor max(int... axes) {
        return Ops.reduce(Primitive.MAX, this, axes, false);
    }

    /** Largest element over {@code axes}, keeping them as size 1 when {@code keepDims}. */
    public Tensor max(int[] axes, boolean keepDims) {
        return Ops.reduce(Primitive.MAX, this, axes, keepDims);
    }

    /** Smallest element (a scalar); NaN if any is NaN. */
    public Tensor min() {
        return Ops.reduce(Primitive.MIN, this, null, false);
    }

    /** Smallest element over {@code axes}. */
    public Tensor min(int... axes) {
        return Ops.reduce(Primitive.MIN, this, axes, false);
    }

    /** Smallest element over {@code axes}, keeping them as size 1 when {@code keepDims}. */
    public Tensor min(int[] axes, boolean keepDims) {
        return Ops.reduce(Primitive.MIN, this, axes, keepDims);
    }

    // ---------------------------------------------------------------- along an axis: softmax, arg-extrema, scans
    // Compositions of the primitives (AxisOps says how and why), so they run on every backend and differentiate.

    /** {@link #softmax(int)} along the last axis: {@code tf.nn.softmax(x)}. */
    public Tensor softmax() {
        return AxisOps.softmax(this, -1);
    }

    /**
     * {@code exp(x) / sum(exp(x))} along {@code axis}, computed as {@code exp(x - max)} over its sum so that no
     * exponent overflows ({@code [1000, 1000]} gives {@code [0.5, 0.5]}); the max is a constant to the tape, as in
     * TensorFlow. A lane holding NaN (or {@code +inf}) gives NaN. Floating dtypes only.
     *
     * <pre>{@code
     * Tensor p = Tensor.constant(new double[][] {{1, 2, 3}}).softmax(-1);   // [[0.090 0.245 0.665]]
     * }</pre>
     */
    public Tensor softmax(int axis) {
        return AxisOps.softmax(this, axis);
    }

    /** {@link #logSoftmax(int)} along the last axis: {@code tf.nn.log_softmax(x)}. */
    public Tensor logSoftmax() {
        return AxisOps.logSoftmax(this, -1);
    }

    /**
     * {@code log(softmax(x))} along {@code axis}, computed as {@code (x - max) - log(sum(exp(x - max)))}: finite
     * where the composition would give {@code log(0) = -inf} ({@code [1000, 0]} gives {@code [0, -1000]}).
     */
    public Tensor logSoftmax(int axis) {
        return AxisOps.logSoftmax(this, axis);
    }

    /** {@code log(sum(exp(x)))} of all elements (a scalar), like {@code tf.reduce_logsumexp(x)}. */
    public Tensor logSumExp() {
        return AxisOps.logSumExp(this, null, false);
    }

    /** {@code log(sum(exp(x)))} over {@code axes}. */
    public Tensor logSumExp(int... axes) {
        return AxisOps.logSumExp(this, axes, false);
    }

    /**
     * {@code log(sum(exp(x)))} over {@code axes} ({@code null}: all), keeping them as size 1 when {@code keepDims};
     * computed as {@code log(sum(exp(x - m))) + m} with {@code m} the max (0 where the max is infinite, as in
     * TensorFlow): {@code [1000, 1000]} gives {@code 1000 + log 2}; all {@code -inf}, or no elements, give
     * {@code -inf}. Floating dtypes only.
     */
    public Tensor logSumExp(int[] axes, boolean keepDims) {
        return AxisOps.logSumExp(this, axes, keepDims);
    }

    /**
     * The index of the largest element along {@code axis}, as int64 ({@code tf.math.argmax(x, axis)}); ties give the
     * first index; a NaN counts as the largest, so the first NaN's index (numpy's rule; TensorFlow does not define
     * one). Not differentiable. An axis of length 0 is an error.
     *
     * <pre>{@code
     * Tensor.constant(new double[][] {{1, 5, 5}, {7, 0, 2}}).argmax(1);   // [1 0], int64
     * }</pre>
     */
    public Tensor argmax(int axis) {
        return AxisOps.argExtremum("argmax", Primitive.MAX, this, axis, DType.INT64);
    }

    /** {@link #argmax(int)} as {@code outputType}, int32 or int64 (TensorFlow's {@code output_type}). */
    public Tensor argmax(int axis, DType outputType) {
        return AxisOps.argExtremum("argmax", Primitive.MAX, this, axis, outputType);
    }

    /** The index of the smallest element along {@code axis} (int64); ties and NaN as in {@link #argmax(int)}. */
    public Tensor argmin(int axis) {
        return AxisOps.argExtremum("argmin", Primitive.MIN, this, axis, DType.INT64);
    }

    /** {@link #argmin(int)} as {@code outputType}, int32 or int64. */
    public Tensor argmin(int axis, DType outputType) {
        return AxisOps.argExtremum("argmin", Primitive.MIN, this, axis, outputType);
    }

    /** Product of all elements (a scalar), like {@code tf.reduce_prod(x)}; of no elements, 1. */
    public Tensor reduceProd() {
        return AxisOps.reduceProd(this, null, false);
    }

    /** Product over {@code axes}. */
    public Tensor reduceProd(int... axes) {
        return AxisOps.reduceProd(this, axes, false);
    }

    /**
     * Product over {@code axes} ({@code null}: all), keeping them as size 1 when {@code keepDims}. Integers wrap on
     * overflow, as in TensorFlow. The gradient is the product of the other elements, right at zeros too
     * ({@code [2, 0, 3]} gives {@code [0, 6, 0]}).
     */
    public Tensor reduceProd(int[] axes, boolean keepDims) {
        return AxisOps.reduceProd(this, axes, keepDims);
    }

    /** Population variance of all elements (a scalar), like {@code tf.math.reduce_variance(x)}. */
    public Tensor reduceVariance() {
        return AxisOps.reduceVariance("reduceVariance", this, null, false);
    }

    /** Population variance over {@code axes}. */
    public Tensor reduceVariance(int... axes) {
        return AxisOps.reduceVariance("reduceVariance", this, axes, false);
    }

    /**
     * Population variance {@code mean((x - mean(x))^2)} over {@code axes} ({@code null}: all), keeping them as size
     * 1 when {@code keepDims} (divides by n, as TensorFlow; numpy's {@code ddof=0}). Floating dtypes only.
     */
    public Tensor reduceVariance(int[] axes, boolean keepDims) {
        return AxisOps.reduceVariance("reduceVariance", this, axes, keepDims);
    }

    /** Population standard deviation of all elements (a scalar), like {@code tf.math.reduce_std(x)}. */
    public Tensor reduceStd() {
        return reduceStd(null, false);
    }

    /** Population standard deviation over {@code axes}. */
    public Tensor reduceStd(int... axes) {
        return reduceStd(axes, false);
    }

    /**
     * {@code sqrt(reduceVariance(axes, keepDims))}. Its gradient is NaN where the variance is 0 (a constant lane),
     * as TensorFlow's.
     */
    public Tensor reduceStd(int[] axes, boolean keepDims) {
        return AxisOps.reduceVariance("reduceStd", this, axes, keepDims).sqrt();
    }

    /** Whether any element of a bool tensor is true (a bool scalar), like {@code tf.reduce_any(x)}. */
    public Tensor reduceAny() {
        return AxisOps.reduceLogical("reduceAny", true, this, null, false);
    }

    /** Whether any element over {@code axes} is true. */
    public Tensor reduceAny(int... axes) {
        return AxisOps.reduceLogical("reduceAny", true, this, axes, false);
    }

    /** Whether any element over {@code axes} ({@code null}: all) is true; over no elements, false. */
    public Tensor reduceAny(int[] axes, boolean keepDims) {
        return AxisOps.reduceLogical("reduceAny", true, this, axes, keepDims);
    }

    /** Whether every element of a bool tensor is true (a bool scalar), like {@code tf.reduce_all(x)}. */
    public Tensor reduceAll() {
        return AxisOps.reduceLogical("reduceAll", false, this, null, false);
    }

    /** Whether every element over {@code axes} is true. */
    public Tensor reduceAll(int... axes) {
        return AxisOps.reduceLogical("reduceAll", false, this, axes, false);
    }

    /** Whether every element over {@code axes} ({@code null}: all) is true; over no elements, true. */
    public Tensor reduceAll(int[] axes, boolean keepDims) {
        return AxisOps.reduceLogical("reduceAll", false, this, axes, keepDims);
    }

    /** Running sums along {@code axis}: {@code tf.math.cumsum(x, axis)}; {@code [1, 2, 3]} gives {@code [1, 3, 6]}. */
    public Tensor cumsum(int axis) {
        return AxisOps.cumsum(this, axis, false, false);
    }

    /**
     * Running sums along {@code axis} with TensorFlow's flags: {@code exclusive} leaves each element out of its own
     * sum ({@code [1, 2, 3]} gives {@code [0, 1, 3]}), {@code reverse} sums from the end ({@code [6, 5, 3]}; both:
     * {@code [5, 3, 0]}). Numeric dtypes; integers wrap on overflow. The gradient is the cumsum of the upstream
     * gradient with {@code reverse} flipped. O(n log n) additions in {@code ceil(log2 n)} steps.
     */
    public Tensor cumsum(int axis, boolean exclusive, boolean reverse) {
        return AxisOps.cumsum(this, axis, exclusive, reverse);
    }

    // ================================================================ linear algebra

    /**
     * Matrix product, like {@code tf.matmul} and Python's {@code @}: 2-D {@code (m, k) @ (k, n)}, or batched
     * {@code (..., m, k) @ (..., k, n)} whose batch dimensions broadcast (numpy rules); a 1-D operand is a row (left)
     * or a column (right) whose added axis is removed from the result.
     */
    public Tensor matmul(Tensor other) {
        return Ops.matmul(this, other);
    }

    // ================================================================ shape and movement (views)

    /** Same data, new shape; one dimension may be {@code -1} (inferred). A view when the data is dense. */
    public Tensor reshape(int... dims) {
        checkOpen("reshape");
        Errors.notNull(dims, "reshape", "dims");
        int[] resolved = dims.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < resolved.length; i++) {
            if (resolved[i] == -1) {
                if (inferred >= 0) {
                    throw Errors.invalid("reshape", backend(), "only one dimension may be -1, got "
                            + java.util.Arrays.toString(dims));
                }
                inferred = i;
            } else if (resolved[i] < 0) {
                throw Errors.invalid("reshape", backend(), "dimensions must be >= 0, or -1 for one inferred "
                        + "dimension, got " + java.util.Arrays.toString(dims));
            } else {
                try {
                    known = Math.multiplyExact(known, resolved[i]);
                } catch (ArithmeticException overflow) {
                    known = Long.MAX_VALUE; // saturated: no such product divides this tensor's size
                }
            }
        }
        if (inferred >= 0) {
            if (known == 0 || known == Long.MAX_VALUE || size() % known != 0) {
                throw Errors.invalid("reshape", backend(), "cannot reshape " + shape + " into "
                        + java.util.Arrays.toString(dims));
            }
            resolved[inferred] = (int) (size() / known);
        }
        return Ops.reshape(this, Shape.of("reshape", backend(), resolved));
    }

    /** Same data, new shape of as many elements. A view when the data is dense. */
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
        checkOpen("expandDims");
        int at = Shape.normalizeAxis(axis, rank() + 1, "expandDims", backend());
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
        checkOpen("broadcastTo");
        Errors.notNull(target, "broadcastTo", "shape");
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
        checkOpen("slice");
        int at = Shape.normalizeAxis(axis, rank(), "slice", backend());
        if (start < 0 || end < start || end > shape.dim(at)) {
            throw Errors.invalid("slice", backend(), "[" + start + ", " + end + ") is out of bounds for axis " + axis
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
        Ops.checkParts("stack", tensors);
        Tensor head = tensors.getFirst();
        Shape first = head.shape;
        int at = Shape.normalizeAxis(axis, first.rank() + 1, "stack", head.backend());
        List<Tensor> expanded = new ArrayList<>();
        for (Tensor tensor : tensors) {
            if (!tensor.shape.equals(first)) {
                throw Errors.invalid("stack", head.backend(), "shapes " + first + " and " + tensor.shape + " differ");
            }
            expanded.add(tensor.expandDims(at));
        }
        return Ops.concat("stack", expanded, at);
    }

    // ---------------------------------------------------------------- indexing, tiling, padding (TensorFlow parity)

    /**
     * Rows picked by index along axis 0, like {@code tf.gather(params, indices)}: see {@link #gather(Tensor, int)}.
     */
    public Tensor gather(Tensor indices) {
        return Ops.gather(this, indices, 0);
    }

    /**
     * Elements picked by index along {@code axis}, like {@code tf.gather(params, indices, axis=axis)}: the result
     * has shape {@code shape[:axis] + indices.shape + shape[axis+1:]}. {@code indices} is int32 or int64 of any
     * shape; an index outside {@code [0, shape[axis])} is an error naming gather, the index and the shape (on a
     * device backend it is thrown where the result is read). Differentiable in this tensor: the gradient adds the
     * upstream rows back where they were read (a repeated index adds up), one scatter-add, no one-hot matrix.
     *
     * <pre>{@code
     * Tensor table = Tensor.constant(new double[][] {{1, 2}, {3, 4}, {5, 6}});
     * table.gather(Tensor.constant(new int[] {2, 0, 2}));      // [[5, 6], [1, 2], [5, 6]]
     * table.gather(Tensor.constant(new int[] {1}), 1);         // [[2], [4], [6]]
     * }</pre>
     */
    public Tensor gather(Tensor indices, int axis) {
        return Ops.gather(this, indices, axis);
    }

    /** {@code tf.one_hot(indices, depth)}: float32, 1 at each index and 0 elsewhere, on a new last axis. */
    public Tensor oneHot(int depth) {
        return oneHot(depth, 1, 0, -1, DType.FLOAT32);
    }

    /**
     * {@code tf.one_hot(indices, depth, on_value, off_value, axis, dtype)}: this int tensor's values as one-hot
     * vectors along a new axis {@code axis} ({@code -1}: last) of length {@code depth}, {@code onValue} at the index
     * and {@code offValue} elsewhere. An index outside {@code [0, depth)} gives a vector of {@code offValue} only,
     * as in TensorFlow. Not differentiable (its input is an index).
     *
     * <pre>{@code
     * Tensor.constant(new int[] {0, 2, 5}).oneHot(3, 1, 0, -1, DType.FLOAT32);   // [[1,0,0], [0,0,1], [0,0,0]]
     * }</pre>
     */
    public Tensor oneHot(int depth, double onValue, double offValue, int axis, DType dtype) {
        checkOpen("oneHot");
        Errors.notNull(dtype, "oneHot", "dtype");
        if (!dtype().isIntegral()) {
            throw Errors.invalid("oneHot", backend(), "indices must be int32 or int64, got " + dtype() + " of shape "
                    + shape);
        }
        if (depth < 0) {
            throw Errors.invalid("oneHot", backend(), "depth must be >= 0, got " + depth);
        }
        int at = Shape.normalizeAxis(axis, rank() + 1, "oneHot", backend());
        int[] positions = new int[depth];
        int[] rangeDims = new int[rank() + 1];
        java.util.Arrays.fill(rangeDims, 1);
        rangeDims[at] = depth;
        for (int i = 0; i < depth; i++) {
            positions[i] = i;
        }
        Tensor range = upload(backend(), HostArrays.flatten(positions, "oneHot", backend()), dtype(), "oneHot")
                .reshape(rangeDims);
        // O(result) work: the result itself has depth entries per index
        return where(expandDims(at).equal(range), hostScalar(backend(), dtype, onValue),
                hostScalar(backend(), dtype, offValue));
    }

    /**
     * {@code tf.split(x, parts, axis)}: {@code parts} equal views along {@code axis}, whose length
     * {@code parts} must divide.
     */
    public List<Tensor> split(int parts, int axis) {
        checkOpen("split");
        int at = Shape.normalizeAxis(axis, rank(), "split", backend());
        if (parts <= 0 || shape.dim(at) % parts != 0) {
            throw Errors.invalid("split", backend(), "cannot split axis " + axis + " of shape " + shape + " into "
                    + parts + " equal parts");
        }
        int[] sizes = new int[parts];
        java.util.Arrays.fill(sizes, shape.dim(at) / parts);
        return split(sizes, axis);
    }

    /**
     * {@code tf.split(x, sizes, axis)}: views of {@code sizes[i]} elements along {@code axis}, in order; one size may
     * be {@code -1} (the rest). The sizes must add up to the axis' length.
     *
     * <pre>{@code
     * List<Tensor> parts = Tensor.ones(2, 7).split(new int[] {3, -1, 1}, 1);   // shapes (2, 3), (2, 3), (2, 1)
     * }</pre>
     */
    public List<Tensor> split(int[] sizes, int axis) {
        checkOpen("split");
        Errors.notNull(sizes, "split", "sizes");
        int at = Shape.normalizeAxis(axis, rank(), "split", backend());
        int length = shape.dim(at);
        int[] resolved = sizes.clone();
        int inferred = -1;
        long known = 0;
        for (int i = 0; i < resolved.length; i++) {
            if (resolved[i] == -1 && inferred < 0) {
                inferred = i;
            } else if (resolved[i] < 0) {
                throw Errors.invalid("split", backend(), "sizes must be >= 0 with at most one -1, got "
                        + java.util.Arrays.toString(sizes) + " for shape " + shape);
            } else {
                known += resolved[i];
            }
        }
        if (inferred >= 0 && known <= length) {
            resolved[inferred] = (int) (length - known);
            known = length;
        }
        if (known != length) {
            throw Errors.invalid("split", backend(), "sizes " + java.util.Arrays.toString(sizes) + " do not add up to "
                    + length + ", the length of axis " + axis + " of shape " + shape);
        }
        List<Tensor> parts = new ArrayList<>(resolved.length);
        int start = 0;
        for (int size : resolved) {
            parts.add(slice(at, start, start + size));
            start += size;
        }
        return parts;
    }

    /**
     * {@code tf.tile(x, multiples)}: this tensor repeated {@code multiples[i]} times along axis {@code i} (one
     * multiple per axis). A broadcast view made dense: the gradient sums the copies back.
     *
     * <pre>{@code
     * Tensor.constant(new int[][] {{1, 2}}).tile(2, 3);   // [[1 2 1 2 1 2] [1 2 1 2 1 2]]
     * }</pre>
     */
    public Tensor tile(int... multiples) {
        checkOpen("tile");
        Errors.notNull(multiples, "tile", "multiples");
        if (multiples.length != rank()) {
            throw Errors.invalid("tile", backend(), "needs one multiple per axis of shape " + shape + ", got "
                    + java.util.Arrays.toString(multiples));
        }
        int[] split = new int[2 * rank()];
        int[] repeated = new int[2 * rank()];
        int[] result = new int[rank()];
        for (int i = 0; i < rank(); i++) {
            if (multiples[i] < 0) {
                throw Errors.invalid("tile", backend(), "multiples must be >= 0, got "
                        + java.util.Arrays.toString(multiples) + " for shape " + shape);
            }
            split[2 * i] = 1;
            split[2 * i + 1] = shape.dim(i);
            repeated[2 * i] = multiples[i];
            repeated[2 * i + 1] = shape.dim(i);
            result[i] = Math.multiplyExact(multiples[i], shape.dim(i));
        }
        return reshape(split).broadcastTo(Shape.of("tile", backend(), repeated))
                .reshape(Shape.of("tile", backend(), result));
    }

    /** {@code tf.pad(x, paddings)}: zeros around this tensor, {@code paddings[i] = {before, after}} for axis i. */
    public Tensor pad(int[][] paddings) {
        return pad(paddings, 0);
    }

    /**
     * {@code tf.pad(x, paddings, constant_values=value)} (constant mode): {@code paddings[i][0]} elements of
     * {@code value} before axis {@code i} and {@code paddings[i][1]} after. {@code value} must fit this tensor's dtype.
     * The gradient is the slice of the upstream gradient where this tensor sits.
     *
     * <pre>{@code
     * Tensor.constant(new int[] {1, 2}).pad(new int[][] {{1, 2}}, 9);   // [9 1 2 9 9]
     * }</pre>
     */
    public Tensor pad(int[][] paddings, double value) {
        checkOpen("pad");
        Errors.notNull(paddings, "pad", "paddings");
        if (paddings.length != rank()) {
            throw Errors.invalid("pad", backend(), "needs one {before, after} pair per axis of shape " + shape
                    + ", got " + paddings.length);
        }
        if (!dtype().isFloating() && value != Math.rint(value)) {
            throw Errors.invalid("pad", backend(), "the value " + value + " does not fit " + dtype() + " (shape "
                    + shape + ")");
        }
        int[] full = new int[rank()];
        int[] begin = new int[rank()];
        for (int i = 0; i < rank(); i++) {
            int[] pair = paddings[i];
            if (pair == null || pair.length != 2 || pair[0] < 0 || pair[1] < 0) {
                throw Errors.invalid("pad", backend(), "paddings[" + i + "] must be {before, after} with both >= 0, "
                        + "got " + java.util.Arrays.toString(pair) + " for shape " + shape);
            }
            begin[i] = pair[0];
            full[i] = Math.addExact(Math.addExact(shape.dim(i), pair[0]), pair[1]);
        }
        return Ops.pad("pad", this, new Node.SliceBounds(Shape.of("pad", backend(), full), begin), value);
    }

    /**
     * {@code tf.reverse(x, axes)}: the order of the elements reversed along each of {@code axes}. A view (negative
     * strides), no copy.
     *
     * <pre>{@code
     * Tensor.constant(new int[][] {{1, 2, 3}, {4, 5, 6}}).reverse(1);   // [[3 2 1] [6 5 4]]
     * }</pre>
     */
    public Tensor reverse(int... axes) {
        return Ops.reverse(this, axes);
    }

    /**
     * {@code tf.matmul(a, b, transpose_a=..., transpose_b=...)}: the product with either operand's last two axes
     * swapped first, as a view (no copy). Otherwise as {@link #matmul(Tensor)}.
     */
    public Tensor matmul(Tensor other, boolean transposeA, boolean transposeB) {
        return Ops.matmul(this, other, transposeA, transposeB);
    }

    /**
     * {@code tf.einsum} for one or two operands: {@code "bij,bjk->bik"}, {@code "ij,jk->ik"}, {@code "ij,j->i"},
     * {@code "i,i->"}, {@code "i,j->ij"}, {@code "bi,bi->b"}, {@code "ij->ji"}, {@code "ij->"}, ... (implicit output,
     * {@code "ij,jk"}, as numpy: the letters used once, sorted). Computed with permute, reshape, sum and one batched
     * matmul, so it is differentiable. Ellipses, a letter repeated within one operand (diagonals) and more than two
     * operands are rejected with an error saying so.
     *
     * <pre>{@code
     * Tensor c = Tensor.einsum("bij,bjk->bik", a, b);   // same as a.matmul(b)
     * }</pre>
     */
    public static Tensor einsum(String equation, Tensor... operands) {
        return Einsum.evaluate(equation, operands);
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
        checkOpen("stopGradient");
        return new Tensor(storage, shape, strides, offset);
    }

    // ================================================================ reading values

    /** The values in row-major order as float32 (converting from other dtypes). */
    public float[] toFloatArray() {
        Object host = download("toFloatArray");
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
        Object host = download("toDoubleArray");
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
        return (int[]) download("toIntArray");
    }

    /** The values as int64 (from int32 or int64). */
    public long[] toLongArray() {
        requireIntegral("toLongArray");
        Object host = download("toLongArray");
        if (host instanceof long[] longs) {
            return longs;
        }
        long[] out = new long[(int) size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = HostArrays.getLong(host, i);
        }
        return out;
    }

    /** The values of a bool tensor. */
    public boolean[] toBooleanArray() {
        requireDType(DType.BOOL, "toBooleanArray");
        return (boolean[]) download("toBooleanArray");
    }

    /**
     * The values as a nested Java array of the tensor's own element type ({@code float[][]} for a float32 matrix,
     * a boxed {@code Float} for a scalar): the {@code .numpy()} of the tutorials.
     */
    public Object toArray() {
        return HostArrays.nest(download("toArray"), shape.dims());
    }

    /** The single value of a one-element tensor as a float. */
    public float floatValue() {
        return (float) singleDouble("floatValue");
    }

    /** The single value of a one-element tensor as a double. */
    public double doubleValue() {
        return singleDouble("doubleValue");
    }

    /** The single value of a one-element integral or bool tensor. */
    public long longValue() {
        return singleLong("longValue");
    }

    /** The single value of a one-element int32 tensor (or an int64 or bool one whose value fits an int). */
    public int intValue() {
        long value = singleLong("intValue");
        if (value != (int) value) {
            throw Errors.state("intValue", backend(), "the value " + value + " of " + dtype() + " " + shape
                    + " does not fit an int; use longValue");
        }
        return (int) value;
    }

    /** The single value of a one-element bool tensor. */
    public boolean booleanValue() {
        requireSingle("booleanValue");
        requireDType(DType.BOOL, "booleanValue");
        return ((boolean[]) download("booleanValue"))[0];
    }

    private double singleDouble(String method) {
        requireSingle(method);
        return HostArrays.getDouble(download(method), 0);
    }

    private long singleLong(String method) {
        requireSingle(method);
        if (dtype().isFloating()) {
            throw Errors.state(method, backend(), "tensor is " + dtype() + "; use doubleValue or cast");
        }
        return HostArrays.getLong(download(method), 0);
    }

    /** Like TensorFlow: {@code Tensor([[10 20 30]], shape=(1, 3), dtype=int32)}. */
    @Override
    public String toString() {
        if (closed) {
            return "Tensor(<closed>, shape=" + shape + ", dtype=" + dtype() + ")";
        }
        return "Tensor(" + HostArrays.render(download("toString"), shape.dims()) + ", shape=" + shape + ", dtype="
                + dtype() + ")";
    }

    /**
     * Copies the values to a Java array of the dtype's element type, waiting for pending device work; errors name
     * {@code method}, the reading method the user called.
     */
    Object download(String method) {
        checkOpen(method);
        if (storage.buffer instanceof HostScalar scalar) {
            return scalar.toArray((int) size()); // the value is on the host already: no transfer
        }
        Tracer.refuseRead(method, this);
        Tensor dense = isContiguous() ? this : Ops.contiguous(stopGradient());
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

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    void checkOpen(String method) {
        Tracer.touch(storage);
        if (closed) {
            throw Errors.state(method, backend(), "tensor of shape " + shape + " and dtype " + storage.buffer.dtype()
                    + " was closed");
        }
    }

    // ================================================================ helpers

    /**
     * A Java number given to {@code method} as a scalar of this tensor's dtype when it fits, else float32 (see the
     * class comment).
     */
    Tensor weakScalar(String method, double value) {
        checkOpen(method);
        DType type = dtype();
        boolean integral = value == Math.rint(value) && !Double.isInfinite(value);
        if (type == DType.BOOL) {
            type = integral ? DType.INT32 : DType.FLOAT32;
        } else if (!type.isFloating() && !integral) {
            type = DType.FLOAT32;
        }
        if ((type == DType.INT32 && (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE))
                || (type == DType.INT64 && (value < -0x1p63 || value >= 0x1p63))) {
            throw Errors.invalid(method, backend(), "the Java number " + value + " does not fit " + type
                    + " (tensor of shape " + shape + "); cast the tensor first, e.g. x.cast(DType.INT64)");
        }
        return hostScalar(backend(), type, value);
    }

    /** A rank-0 tensor of {@code value} held on the host (see {@link HostScalar}): no backend call. */
    static Tensor hostScalar(Backend backend, DType dtype, double value) {
        return new Tensor(new Storage(backend, HostScalar.of(dtype, value)), Shape.scalar(), NO_STRIDES, 0);
    }

    private static final long[] NO_STRIDES = {};

    /** Whether the data is a {@link HostScalar} (every element the same host value) rather than a device buffer. */
    boolean isHostScalar() {
        return storage.buffer instanceof HostScalar;
    }

    private void requireSingle(String method) {
        checkOpen(method);
        if (size() != 1) {
            throw Errors.state(method, backend(), "tensor has shape " + shape + " (" + size()
                    + " elements), not one value");
        }
    }

    private void requireDType(DType expected, String method) {
        checkOpen(method);
        if (dtype() != expected) {
            throw Errors.state(method, backend(), "tensor is " + dtype() + " " + shape + ", not " + expected
                    + "; cast first");
        }
    }

    private void requireIntegral(String method) {
        checkOpen(method);
        if (!dtype().isIntegral()) {
            throw Errors.state(method, backend(), "tensor is " + dtype() + " " + shape + "; cast first");
        }
    }
}
