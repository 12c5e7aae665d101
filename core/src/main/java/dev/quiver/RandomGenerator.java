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
 * }</pre>
 */
public final class RandomGenerator {
    private final long seed;
    private long counter;

    public RandomGenerator(long seed) {
        this.seed = seed;
    }

    /** Standard normal float32 values. */
    public Tensor normal(Shape shape) {
        return normal(shape, 0, 1, DType.FLOAT32);
    }

    public synchronized Tensor normal(Shape shape, double mean, double standardDeviation, DType dtype) {
        return draw(RandomDistribution.NORMAL, shape, mean, standardDeviation, dtype);
    }

    /** Uniform float32 values in [0, 1). */
    public Tensor uniform(Shape shape) {
        return uniform(shape, 0, 1, DType.FLOAT32);
    }

    public synchronized Tensor uniform(Shape shape, double low, double high, DType dtype) {
        return draw(RandomDistribution.UNIFORM, shape, low, high, dtype);
    }

    private Tensor draw(RandomDistribution distribution, Shape shape, double first, double second, DType dtype) {
        Backend backend = Quiver.backend();
        Tensor out = Tensor.random(backend, distribution, shape, first, second, seed, counter, dtype);
        counter += shape.size();
        return out;
    }

    public long seed() {
        return seed;
    }
}
