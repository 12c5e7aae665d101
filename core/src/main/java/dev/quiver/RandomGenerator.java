package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.RandomDistribution;

/**
 * A seeded stream of random tensors generated on the backend (no host transfer): every call continues the
 * counter-based Philox stream, so a program with a fixed seed draws the same numbers on every run and every backend.
 *
 * <pre>{@code
 * RandomGenerator random = new RandomGenerator(42);
 * Tensor x = random.normal(Shape.of(64, 1));            // fresh batch each call
 * Tensor u = random.uniform(Shape.of(3), -1, 1, DType.FLOAT32);
 * Tensor n = random.normal(DType.FLOAT64, 2, 3);          // every shape form, with or without a dtype
 * }</pre>
 */
public final class RandomGenerator {
    private final long seed;
    private long counter;

    /** A stream starting at counter 0 of {@code seed}. */
    public RandomGenerator(long seed) {
        this.seed = seed;
    }

    /** Standard normal float32 values of dimensions {@code dims}. */
    public Tensor normal(int... dims) {
        return normal(DType.FLOAT32, dims);
    }

    /** Standard normal values of dimensions {@code dims} and floating {@code dtype}. */
    public Tensor normal(DType dtype, int... dims) {
        return draw("normal", RandomDistribution.NORMAL, dims, null, 0, 1, dtype);
    }

    /** Standard normal float32 values. */
    public Tensor normal(Shape shape) {
        return normal(shape, 0, 1, DType.FLOAT32);
    }

    /** Standard normal values of floating {@code dtype}. */
    public Tensor normal(Shape shape, DType dtype) {
        return normal(shape, 0, 1, dtype);
    }

    /** float32 normal values with the given mean and standard deviation. */
    public Tensor normal(Shape shape, double mean, double standardDeviation) {
        return normal(shape, mean, standardDeviation, DType.FLOAT32);
    }

    /** Normal values with the given mean and standard deviation, of floating {@code dtype}. */
    public Tensor normal(Shape shape, double mean, double standardDeviation, DType dtype) {
        return draw("normal", RandomDistribution.NORMAL, null, shape, mean, standardDeviation, dtype);
    }

    /** Uniform float32 values in [0, 1) of dimensions {@code dims}. */
    public Tensor uniform(int... dims) {
        return uniform(DType.FLOAT32, dims);
    }

    /** Uniform values in [0, 1) of dimensions {@code dims} and floating {@code dtype}. */
    public Tensor uniform(DType dtype, int... dims) {
        return draw("uniform", RandomDistribution.UNIFORM, dims, null, 0, 1, dtype);
    }

    /** Uniform float32 values in [0, 1). */
    public Tensor uniform(Shape shape) {
        return uniform(shape, 0, 1, DType.FLOAT32);
    }

    /** Uniform values in [0, 1) of floating {@code dtype}. */
    public Tensor uniform(Shape shape, DType dtype) {
        return uniform(shape, 0, 1, dtype);
    }

    /** Uniform float32 values in {@code [low, high)}. */
    public Tensor uniform(Shape shape, double low, double high) {
        return uniform(shape, low, high, DType.FLOAT32);
    }

    /** Uniform values in {@code [low, high)} of floating {@code dtype}. */
    public Tensor uniform(Shape shape, double low, double high, DType dtype) {
        return draw("uniform", RandomDistribution.UNIFORM, null, shape, low, high, dtype);
    }

    /** Draws the next {@code shape.size()} values of the stream; {@code dims} is used when {@code shape} is null. */
    private Tensor draw(String method, RandomDistribution distribution, int[] dims, Shape shape,
                        double first, double second, DType dtype) {
        return draw(Quiver.backend(), method, distribution, dims, shape, first, second, dtype);
    }

    /** {@link #draw} on {@code backend} (tests draw on a wrapper of the current backend). */
    synchronized Tensor draw(Backend backend, String method, RandomDistribution distribution, int[] dims, Shape shape,
                             double first, double second, DType dtype) {
        if (shape == null && dims == null) {
            throw Errors.nullArgument(method, "shape");
        }
        Shape resolved = shape != null ? shape : Shape.of(method, backend, dims);
        Tracer.noteDraw(this, counter);
        Tensor out = Tensor.random(method, backend, distribution, resolved, first, second, seed, counter, dtype);
        counter += resolved.size();
        return out;
    }

    /** How many values this stream has given so far: the counter its next draw starts at. */
    public synchronized long position() {
        return counter;
    }

    /** Moves the stream on by {@code values} (a compiled step's replays draw on the device, not through here). */
    synchronized void skip(long values) {
        counter += values;
    }

    /** The seed this stream was made with. */
    public long seed() {
        return seed;
    }
}
