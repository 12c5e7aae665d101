package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Philox;
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

    /** Fills {@code out[at + i]} for {@code i} in {@code [from, to)}; {@code simdBits} 0 runs the scalar twin. */
    static void fill(int simdBits, RandomDistribution distribution, long seed, long counter, double first,
            double second, DType type, Object out, int at, int from, int to) {
        if (simdBits == 0) {
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
