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

    /** One block's words per thread: the scalar twin allocates nothing (it fills a fused loop's chunk heads and tails). */
    private static final ThreadLocal<int[]> BLOCK = ThreadLocal.withInitial(() -> new int[4]);

    /** The scalar twin: {@link Philox}'s reference, each block computed once (head and tail of the SIMD fill too). */
    static void scalar(RandomDistribution distribution, long seed, long counter, double first, double second,
            DType type, Object out, int at, int from, int to) {
        int shift = type == DType.FLOAT32 ? 2 : 1;
        int lane = (1 << shift) - 1;
        int[] x = BLOCK.get();
        for (int i = from; i < to; i++) {
            long element = counter + i;
            int j = (int) element & lane;
            if (i == from || j == 0) {
                Philox.block(seed, element >>> shift, x, 0);
            }
            if (type == DType.FLOAT32) {
                ((float[]) out)[at + i] = Philox.floatOfBlock(distribution, x, j, first, second);
            } else {
                ((double[]) out)[at + i] = Philox.doubleOfBlock(distribution, x, j, first, second);
            }
        }
    }

    /** Whole blocks per batch of {@link #normalFloats}: its words and radii stay in L1. */
    private static final int BATCH_BLOCKS = 64;
    private static final ThreadLocal<int[]> BATCH_WORDS = ThreadLocal.withInitial(() -> new int[4 * BATCH_BLOCKS]);
    private static final ThreadLocal<float[]> BATCH_RADII = ThreadLocal.withInitial(() -> new float[2 * BATCH_BLOCKS]);

    /**
     * Float32 normals of {@link Philox#normalFloat} in three branch-free passes over batches of whole blocks: the
     * Philox words, then one radius {@code sqrt(-2 log u)} per Box-Muller pair (the reference computes it once per
     * element), then each element's cos or sin of its pair's angle, the quadrant choosing without a branch (random
     * quadrants defeat branch prediction). Each element gets the same operations in the same order as the reference,
     * so the same bits (RandomSimdTest); the passes only let the CPU overlap independent elements. What small draws run
     * (below {@code CpuBackend.RANDOM_SIMD_MIN_ELEMENTS}), e.g. a batch of 64 per training step.
     */
    static void normalFloats(long seed, long counter, float mean, float deviation, float[] out, int at, int from,
            int to) {
        int head = Math.min(to, from + (int) (-(counter + from) & 3));   // up to the first block boundary
        scalar(RandomDistribution.NORMAL, seed, counter, mean, deviation, DType.FLOAT32, out, at, from, head);
        int[] words = BATCH_WORDS.get();
        float[] radii = BATCH_RADII.get();
        int i = head;
        while (to - i >= 4) {
            int blocks = Math.min(BATCH_BLOCKS, (to - i) / 4);
            for (int b = 0; b < blocks; b++) {
                Philox.block(seed, (counter + i + 4L * b) >>> 2, words, 4 * b);   // element counters wrap at 2^64
            }
            int pairs = 2 * blocks;
            for (int p = 0; p < pairs; p++) {   // pair p: radius word 2p, angle word 2p + 1
                radii[p] = (float) Math.sqrt(-2f * Twin.logFloat(((words[2 * p] >>> 8) + 1) * 0x1.0p-24f));
            }
            int elements = 4 * blocks;
            for (int e = 0; e < elements; e++) {   // even elements the pair's cos, odd ones its sin
                float value = cosine(words[(e & ~1) + 1], (1 << 29) - ((e & 1) << 30));
                out[at + i + e] = Math.fma(deviation, radii[e >> 1] * value, mean);
            }
            i += elements;
        }
        scalar(RandomDistribution.NORMAL, seed, counter, mean, deviation, DType.FLOAT32, out, at, i, to);
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
