package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import java.lang.ref.Reference;
import java.util.OptionalDouble;

/**
 * A mutable tensor, like {@code tf.Variable}: it holds model parameters and optimizer state, updated in place on its
 * backend by {@link #assign}, {@link #assignAdd} and {@link #assignSub} (no host round trip). It is a
 * {@link Tensor}, so it goes into ops directly; a trainable variable is watched by every {@link GradientTape} that
 * sees it read. Its shape and dtype are fixed at creation.
 *
 * <p>Ops that read a variable see its value at the time they run; views of it (reshape, slice, broadcast) share its
 * buffer, so keep assignments out of a forward pass whose gradient you still need.
 *
 * <pre>{@code
 * Variable w = new Variable(Tensor.scalar(10.0), "w");
 * w.assignSub(Tensor.scalar(0.5));   // w = 9.5
 * w.assign(Tensor.scalar(7.0));      // w = 7.0
 * }</pre>
 */
public class Variable extends Tensor {
    private final String name;
    private final boolean trainable;
    // the number every element holds, when the host knows it (knownValue): set by assign(double) outside a trace
    private double hostValue;
    private boolean hostValueKnown;
    // written by a traced step: the compiled program's replays change it without the host, which never knows it again
    private boolean writtenByCompiledStep;

    /** The name a variable gets when none is given, as in TensorFlow. */
    public static final String DEFAULT_NAME = "Variable";

    /** A trainable variable named {@value #DEFAULT_NAME} initialised with a copy of {@code initial}. */
    public Variable(Tensor initial) {
        this(initial, DEFAULT_NAME, true);
    }

    /** A trainable variable initialised with a copy of {@code initial}; a {@code null} name means the default. */
    public Variable(Tensor initial, String name) {
        this(initial, name, true);
    }

    /**
     * A variable initialised with a copy of {@code initial}; trainable ones are watched by tapes automatically. The
     * name shows in {@link #toString()}, in error messages and in the optimizers' warnings; {@code null} means
     * {@value #DEFAULT_NAME}.
     */
    public Variable(Tensor initial, String name, boolean trainable) {
        super(copyOf(initial), initial.shape(), initial.shape().sharedStrides(), 0);
        this.name = name == null ? DEFAULT_NAME : name;
        this.trainable = trainable;
    }

    /** A trainable variable from a Java value (see {@link Tensor#constant(Object)}): {@code Variable.of(3.6)}. */
    public static Variable of(Object value) {
        return new Variable(Tensor.fromJava("Variable.of", value));
    }

    /** A trainable variable from a Java value converted to {@code dtype}. */
    public static Variable of(Object value, DType dtype) {
        return new Variable(Tensor.constant("Variable.of", value, dtype));
    }

    /** A trainable variable named {@code name} from a Java value: {@code Variable.of(0.0, "bias")}. */
    public static Variable of(Object value, String name) {
        return new Variable(Tensor.fromJava("Variable.of", value), name);
    }

    private static Storage copyOf(Tensor initial) {
        Errors.notNull(initial, "Variable", "initial").checkOpen("Variable");
        Tracer.refuseVariable(initial);
        Backend backend = initial.backend();
        Tensor copy = Tensor.allocate("Variable", backend, initial.shape(), initial.dtype());
        Tensor source = Ops.onDevice("Variable", initial);
        Ops.run("Variable", initial, () -> Tracer.device(backend).copy(source.view(), copy.view()));
        Reference.reachabilityFence(source);
        return copy.storage;
    }

    /** The name given at creation, or {@value #DEFAULT_NAME}. */
    public String name() {
        return name;
    }

    /** Whether tapes watch this variable when it is read, and optimizers may train it. */
    public boolean trainable() {
        return trainable;
    }

    /**
     * The number every element holds, when the host knows it without reading the device: after
     * {@link #assign(double)}, until the next write. Empty after any other write, while this thread traces a compiled
     * step (its replays will find other values), and for good once a compiled step writes this variable (its replays
     * change it without the host). No backend call: optimizers use it to compute a step's coefficients on the host in
     * an eager loop, and on the device once a compiled step owns their state.
     *
     * <pre>{@code
     * Variable count = new Variable(Tensor.scalar(0.0), "count", false);
     * count.knownValue();    // empty: made from a tensor
     * count.assign(3);
     * count.knownValue();    // OptionalDouble[3.0]
     * count.assignAdd(1);
     * count.knownValue();    // empty: computed on the device
     * }</pre>
     */
    public OptionalDouble knownValue() {
        checkOpen("knownValue");
        return hostValueKnown && !writtenByCompiledStep && !Tracer.tracing() ? OptionalDouble.of(hostValue)
                : OptionalDouble.empty();
    }

    /** Before a write other than an eager {@link #assign(double)}: the host no longer knows the value. */
    private void forgetHostValue() {
        hostValueKnown = false;
        if (Tracer.tracing()) {
            writtenByCompiledStep = true;
        }
    }

    /** Overwrites the value with {@code value} (broadcast to this shape; same dtype required). Returns this. */
    public Variable assign(Tensor value) {
        Tensor source = Ops.onDevice("assign", checkedValue("assign", value));
        forgetHostValue();
        Ops.run("assign", this, () -> device().copy(source.view(), view()));
        Reference.reachabilityFence(source); // a view does not keep its buffer alive: the tensor must
        return this;
    }

    /** Sets every element to {@code value}, which this variable's dtype must hold exactly. Returns this. */
    public Variable assign(double value) {
        checkNumber("assign", value);
        forgetHostValue();
        Ops.run("assign", this, () -> device().fill(view(), value));
        if (!Tracer.tracing()) {
            hostValue = HostScalar.of(dtype(), value).value(); // what the fill stored: float32 rounds
            hostValueKnown = true;
        }
        return this;
    }

    /** {@code this += value}, in place on the backend. Returns this. */
    public Variable assignAdd(Tensor value) {
        return update(Primitive.ADD, "assignAdd", value);
    }

    /** {@code this += value} for a Java number, which this variable's dtype must hold exactly. Returns this. */
    public Variable assignAdd(double value) {
        return update(Primitive.ADD, "assignAdd", scalar("assignAdd", value));
    }

    /** {@code this -= value}, in place on the backend. Returns this. */
    public Variable assignSub(Tensor value) {
        return update(Primitive.SUB, "assignSub", value);
    }

    /** {@code this -= value} for a Java number, which this variable's dtype must hold exactly. Returns this. */
    public Variable assignSub(double value) {
        return update(Primitive.SUB, "assignSub", scalar("assignSub", value));
    }

    private Variable update(Primitive op, String method, Tensor value) {
        Tensor source = checkedValue(method, value);
        forgetHostValue();
        Ops.run(method, this, () -> device().binary(op, view(), source.view(), view()));
        Reference.reachabilityFence(source);
        return this;
    }

    /** A Java number as a scalar of this variable's dtype, rejected when the dtype cannot hold it exactly. */
    private Tensor scalar(String method, double value) {
        checkNumber(method, value);
        return Tensor.hostScalar(backend(), dtype(), value);
    }

    private void checkNumber(String method, double value) {
        checkOpen(method);
        DType type = dtype();
        boolean exact = switch (type) {
            case FLOAT32, FLOAT64 -> true; // rounding to float32 is what a float32 variable means
            case INT32 -> value == Math.rint(value) && value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
            case INT64 -> value == Math.rint(value) && value >= -0x1p63 && value < 0x1p63;
            case BOOL -> value == 0 || value == 1;
        };
        if (!exact) {
            throw Errors.invalid(method, backend(), "variable '" + name + "' is " + type + " " + shape()
                    + " and cannot hold the Java number " + value + " exactly");
        }
    }

    /** Validates before anything is written, so a rejected call leaves the variable unchanged. */
    private Tensor checkedValue(String method, Tensor value) {
        checkOpen(method);
        Errors.notNull(value, method, "value").checkOpen(method);
        Ops.checkSameBackend(method, this, value);
        if (value.dtype() != dtype()) {
            throw Errors.invalid(method, backend(), "variable '" + name + "' is " + dtype() + " " + shape()
                    + " but the value is " + value.dtype() + " " + value.shape() + "; cast the value first");
        }
        if (!Shape.broadcast(method, backend(), value.shape(), shape()).equals(shape())) {
            throw Errors.invalid(method, backend(), "value of shape " + value.shape()
                    + " does not fit variable '" + name + "' of shape " + shape());
        }
        Tensor expanded = value.shape().equals(shape()) ? value : value.stopGradient().broadcastTo(shape());
        if (expanded.storage == storage && !(java.util.Arrays.equals(expanded.strides, strides)
                && expanded.offset == offset)) {
            // the value is another view of this variable: read all of it before anything is written
            expanded = Ops.contiguous(new Tensor(expanded.storage, expanded.shape(), expanded.strides,
                    expanded.offset));
        }
        return expanded;
    }

    /**
     * A snapshot of the current value that tapes do not see, like {@code tf.stop_gradient(v)}: a copy, so later
     * assignments do not change it.
     */
    @Override
    public Tensor stopGradient() {
        return value();
    }

    /** A constant snapshot of the current value (a copy, unaffected by later assignments). */
    public Tensor value() {
        checkOpen("value");
        Tensor copy = Tensor.allocate("value", backend(), shape(), dtype());
        Ops.run("value", this, () -> device().copy(view(), copy.view()));
        return copy;
    }

    /** {@code Variable('w', shape=(), dtype=float32, value=10.0)}. */
    @Override
    public String toString() {
        if (isClosed()) {
            return "Variable('" + name + "', <closed>)";
        }
        return "Variable('" + name + "', shape=" + shape() + ", dtype=" + dtype() + ", value="
                + HostArrays.render(download("toString"), shape().dims()) + ")";
    }
}
