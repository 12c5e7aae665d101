package dev.quiver.bench;

import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One measured operation of one engine, made in a benchmark's {@code @Setup} over data already on the engine's
 * device. {@link #run()} is what JMH times; {@link #read} turns a result into values for the agreement check,
 * outside the timing; {@link #release} is what a user who scopes big results does after using one.
 *
 * <pre>{@code
 * Kernel add = JavaKernels.add(a, b, out);
 * double[] values = add.read(add.run());
 * }</pre>
 */
public interface Kernel {
    /** Runs the operation once, to completion (asynchronous engines synchronize), and returns its result. */
    Object run();

    /** The result's values as doubles, row-major. */
    double[] read(Object result);

    /** Gives a result's memory back (closing a tensor); a no-op where the engine has nothing to give back. */
    default void release(Object result) {
    }

    /**
     * A kernel from its three parts, for engines whose results are objects of one type (a tensor, an array).
     *
     * <pre>{@code
     * Kernel sum = Kernel.of(() -> x.sum(), Tensor::toDoubleArray, Tensor::close);   // x a Quiver Tensor
     * }</pre>
     */
    static <T> Kernel of(Supplier<T> run, Function<? super T, double[]> read, Consumer<? super T> release) {
        return new Kernel() {
            @Override
            public Object run() {
                return run.get();
            }

            @SuppressWarnings("unchecked")
            @Override
            public double[] read(Object result) {
                return read.apply((T) result);
            }

            @SuppressWarnings("unchecked")
            @Override
            public void release(Object result) {
                release.accept((T) result);
            }
        };
    }
}
