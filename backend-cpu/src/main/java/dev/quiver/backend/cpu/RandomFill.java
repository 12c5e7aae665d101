package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Philox;
import dev.quiver.spi.RandomDistribution;

/**
 * The Philox-4x32-10 recipe of {@link Philox}, inlined so that a fill does not allocate four words per
 * element; tests check it bit for bit against {@link Philox}. Elements are independent (counter-based), so
 * any split across threads gives the same numbers.
 */
final class RandomFill {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final double TWO_POW_MINUS_24 = 0x1.0p-24;
    private static final double TWO_POW_MINUS_32 = 0x1.0p-32;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private RandomFill() {
    }

    /** Fills {@code out[at + i]} for {@code i} in {@code [from, to)} with element {@code i} of the stream. */
    static void fill(RandomDistribution distribution, long seed, long counter, double first, double second,
            DType type, Object out, int at, int from, int to) {
        boolean single = type == DType.FLOAT32;
        float[] floats = single ? (float[]) out : null;
        double[] doubles = single ? null : (double[]) out;
        for (int i = from; i < to; i++) {
            long count = counter + i;
            int c0 = (int) count;
            int c1 = (int) (count >>> 32);
            int c2 = 0;
            int c3 = 0;
            int k0 = (int) seed;
            int k1 = (int) (seed >>> 32);
            for (int round = 0; round < 10; round++) {
                long product0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
                long product1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
                int hi0 = (int) (product0 >>> 32);
                int lo0 = (int) product0;
                int hi1 = (int) (product1 >>> 32);
                int lo1 = (int) product1;
                c0 = hi1 ^ c1 ^ k0;
                c1 = lo1;
                c2 = hi0 ^ c3 ^ k1;
                c3 = lo0;
                k0 += W0;
                k1 += W1;
            }
            double value;
            if (distribution == RandomDistribution.UNIFORM) {
                double u = single
                        ? (c0 >>> 8) * TWO_POW_MINUS_24
                        : (((c0 & 0xFFFFFFFFL) << 21) | ((c1 & 0xFFFFFFFFL) >>> 11)) * TWO_POW_MINUS_53;
                value = first + (second - first) * u;
            } else {
                double u1 = ((c2 & 0xFFFFFFFFL) + 1.0) * TWO_POW_MINUS_32;
                double u2 = (c3 & 0xFFFFFFFFL) * TWO_POW_MINUS_32;
                value = first + second * (Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2));
            }
            if (single) {
                floats[at + i] = (float) value;
            } else {
                doubles[at + i] = value;
            }
        }
    }
}
