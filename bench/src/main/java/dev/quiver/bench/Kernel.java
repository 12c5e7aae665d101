package dev.quiver.bench;

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
}
