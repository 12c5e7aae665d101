package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.Primitive;
import java.lang.ref.Reference;

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

    /** A trainable variable named "Variable" initialised with a copy of {@code initial}. */
    public Variable(Tensor initial) {
        this(initial, "Variable", true);
    }

    /** A trainable variable initialised with a copy of {@code initial}. */
    public Variable(Tensor initial, String name) {
        this(initial, name, true);
    }

    /** A variable initialised with a copy of {@code initial}; trainable ones are watched by tapes automatically. */
    public Variable(Tensor initial, String name, boolean trainable) {
        super(copyOf(initial), initial.shape(), initial.shape().contiguousStrides(), 0);
        this.name = name;
        this.trainable = trainable;
    }

    /** A trainable variable from a Java value (see {@link Tensor#constant(Object)}): {@code Variable.of(3.6)}. */
    public static Variable of(Object value) {
        return new Variable(Tensor.constant(value));
    }

    /** A trainable variable from a Java value converted to {@code dtype}. */
    public static Variable of(Object value, DType dtype) {
        return new Variable(Tensor.constant(value, dtype));
    }

    private static Storage copyOf(Tensor initial) {
        initial.checkOpen("Variable");
        Backend backend = initial.backend();
        Tensor copy = Tensor.allocate(backend, initial.shape(), initial.dtype());
        backend.copy(initial.view(), copy.view());
        Reference.reachabilityFence(initial);
        return copy.storage;
    }

    public String name() {
        return name;
    }

    public boolean trainable() {
        return trainable;
    }

    /** Overwrites the value with {@code value} (broadcast to this shape; same dtype required). Returns this. */
    public Variable assign(Tensor value) {
        Tensor source = checkedValue("assign", value);
        Ops.run(Primitive.COPY, this, () -> backend().copy(source.view(), view()));
        Reference.reachabilityFence(source); // a view does not keep its buffer alive: the tensor must
        return this;
    }

    /** Sets every element to {@code value}. */
    public Variable assign(double value) {
        checkOpen("assign");
        backend().fill(view(), value);
        return this;
    }

    /** {@code this += value}, in place on the backend. */
    public Variable assignAdd(Tensor value) {
        return update(Primitive.ADD, "assign_add", value);
    }

    /** {@code this -= value}, in place on the backend. */
    public Variable assignSub(Tensor value) {
        return update(Primitive.SUB, "assign_sub", value);
    }

    private Variable update(Primitive op, String opName, Tensor value) {
        Tensor source = checkedValue(opName, value);
        Ops.run(op, this, () -> backend().binary(op, view(), source.view(), view()));
        Reference.reachabilityFence(source);
        return this;
    }

    /** Validates before anything is written, so a rejected call leaves the variable unchanged. */
    private Tensor checkedValue(String op, Tensor value) {
        checkOpen(op);
        value.checkOpen(op);
        Ops.checkSameBackend(op, this, value);
        if (value.dtype() != dtype()) {
            throw new IllegalArgumentException(op + ": variable '" + name + "' is " + dtype() + " " + shape()
                    + " but the value is " + value.dtype() + " " + value.shape() + "; cast the value first");
        }
        if (!Shape.broadcast(op, value.shape(), shape()).equals(shape())) {
            throw new IllegalArgumentException(op + ": value of shape " + value.shape()
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
        Tensor copy = Tensor.allocate(backend(), shape(), dtype());
        backend().copy(view(), copy.view());
        return copy;
    }

    /** {@code Variable('w', shape=(), dtype=float32, value=10.0)}. */
    @Override
    public String toString() {
        if (isClosed()) {
            return "Variable('" + name + "', <closed>)";
        }
        return "Variable('" + name + "', shape=" + shape() + ", dtype=" + dtype() + ", value="
                + HostArrays.render(download(), shape().dims()) + ")";
    }
}
