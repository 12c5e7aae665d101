package dev.quiver.bench;

import dev.quiver.DType;
import dev.quiver.Shape;
import dev.quiver.Tensor;

/**
 * Quiver's side of each benchmark: the public API exactly as a user calls it, on the backend selected by
 * {@link Engines#useQuiver}. Inputs are uploaded once in {@code @Setup}; each run allocates its result, and
 * synchronizes so an asynchronous (GPU) backend is timed to completion, not to enqueue.
 *
 * <pre>{@code
 * Engines.useQuiver("cpu");
 * Kernel add = QuiverKernels.add(Data.floats(1024, 1), Data.floats(1024, 2));
 * }</pre>
 */
public final class QuiverKernels {
    private QuiverKernels() {
    }

    /** A kernel over tensors: {@code op} makes the result; reading and closing are shared. */
    interface TensorOp {
        Tensor apply();
    }

    static Kernel of(TensorOp op) {
        return Kernel.of(() -> {
            Tensor result = op.apply();
            result.backend().synchronize();
            return result;
        }, Tensor::toDoubleArray, Tensor::close);
    }

    public static Kernel add(float[] a, float[] b) {
        Tensor x = Tensor.constant(a);
        Tensor y = Tensor.constant(b);
        return of(() -> x.add(y));
    }

    /** {@code a * b + c} as a user writes it: two ops, one intermediate. */
    public static Kernel mulAdd(float[] a, float[] b, float[] c) {
        Tensor x = Tensor.constant(a);
        Tensor y = Tensor.constant(b);
        Tensor z = Tensor.constant(c);
        return of(() -> x.mul(y).add(z));
    }

    public static Kernel sum(float[] a, boolean mean) {
        Tensor x = Tensor.constant(a);
        return mean ? of(x::mean) : of(x::sum);
    }

    /** {@code a} (batch, m, k) @ {@code b} (batch, k, n); rank 2 when {@code batch == 0}. */
    public static Kernel matmul(Object a, Object b, int batch, int m, int k, int n) {
        DType type = a instanceof float[] ? DType.FLOAT32 : DType.FLOAT64;
        Tensor x = Tensor.constant(a, type);
        Tensor y = Tensor.constant(b, type);
        Tensor left = batch == 0 ? x.reshape(m, k) : x.reshape(batch, m, k);
        Tensor right = batch == 0 ? y.reshape(k, n) : y.reshape(batch, k, n);
        return of(() -> left.matmul(right));
    }

    /** A 1-element add: everything but the arithmetic is dispatch (checks, allocation, views, tape lookup). */
    public static Kernel tinyAdd(float a, float b) {
        Tensor x = Tensor.constant(new float[] {a});
        Tensor y = Tensor.constant(new float[] {b});
        return of(() -> x.add(y));
    }

    /**
     * {@code Tensor.randomNormal(size)} with a new seed each run (so no run repeats the last one's stream); the first
     * run uses seed 1.
     */
    public static Kernel normal(boolean float64, int size) {
        DType type = float64 ? DType.FLOAT64 : DType.FLOAT32;
        long[] seed = {1};
        return of(() -> Tensor.randomNormal(Shape.of(size), 0, 1, seed[0]++, type));
    }
}
