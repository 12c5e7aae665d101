package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Philox;
import dev.quiver.spi.RandomDistribution;

/**
 * Random fills with the Philox-4x32-10 recipe of {@link Philox}, one call per element (the JIT inlines it and
 * scalar-replaces the four-word block, so nothing is allocated per element). Elements are independent
 * (counter-based), so any split across threads gives the same numbers.
 */
final class RandomFill {
    private RandomFill() {
    }

    /** Fills {@code out[at + i]} for {@code i} in {@code [from, to)} with element {@code i} of the stream. */
    static void fill(RandomDistribution distribution, long seed, long counter, double first, double second,
            DType type, Object out, int at, int from, int to) {
        if (type == DType.FLOAT32) {
            float[] floats = (float[]) out;
            for (int i = from; i < to; i++) {
                floats[at + i] = (float) Philox.sample(distribution, true, seed, counter + i, first, second);
            }
        } else {
            double[] doubles = (double[]) out;
            for (int i = from; i < to; i++) {
                doubles[at + i] = Philox.sample(distribution, false, seed, counter + i, first, second);
            }
        }
    }
}
