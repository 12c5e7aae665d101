package dev.quiver.spi;

/**
 * The reference of Quiver's random numbers: Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11), a counter-based generator, so element {@code e} of a random stream depends only on
 * {@code (seed, e)} and every backend (a SIMD loop, a GPU thread per element) produces the same bits. Device
 * kernels ({@code philox.qk}) and the CPU's SIMD fill ({@code RandomSimd}) implement exactly these formulas, with
 * the same operations in the same order; this class is their scalar twin and the CPU's tail/scalar path.
 *
 * <p>Block {@code b}: {@code x0..x3 = philox(counter = (lo(b), hi(b), 0, 0), key = (lo(seed), hi(seed)))}, four
 * unsigned 32-bit words. Every word is used. Element {@code e} (the fill's {@code counter + i}, unsigned) is:
 * <ul>
 *   <li>uniform float32: block {@code e >>> 2}, word {@code w = x[e & 3]}: {@code u = (w >>> 8) * 2^-24};
 *       value {@code fma(span, u, low)} in float with {@code low = (float) first},
 *       {@code span = (float) (second - first)};</li>
 *   <li>uniform float64: block {@code e >>> 1}, {@code h = 2 (e & 1)}: {@code u = (x[h] << 21 | x[h+1] >>> 11) * 2^-53};
 *       value {@code fma(second - first, u, first)} in double;</li>
 *   <li>normal float32 (computed in float): block {@code e >>> 2}, {@code j = e & 3}; the Box-Muller pair of words
 *       {@code (x[j & 2], x[j | 1])} gives both values: {@code cos} for even {@code e}, {@code sin} for odd.
 *       {@code u1 = ((x[j & 2] >>> 8) + 1) * 2^-24} in {@code (0, 1]}, {@code r = sqrt(-2 log(u1))}; the angle
 *       {@code 2 pi t 2^-32} of {@code t = x[j | 1]} (minus a quarter turn for sin, as {@code sin a = cos(a - pi/2)})
 *       is reduced to a quadrant {@code q} and {@code x in [-1, 1)} of an eighth turn ({@link #normalFloat});
 *       value {@code fma((float) second, r * cosine, (float) first)};</li>
 *   <li>normal float64: block {@code e >>> 1}: {@code u1 = ((x0 << 21 | x1 >>> 11) + 1) * 2^-53},
 *       {@code t = x3 << 32 | x2} (64 angle bits), cos for even {@code e} and sin for odd; value
 *       {@code fma(second, r * cosine, first)}.</li>
 * </ul>
 * {@code log}, {@code sin} and {@code cos} are Quiver's own range reduction and polynomials below (not libm), so
 * the bits do not depend on a platform's math library; {@code sqrt} is correctly rounded everywhere.
 *
 * <pre>{@code
 * int[] words = Philox.block(42L, 0L);                                    // four 32-bit words of block 0
 * double z = Philox.sampleDouble(RandomDistribution.NORMAL, 42L, 7L, 0, 1); // element 7 of seed 42, float64
 * }</pre>
 */
public final class Philox {
    /** The round multipliers of Philox-4x32 (words 0 and 2): public so that fast twins of {@link #block} use these. */
    public static final int M0 = 0xD2511F53;
    public static final int M1 = 0xCD9E8D57;
    /** The key increments per round (Weyl constants). */
    public static final int W0 = 0x9E3779B9;
    public static final int W1 = 0xBB67AE85;

    private Philox() {
    }

    /** The four output words for one 64-bit block counter and 64-bit key (ten rounds). */
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

    /** Element {@code element} of a float32 stream (the class comment's recipe), {@code first}/{@code second} as there. */
    public static float sampleFloat(RandomDistribution distribution, long seed, long element, double first,
                                    double second) {
        return floatOfBlock(distribution, block(seed, element >>> 2), (int) element & 3, first, second);
    }

    /** Element {@code element} of a float64 stream (the class comment's recipe). */
    public static double sampleDouble(RandomDistribution distribution, long seed, long element, double first,
                                      double second) {
        return doubleOfBlock(distribution, block(seed, element >>> 1), (int) element & 1, first, second);
    }

    /** Float32 element {@code j} (0..3) of block words {@code x}: for a host loop that computes each block once. */
    public static float floatOfBlock(RandomDistribution distribution, int[] x, int j, double first, double second) {
        if (distribution == RandomDistribution.UNIFORM) {
            return Math.fma((float) (second - first), uniformFloat(x[j]), (float) first);
        }
        float z = normalFloat(x[j & 2], x[j | 1], (j & 1) != 0);
        return Math.fma((float) second, z, (float) first);
    }

    /** Float64 element {@code j} (0..1) of block words {@code x}. */
    public static double doubleOfBlock(RandomDistribution distribution, int[] x, int j, double first, double second) {
        if (distribution == RandomDistribution.UNIFORM) {
            return Math.fma(second - first, uniformDouble(x[2 * j], x[2 * j + 1]), first);
        }
        double z = normalDouble(x[0], x[1], x[2], x[3], j != 0);
        return Math.fma(second, z, first);
    }

    /** Uniform in [0, 1) from one word: its top 24 bits. */
    public static float uniformFloat(int word) {
        return (word >>> 8) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) from two words: 53 bits, {@code high}'s 32 then {@code low}'s top 21. */
    public static double uniformDouble(int high, int low) {
        return bits53(high, low) * 0x1.0p-53;
    }

    private static long bits53(int high, int low) {
        return ((high & 0xFFFFFFFFL) << 21) | ((low & 0xFFFFFFFFL) >>> 11);
    }

    /**
     * One value of the float32 Box-Muller pair {@code (radiusWord, angleWord)}: {@code r cos(a)}, or {@code r sin(a)}
     * when {@code sine}. Angle reduction (exact, in integers): {@code t = angleWord + 2^29 - (sine ? 2^30 : 0)},
     * quadrant {@code q = t >>> 30}, {@code x = ((t & (2^30 - 1)) >>> 6) * 2^-23 - 1} so that
     * {@code a = q pi/2 + x pi/4}; then {@code cos a} is {@code c, -s, -c, s} for {@code q = 0..3} with
     * {@code s = sin(x pi/4)}, {@code c = cos(x pi/4)} from {@link Twin}.
     */
    public static float normalFloat(int radiusWord, int angleWord, boolean sine) {
        float u1 = ((radiusWord >>> 8) + 1) * 0x1.0p-24f;
        float r = (float) Math.sqrt(-2f * Twin.logFloat(u1));
        int t = angleWord + (1 << 29) - (sine ? 1 << 30 : 0);
        int q = t >>> 30;
        float x = (((t & 0x3FFFFFFF) >>> 6) - (1 << 23)) * 0x1.0p-23f;
        float x2 = x * x;
        float cosine = (q & 1) == 0 ? Twin.cosFloat(x2) : Twin.sinFloat(x, x2);
        if (((q + 1) & 2) != 0) {
            cosine = -cosine;
        }
        return r * cosine;
    }

    /**
     * One value of the float64 Box-Muller pair of block words {@code x0..x3}: radius from {@code x0, x1} (53 bits),
     * angle {@code t = x3 << 32 | x2} reduced as in {@link #normalFloat} with 64-bit {@code t}: {@code q = t >>> 62},
     * {@code x = ((t & (2^62 - 1)) >>> 9) * 2^-52 - 1}.
     */
    public static double normalDouble(int x0, int x1, int x2, int x3, boolean sine) {
        double u1 = (bits53(x0, x1) + 1) * 0x1.0p-53;
        double r = Math.sqrt(-2.0 * Twin.logDouble(u1));
        long t = ((long) x3 << 32 | (x2 & 0xFFFFFFFFL)) + (1L << 61) - (sine ? 1L << 62 : 0L);
        int q = (int) (t >>> 62);
        double x = (((t & 0x3FFFFFFFFFFFFFFFL) >>> 9) - (1L << 52)) * 0x1.0p-52;
        double xx = x * x;
        double cosine = (q & 1) == 0 ? Twin.cosDouble(xx) : Twin.sinDouble(x, xx);
        if (((q + 1) & 2) != 0) {
            cosine = -cosine;
        }
        return r * cosine;
    }

    /**
     * Quiver's log, sin and cos of the Box-Muller transform: the scalar twin of {@code RandomSimd} (backend-cpu, the
     * same formulas on vectors) and of {@code philox.qk} (the device kernels, C). The three must stay the same
     * sequence of operations, fma exactly where written here, so every backend gives the same bits.
     *
     * <p>{@code log}: the argument {@code u} in {@code (0, 1]} (never zero, subnormal or NaN: no special cases) is
     * split by its bits into {@code 2^k m}, {@code m} in {@code [sqrt(1/2), sqrt 2)}; {@code log(1 + f)} of
     * {@code f = m - 1} uses {@code s = f / (2 + f)} and the fdlibm/musl minimax polynomials
     * ({@code e_log.c}, {@code logf.c}). {@code sin}/{@code cos}: the Taylor polynomials of {@code sin(x pi/4)} and
     * {@code cos(x pi/4)} for {@code x} in {@code [-1, 1]} ({@code pi/4} as a sum of two constants in sin), cut where the next term is below 0.05 ulp.
     * Measured accuracy (PhiloxTwinTest's sweep against StrictMath): see the report in the test.
     */
    public static final class Twin {
        // fdlibm e_log.c
        public static final double LG1 = 6.666666666666735130e-01;
        public static final double LG2 = 3.999999999940941908e-01;
        public static final double LG3 = 2.857142874366239149e-01;
        public static final double LG4 = 2.222219843214978396e-01;
        public static final double LG5 = 1.818357216161805012e-01;
        public static final double LG6 = 1.531383769920937332e-01;
        public static final double LG7 = 1.479819860511658591e-01;
        public static final double LN2_HI = 6.93147180369123816490e-01;
        public static final double LN2_LO = 1.90821492927058770002e-10;
        /** Bits of {@code sqrt(1/2)} rounded down: the split point of the mantissa. */
        public static final long SQRT_HALF_BITS = 0x3FE6A09E667F3BCDL;
        // musl logf.c
        public static final float LG1F = 0xaaaaaa.0p-24f;
        public static final float LG2F = 0xccce13.0p-25f;
        public static final float LG3F = 0x91e9ee.0p-25f;
        public static final float LG4F = 0xf89e26.0p-26f;
        public static final float LN2_HIF = 6.9313812256e-01f;
        public static final float LN2_LOF = 9.0580006145e-06f;
        public static final int SQRT_HALF_BITSF = 0x3F3504F3;
        // sin(x pi/4) = x (S1 + x^2 (S3 + ...)), cos(x pi/4) = 1 + x^2 (C2 + x^2 (C4 + ...)): Taylor, rounded
        public static final float S1F = 0x1.921fb6p-1f;
        /** {@code pi/4 - S1F}: sin's leading term is {@code x S1F + x S1LOF}, one rounding at the end. */
        public static final float S1LOF = -0x1.777a5cp-26f;
        public static final float S3F = -0x1.4abbcep-4f;
        public static final float S5F = 0x1.466bc6p-9f;
        public static final float S7F = -0x1.32d2ccp-15f;
        public static final float S9F = 0x1.507834p-22f;
        public static final float C2F = -0x1.3bd3ccp-2f;
        public static final float C4F = 0x1.03c1f0p-6f;
        public static final float C6F = -0x1.55d3c8p-12f;
        public static final float C8F = 0x1.e1f506p-19f;
        public static final float C10F = -0x1.a6d1f2p-26f;
        public static final double S1 = 0x1.921fb54442d18p-1;
        /** {@code pi/4 - S1}. */
        public static final double S1LO = 0x1.1a62633145c07p-55;
        public static final double S3 = -0x1.4abbce625be53p-4;
        public static final double S5 = 0x1.466bc6775aae2p-9;
        public static final double S7 = -0x1.32d2cce62bd86p-15;
        public static final double S9 = 0x1.50783487ee782p-22;
        public static final double S11 = -0x1.e3074fde8871fp-30;
        public static final double S13 = 0x1.e8f434d018d63p-38;
        public static final double S15 = -0x1.6fadb9f155744p-46;
        public static final double S17 = 0x1.aaec32af93359p-55;
        public static final double C2 = -0x1.3bd3cc9be45dep-2;
        public static final double C4 = 0x1.03c1f081b5ac4p-6;
        public static final double C6 = -0x1.55d3c7e3cbffap-12;
        public static final double C8 = 0x1.e1f506891babbp-19;
        public static final double C10 = -0x1.a6d1f2a204a8cp-26;
        public static final double C12 = 0x1.f9d38a3763cc3p-34;
        public static final double C14 = -0x1.b6e24f44b128fp-42;
        public static final double C16 = 0x1.20c62c2f2d7f5p-50;

        private Twin() {
        }

        /** Natural log of {@code u} in {@code (0, 1]} (float). */
        public static float logFloat(float u) {
            int ix = Float.floatToRawIntBits(u) - SQRT_HALF_BITSF;
            float k = ix >> 23;
            float f = Float.intBitsToFloat((ix & 0x007FFFFF) + SQRT_HALF_BITSF) - 1f;
            float s = f / (2f + f);
            float z = s * s;
            float w = z * z;
            float r = z * Math.fma(w, LG3F, LG1F) + w * Math.fma(w, LG4F, LG2F);
            float hfsq = 0.5f * f * f;
            float inner = Math.fma(s, hfsq + r, k * LN2_LOF);
            return Math.fma(k, LN2_HIF, f - (hfsq - inner));
        }

        /** Natural log of {@code u} in {@code (0, 1]} (double). */
        public static double logDouble(double u) {
            long ix = Double.doubleToRawLongBits(u) - SQRT_HALF_BITS;
            double k = ix >> 52;
            double f = Double.longBitsToDouble((ix & 0x000FFFFFFFFFFFFFL) + SQRT_HALF_BITS) - 1.0;
            double s = f / (2.0 + f);
            double z = s * s;
            double w = z * z;
            double r = z * Math.fma(w, Math.fma(w, Math.fma(w, LG7, LG5), LG3), LG1)
                    + w * Math.fma(w, Math.fma(w, LG6, LG4), LG2);
            double hfsq = 0.5 * f * f;
            double inner = Math.fma(s, hfsq + r, k * LN2_LO);
            return Math.fma(k, LN2_HI, f - (hfsq - inner));
        }

        /** {@code sin(x pi/4)} for {@code x} in [-1, 1], {@code x2 = x * x}. */
        public static float sinFloat(float x, float x2) {
            float p = Math.fma(x2, Math.fma(x2, Math.fma(x2, S9F, S7F), S5F), S3F);
            return Math.fma(x, S1F, x * Math.fma(x2, p, S1LOF));
        }

        /** {@code cos(x pi/4)} for {@code x} in [-1, 1] given {@code x2 = x * x}. */
        public static float cosFloat(float x2) {
            return Math.fma(x2, Math.fma(x2, Math.fma(x2, Math.fma(x2, Math.fma(x2, C10F, C8F), C6F), C4F), C2F),
                    1f);
        }

        /** {@code sin(x pi/4)} for {@code x} in [-1, 1], {@code x2 = x * x}. */
        public static double sinDouble(double x, double x2) {
            double p = Math.fma(x2, Math.fma(x2, Math.fma(x2, Math.fma(x2, S17, S15), S13), S11), S9);
            p = Math.fma(x2, Math.fma(x2, Math.fma(x2, p, S7), S5), S3);
            return Math.fma(x, S1, x * Math.fma(x2, p, S1LO));
        }

        /** {@code cos(x pi/4)} for {@code x} in [-1, 1] given {@code x2 = x * x}. */
        public static double cosDouble(double x2) {
            double p = Math.fma(x2, Math.fma(x2, Math.fma(x2, Math.fma(x2, C16, C14), C12), C10), C8);
            return Math.fma(x2, Math.fma(x2, Math.fma(x2, Math.fma(x2, p, C6), C4), C2), 1.0);
        }
    }
}
