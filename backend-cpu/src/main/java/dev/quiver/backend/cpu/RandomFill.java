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
     * Fills {@code out[at + i]} for {@code i} in {@code [from, to)}; {@code simdBits} 0 runs the scalar twin (float32
     * normals: {@link #normalFloats}, the same bits).
     */
    static void fill(int simdBits, RandomDistribution distribution, long seed, long counter, double first,
            double second, DType type, Object out, int at, int from, int to) {
        if (simdBits == 0 && type == DType.FLOAT32 && distribution == RandomDistribution.NORMAL) {
            normalFloats(seed, counter, (float) first, (float) second, (float[]) out, at, from, to);
        } else if (simdBits == 0) {
            scalar(distribution, seed, counter, first, second, type, out, at, from, to);
        } else {
            kernels(simdBits).fill(distribution, seed, counter, first, second, type, out, at, from, to);
        }
    }

    /** The scalar twin: {@link Philox}'s reference, each block computed once (head and tail of the SIMD fill too). */
    static void scalar(RandomDistribution distribution, long seed, long counter, double first, double second,
            DType type, Object out, int at, int from, int to) {
        int shift = type == DType.FLOAT32 ? 2 : 1;
        int lane = (1 << shift) - 1;
        int[] x = null;
        for (int i = from; i < to; i++) {
            long element = counter + i;
            int j = (int) element & lane;
            if (x == null || j == 0) {
                x = Philox.block(seed, element >>> shift);
            }
            if (type == DType.FLOAT32) {
                ((float[]) out)[at + i] = Philox.floatOfBlock(distribution, x, j, first, second);
            } else {
                ((double[]) out)[at + i] = Philox.doubleOfBlock(distribution, x, j, first, second);
            }
        }
    }

    /**
     * Float32 normals of {@link Philox#normalFloat}, a Box-Muller pair at a time: the two elements of a pair share
     * their radius {@code sqrt(-2 log u)}, which {@link #scalar} computes once per element, and the angle's quadrant
     * picks cos or sin and the sign without a branch (random quadrants defeat branch prediction). The same operations
     * in the same order otherwise, so the same bits (RandomSimdTest); what small draws run (below
     * {@code CpuBackend.RANDOM_SIMD_MIN_ELEMENTS}), e.g. a batch of 64 per training step.
     */
    static void normalFloats(long seed, long counter, float mean, float deviation, float[] out, int at, int from,
            int to) {
        int i = from;
        while (i < to) {
            long element = counter + i;
            int[] x = Philox.block(seed, element >>> 2);
            int j = (int) element & 3;
            int end = Math.min(to, i + 4 - j);   // the rest of this block
            while (i < end) {
                int pair = j & 2;
                float radius = (float) Math.sqrt(-2f * Twin.logFloat(((x[pair] >>> 8) + 1) * 0x1.0p-24f));
                int angle = x[pair | 1];
                if ((j & 1) == 0) {
                    out[at + i] = Math.fma(deviation, radius * cosine(angle, 1 << 29), mean);
                    i++;
                    j++;
                }
                if (i < end) {
                    out[at + i] = Math.fma(deviation, radius * cosine(angle, (1 << 29) - (1 << 30)), mean);
                    i++;
                    j++;
                }
            }
        }
    }

    /**
     * {@code cos} of the angle word plus {@code offset} ({@code 2^29} for the pair's cos element, {@code 2^29 - 2^30}
     * for its sin element), as {@link Philox#normalFloat} reduces it to a quadrant and a polynomial.
     */
    private static float cosine(int angleWord, int offset) {
        int t = angleWord + offset;
        int q = t >>> 30;
        float x = (((t & 0x3FFFFFFF) >>> 6) - (1 << 23)) * 0x1.0p-23f;
        float x2 = x * x;
        float cos = Twin.cosFloat(x2);
        float sin = Twin.sinFloat(x, x2);
        float value = (q & 1) == 0 ? cos : sin;
        return Float.intBitsToFloat(Float.floatToRawIntBits(value) ^ (((q + 1) & 2) << 30));   // negated when set
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
