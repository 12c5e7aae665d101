package dev.quiver.backend.cpu;

import dev.quiver.DType;

/**
 * SIMD batched matrix product for float32 and float64 ({@code out[b] = a[b] @ b[b]}); other dtypes go to
 * {@link ScalarKernels#matmul}.
 *
 * <p>The shape of the kernel follows PLATFORM.md's measured best on this machine: B is packed into strips of
 * two vectors' width (32 floats at 512 bits), A into panels of {@value #TILE_ROWS} rows, both k-major, so the
 * inner loop reads both sequentially whatever the operands' strides were (a transposed or broadcast operand
 * costs only its packing, done in parallel). Then an 8 x 2-vector register tile of FMAs runs; k is blocked
 * ({@value #K_BLOCK_FLOAT} for float32, {@value #K_BLOCK_DOUBLE} for float64) so a strip's slice of B stays in
 * L1. Tails in m and n are zero-padded in the packing and stored through a small scratch tile; k needs no tail.
 *
 * <p>Threads split the (batch, row panel) range, and only above {@link #PARALLEL_MIN_MULTIPLY_ADDS}.
 *
 * <p>This class holds the settings and chooses; the packing and the tiles are {@code Float32Matmul} and
 * {@code Float64Matmul}, generated at build time from {@code src/main/templates/X-Matmul.java} so that
 * both dtypes run the same code, each loaded at the backend's vector width (see {@link Simd}).
 */
final class Matmul {
    /** Rows of C per register tile (8 x 2 vectors: 16 accumulators of the 32 AVX-512 registers). */
    static final int TILE_ROWS = 8;
    /**
     * Depth of one k block in float32: a strip's slice of B (256 x 32 floats = 32 KiB) and a panel of A (8 x 256 =
     * 8 KiB) stay together in a 48 KiB L1 data cache.
     */
    static final int K_BLOCK_FLOAT = 256;
    /**
     * Depth of one k block in float64. The same 256: measured against 64, 128, 192, 384 and 512 alternating in one
     * JVM (1024^3, one thread), 256 and deeper were equal within 3% and shallower ones slower (128: -8%, 64: -26%),
     * although a strip slice (32 KiB) and a panel (16 KiB) then fill the whole 48 KiB L1.
     */
    static final int K_BLOCK_DOUBLE = 256;
    /**
     * Below this many multiply-adds ({@code batch*m*n*k}) one thread does the work. Measured on the 2-core
     * development machine: a 256^3 product is slower on two threads than on one (PLATFORM.md), the gain starts
     * between 256^3 and 384^3, so the threshold sits at 320^3 (see the report in the module's tests). Re-measured
     * with the 8-row tile (one and two threads alternating in one JVM, issue 4): float32 two/one = 0.80 at 128^3,
     * 0.96-1.02 at 192^3-256^3, 1.10 at 288^3, 1.55 at 320^3-384^3; float64 at 256^3 gave 0.90 and 1.37 in two
     * runs, so one threshold for both dtypes stays.
     */
    static final long PARALLEL_MIN_MULTIPLY_ADDS = 320L * 320 * 320;
    /**
     * Up to this many multiply-adds ({@code batch*m*n*k}, with k within one k block) a plain fma loop does the
     * product ({@link #multiplySmall}): packing, three thread-pool hand-offs and an 8 x 32 tile padded around a
     * 20 x 3 @ 3 x 1 product cost ~1 µs, about 2000 fma steps of the loop. It computes each element as the tile does
     * (fma from +0 in k order), so the same bits (MatmulTest).
     */
    static final long SMALL_MAX_MULTIPLY_ADDS = 2048;

    private final Simd.FloatingMatmul float32;
    private final Simd.FloatingMatmul float64;
    private final CpuThreads threads;
    private final long parallelMinMultiplyAdds;
    private final int kBlockFloat;
    private final int kBlockDouble;
    private final long smallMaxMultiplyAdds;

    Matmul(int simdBits, CpuThreads threads) {
        this(simdBits, threads, PARALLEL_MIN_MULTIPLY_ADDS);
    }

    /** With an explicit parallel threshold: for the timing harness that measures where threads start to pay. */
    Matmul(int simdBits, CpuThreads threads, long parallelMinMultiplyAdds) {
        this(simdBits, threads, parallelMinMultiplyAdds, K_BLOCK_FLOAT, K_BLOCK_DOUBLE, SMALL_MAX_MULTIPLY_ADDS);
    }

    /**
     * With explicit k-block depths and small-product bound: for timing harnesses that compare blockings in one JVM,
     * and for the test that compares the small loop with the tiles (bound -1: always the tiles).
     */
    Matmul(int simdBits, CpuThreads threads, long parallelMinMultiplyAdds, int kBlockFloat, int kBlockDouble,
            long smallMaxMultiplyAdds) {
        this.parallelMinMultiplyAdds = parallelMinMultiplyAdds;
        this.smallMaxMultiplyAdds = smallMaxMultiplyAdds;
        this.float32 = Simd.load(Simd.FloatingMatmul.class, "Float32Matmul", simdBits);
        this.float64 = Simd.load(Simd.FloatingMatmul.class, "Float64Matmul", simdBits);
        this.threads = threads;
        this.kBlockFloat = kBlockFloat;
        this.kBlockDouble = kBlockDouble;
    }

    /**
     * {@code c[bi] = a[bi] @ b[bi]}: a {@code (batch, m, k)} at {@code ao} with strides {@code as}, b
     * {@code (batch, k, n)} at {@code bo} with strides {@code bs}, c contiguous {@code (batch, m, n)} at {@code co}.
     */
    void multiply(DType type, Object a, long ao, long[] as, Object b, long bo, long[] bs, Object c, int co,
            int batch, int m, int k, int n) {
        if (type.isFloating() && k <= (type == DType.FLOAT32 ? kBlockFloat : kBlockDouble)
                && (long) batch * m * n * k <= smallMaxMultiplyAdds) {
            multiplySmall(type, a, ao, as, b, bo, bs, c, co, batch, m, k, n);
            return;
        }
        switch (type) {
            case FLOAT32 -> float32.multiply(a, ao, as, b, bo, bs, c, co, batch, m, k, n, threads, parallelMinMultiplyAdds, kBlockFloat);
            case FLOAT64 -> float64.multiply(a, ao, as, b, bo, bs, c, co, batch, m, k, n, threads, parallelMinMultiplyAdds, kBlockDouble);
            default -> ScalarKernels.matmul(type, a, ao, as, b, bo, bs, c, co, batch, m, k, n);
        }
    }

    /**
     * A small float product element by element: {@code acc = fma(a[i, kk], b[kk, j], acc)} from +0 in k order, in the
     * dtype, which is what a register tile's lane does within one k block (so k must fit one block).
     */
    static void multiplySmall(DType type, Object a, long ao, long[] as, Object b, long bo, long[] bs, Object c, int co,
            int batch, int m, int k, int n) {
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < m; i++) {
                long row = ao + bi * as[0] + i * as[1];
                int target = co + (bi * m + i) * n;
                for (int j = 0; j < n; j++) {
                    long column = bo + bi * bs[0] + j * bs[2];
                    if (type == DType.FLOAT32) {
                        float[] x = (float[]) a;
                        float[] y = (float[]) b;
                        float acc = 0;
                        for (int kk = 0; kk < k; kk++) {
                            acc = Math.fma(x[(int) (row + kk * as[2])], y[(int) (column + kk * bs[1])], acc);
                        }
                        ((float[]) c)[target + j] = acc;
                    } else {
                        double[] x = (double[]) a;
                        double[] y = (double[]) b;
                        double acc = 0;
                        for (int kk = 0; kk < k; kk++) {
                            acc = Math.fma(x[(int) (row + kk * as[2])], y[(int) (column + kk * bs[1])], acc);
                        }
                        ((double[]) c)[target + j] = acc;
                    }
                }
            }
        }
    }

    /** The length of a packed operand, checked against what one Java array holds. */
    static int packedLength(int batches, int blocks, int blockSize) {
        long length = (long) batches * blocks * blockSize;
        if (length > CpuBuffer.MAX_LENGTH) {
            throw new IllegalArgumentException("cpu: matmul packing needs " + length
                    + " elements, more than one Java array holds (" + CpuBuffer.MAX_LENGTH + ")");
        }
        return (int) length;
    }
}
