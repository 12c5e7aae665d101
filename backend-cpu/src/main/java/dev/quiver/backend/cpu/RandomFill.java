package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Philox;
import dev.quiver.spi.Philox.Twin;
import dev.quiver.spi.RandomDistribution;

/**
 * Random fills with the Philox-4x32-10 recipe of {@link Philox}: {@link RandomSimd} at the backend's vector width,
 * or, with SIMD off, {@link Philox}'s scalar twin per element. Elements are independent (counter-based), so any
 * split across threads gives the same numbers, and both paths give the same bits (RandomSimdTest).
 */
final class RandomFill {
    /** What {@link RandomSimd} offers: fill {@code out[at + i]}, {@code i} in {@code [from, to)}, with element
     * {@code counter + i} of the stream. */
    interface Kernels {
        void fill(RandomDistribution distribution, long seed, long counter, double first, double second, DType type,
                Object out, int at, int from, int to);
    }

    private static final Kernels[] SIMD = new Kernels[3];

    private RandomFill() {
    }

    /**
     * Fills {@code out[at + i]} for {@code i} in {@code [from, to)}; {@code simdBits} 0 runs the scalar twin
     * ({@link #scalar}, the same bits).
     */
    static void fill(int simdBits, RandomDistribution distribution, long seed, long counter, double first,
            double second, DType type, Object out, int at, int from, int to) {
        if (simdBits == 0) {
            scalar(distribution, seed, counter, first, second, type, out, at, from, to);
        } else {
            kernels(simdBits).fill(distribution, seed, counter, first, second, type, out, at, from, to);
        }
    }

    /**
     * The scalar twin: {@link Philox}'s reference, block by block with everything in locals. Each block's Philox words
     * stay in registers and feed its elements at once (no scratch array, no ThreadLocal, no allocation: a fused loop
     * calls this per chunk); a Box-Muller pair computes its radius, reduced angle and both polynomials once for its two
     * elements (cos and sin); the quadrant picks and signs them with integer bit operations, not branches (random
     * quadrants defeat branch prediction). Each element gets the same operations in the same order as the reference,
     * fma exactly where {@link Philox} has fma, so the same bits (RandomSimdTest pins every kind, alignment and length).
     * Consecutive blocks are independent, so the CPU's out-of-order window overlaps them. No Vector API: this runs at
     * full speed under C1 and the interpreter's first calls too (the {@link RandomSimd} fill boxes every vector until
     * C2 compiles it). What small draws run (below {@code CpuBackend.RANDOM_SIMD_MIN_ELEMENTS}), e.g. a batch of 64 per
     * training step, and the heads and tails of the SIMD fill.
     */
    static void scalar(RandomDistribution distribution, long seed, long counter, double first, double second,
            DType type, Object out, int at, int from, int to) {
        boolean single = type == DType.FLOAT32;
        boolean normal = distribution == RandomDistribution.NORMAL;
        int shift = single ? 2 : 1;
        int lane = (1 << shift) - 1;
        float[] floats = single ? (float[]) out : null;
        double[] doubles = single ? null : (double[]) out;
        // the reference's float32 scale and shift: (float) second, (float) first for normals, span and low for uniforms
        float scaleF = (float) (normal ? second : second - first);
        float shiftF = (float) first;
        double scaleD = normal ? second : second - first;
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int i = from;
        while (i < to) {
            long element = counter + i;   // element counters wrap at 2^64
            int lo = (int) element & lane;   // this block's slots lo .. hi - 1 are elements i .. i + hi - lo - 1
            int hi = Math.min(lane + 1, lo + to - i);
            int base = at + i - lo;
            long block = element >>> shift;
            int c0 = (int) block;
            int c1 = (int) (block >>> 32);
            int c2 = 0;
            int c3 = 0;
            int key0 = k0;
            int key1 = k1;
            for (int round = 0; round < 10; round++) {   // Philox.block's rounds, in locals
                long product0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
                long product1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
                c0 = (int) (product1 >>> 32) ^ c1 ^ key0;
                c1 = (int) product1;
                c2 = (int) (product0 >>> 32) ^ c3 ^ key1;
                c3 = (int) product0;
                key0 += W0;
                key1 += W1;
            }
            if (single && normal) {
                pairFloats(c0, c1, scaleF, shiftF, floats, base, 0, lo, hi);
                pairFloats(c2, c3, scaleF, shiftF, floats, base, 2, lo, hi);
            } else if (single) {
                put(floats, base, 0, lo, hi, Math.fma(scaleF, Philox.uniformFloat(c0), shiftF));
                put(floats, base, 1, lo, hi, Math.fma(scaleF, Philox.uniformFloat(c1), shiftF));
                put(floats, base, 2, lo, hi, Math.fma(scaleF, Philox.uniformFloat(c2), shiftF));
                put(floats, base, 3, lo, hi, Math.fma(scaleF, Philox.uniformFloat(c3), shiftF));
            } else if (normal) {
                pairDoubles(c0, c1, c2, c3, scaleD, first, doubles, base, lo, hi);
            } else {
                put(doubles, base, 0, lo, hi, Math.fma(scaleD, Philox.uniformDouble(c0, c1), first));
                put(doubles, base, 1, lo, hi, Math.fma(scaleD, Philox.uniformDouble(c2, c3), first));
            }
            i += hi - lo;
        }
    }

    // Philox.block's constants (the reference's recipe; RandomSimdTest pins the bits)
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private static void put(float[] out, int base, int slot, int lo, int hi, float value) {
        if (slot >= lo && slot < hi) {
            out[base + slot] = value;
        }
    }

    private static void put(double[] out, int base, int slot, int lo, int hi, double value) {
        if (slot >= lo && slot < hi) {
            out[base + slot] = value;
        }
    }

    /**
     * Slots {@code slot} (cos) and {@code slot + 1} (sin) of the float32 Box-Muller pair {@code (radiusWord,
     * angleWord)}, as {@link Philox#normalFloat} then {@code fma(scale, z, shift)}. The sin element's angle is the cos
     * element's minus a quarter turn: the same reduced {@code x} (so one pair of polynomials), quadrant {@code q - 1}.
     * So the cos element is {@code q} odd ? sin : cos, negated when {@code q + 1} has bit 1; the sin element the other
     * polynomial, negated when {@code q} has bit 1.
     */
    private static void pairFloats(int radiusWord, int angleWord, float scale, float shift, float[] out, int base,
            int slot, int lo, int hi) {
        float u1 = ((radiusWord >>> 8) + 1) * 0x1.0p-24f;
        float r = (float) Math.sqrt(-2f * Twin.logFloat(u1));
        int t = angleWord + (1 << 29);
        int q = t >>> 30;
        float x = (((t & 0x3FFFFFFF) >>> 6) - (1 << 23)) * 0x1.0p-23f;
        float x2 = x * x;
        int cos = Float.floatToRawIntBits(Twin.cosFloat(x2));
        int sin = Float.floatToRawIntBits(Twin.sinFloat(x, x2));
        int swap = (cos ^ sin) & -(q & 1);
        float cosine = Float.intBitsToFloat(cos ^ swap ^ (((q + 1) & 2) << 30));
        float sine = Float.intBitsToFloat(sin ^ swap ^ ((q & 2) << 30));
        put(out, base, slot, lo, hi, Math.fma(scale, r * cosine, shift));
        put(out, base, slot + 1, lo, hi, Math.fma(scale, r * sine, shift));
    }

    /** Slots 0 (cos) and 1 (sin) of the float64 Box-Muller pair of a block, as {@link Philox#normalDouble}. */
    private static void pairDoubles(int x0, int x1, int x2, int x3, double scale, double shift, double[] out, int base,
            int lo, int hi) {
        double u1 = ((((x0 & 0xFFFFFFFFL) << 21) | ((x1 & 0xFFFFFFFFL) >>> 11)) + 1) * 0x1.0p-53;
        double r = Math.sqrt(-2.0 * Twin.logDouble(u1));
        long t = ((long) x3 << 32 | (x2 & 0xFFFFFFFFL)) + (1L << 61);
        long q = t >>> 62;
        double x = (((t & 0x3FFFFFFFFFFFFFFFL) >>> 9) - (1L << 52)) * 0x1.0p-52;
        double xx = x * x;
        long cos = Double.doubleToRawLongBits(Twin.cosDouble(xx));
        long sin = Double.doubleToRawLongBits(Twin.sinDouble(x, xx));
        long swap = (cos ^ sin) & -(q & 1);
        double cosine = Double.longBitsToDouble(cos ^ swap ^ (((q + 1) & 2) << 62));
        double sine = Double.longBitsToDouble(sin ^ swap ^ ((q & 2) << 62));
        put(out, base, 0, lo, hi, Math.fma(scale, r * cosine, shift));
        put(out, base, 1, lo, hi, Math.fma(scale, r * sine, shift));
    }

    private static Kernels kernels(int simdBits) {
        int slot = Integer.numberOfTrailingZeros(simdBits) - 7;   // 128, 256, 512 -> 0, 1, 2
        synchronized (SIMD) {
            if (SIMD[slot] == null) {
                SIMD[slot] = Simd.load(Kernels.class, "RandomSimd", simdBits);
            }
            return SIMD[slot];
        }
    }
}
