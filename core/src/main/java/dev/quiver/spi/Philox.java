package dev.quiver.spi;

/**
 * The reference of Quiver's random numbers: Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11), a counter-based generator, so element {@code i} of a random tensor depends only on
 * {@code (seed, counter + i)} and every backend — a CPU loop or a GPU thread per element — produces the same
 * numbers. Device kernels implement exactly these formulas; this class is their twin and the CPU's kernel.
 *
 * <p>Element {@code i}: {@code x = philox(counter = (lo(c), hi(c), 0, 0), key = (lo(seed), hi(seed)))} with
 * {@code c = counter + i}, giving four unsigned 32-bit words {@code x0..x3}. Then
 * <ul>
 *   <li>uniform float32: {@code u = (x0 >>> 8) * 2^-24}; uniform float64: {@code u = (x0 << 21 | x1 >>> 11) * 2^-53};
 *       value {@code low + (high - low) * u} computed in double and rounded to the dtype;</li>
 *   <li>normal (both dtypes): {@code u1 = (x2 + 1) * 2^-32}, {@code u2 = x3 * 2^-32},
 *       {@code z = sqrt(-2 ln u1) * cos(2 pi u2)}, value {@code mean + std * z} in double, rounded.</li>
 * </ul>
 *
 * <pre>{@code
 * int[] words = Philox.block(42L, 0L);      // four 32-bit words for counter 0
 * double z = Philox.normal(42L, 7L);        // the 8th standard-normal value of seed 42
 * }</pre>
 */
public final class Philox {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final double TWO_POW_MINUS_24 = 0x1.0p-24;
    private static final double TWO_POW_MINUS_32 = 0x1.0p-32;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private Philox() {
    }

    /** The four output words for one 64-bit counter and 64-bit key (ten rounds). */
    public static int[] block(long seed, long counter) {
        int c0 = (int) counter;
        int c1 = (int) (counter >>> 32);
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
        return new int[] {c0, c1, c2, c3};
    }

    /** Uniform in [0, 1) with 24 random bits (the float32 recipe). */
    public static double uniform24(long seed, long counter) {
        int[] x = block(seed, counter);
        return (x[0] >>> 8) * TWO_POW_MINUS_24;
    }

    /** Uniform in [0, 1) with 53 random bits (the float64 recipe). */
    public static double uniform53(long seed, long counter) {
        int[] x = block(seed, counter);
        long bits = ((x[0] & 0xFFFFFFFFL) << 21) | ((x[1] & 0xFFFFFFFFL) >>> 11);
        return bits * TWO_POW_MINUS_53;
    }

    /**
     * Element value of a random fill: the distribution's recipe from the class comment applied to the block of
     * {@code counter}, in double ({@code singlePrecision} picks the float32 uniform recipe). Backends running on the
     * host call this per element; device kernels implement the same formulas.
     */
    public static double sample(RandomDistribution distribution, boolean singlePrecision, long seed, long counter,
                                double first, double second) {
        if (distribution == RandomDistribution.UNIFORM) {
            double u = singlePrecision ? uniform24(seed, counter) : uniform53(seed, counter);
            return first + (second - first) * u;
        }
        return first + second * normal(seed, counter);
    }

    /** A standard normal value by Box-Muller from words {@code x2, x3}. */
    public static double normal(long seed, long counter) {
        int[] x = block(seed, counter);
        double u1 = ((x[2] & 0xFFFFFFFFL) + 1.0) * TWO_POW_MINUS_32;
        double u2 = (x[3] & 0xFFFFFFFFL) * TWO_POW_MINUS_32;
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
