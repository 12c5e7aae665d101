package dev.quiver.backend.cpu;

import dev.quiver.DType;
import java.util.Arrays;

/**
 * SIMD batched matrix product for float32 and float64 ({@code out[b] = a[b] @ b[b]}); other dtypes go to
 * {@link ScalarKernels#matmul}.
 *
 * <p>The shape of the kernel follows PLATFORM.md's measured best on this machine: B is packed into strips of
 * two vectors' width (32 floats at 512 bits), A into panels of {@value #TILE_ROWS} rows, both k-major, so the
 * inner loop reads both sequentially whatever the operands' strides were (a transposed or broadcast operand
 * costs only its packing, done here, in parallel). {@link MatmulTiles} then runs an 8 x 2-vector register tile
 * of FMAs; k is blocked ({@value #K_BLOCK_FLOAT} for float32, {@value #K_BLOCK_DOUBLE} for float64) so a strip's slice of B stays in L1. Tails in m and n are
 * zero-padded in the packing and stored through a small scratch tile; k needs no tail.
 *
 * <p>Threads split the (batch, row panel) range, and only above {@link #PARALLEL_MIN_MULTIPLY_ADDS}.
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

    private final Simd.MatmulKernels tiles;
    private final CpuThreads threads;
    private final long parallelMinMultiplyAdds;
    private final int kBlockFloat;
    private final int kBlockDouble;

    Matmul(int simdBits, CpuThreads threads) {
        this(simdBits, threads, PARALLEL_MIN_MULTIPLY_ADDS);
    }

    /** With an explicit parallel threshold: for the timing harness that measures where threads start to pay. */
    Matmul(int simdBits, CpuThreads threads, long parallelMinMultiplyAdds) {
        this(simdBits, threads, parallelMinMultiplyAdds, K_BLOCK_FLOAT, K_BLOCK_DOUBLE);
    }

    /** With explicit k-block depths: for timing harnesses that compare blockings in one JVM. */
    Matmul(int simdBits, CpuThreads threads, long parallelMinMultiplyAdds, int kBlockFloat, int kBlockDouble) {
        this.parallelMinMultiplyAdds = parallelMinMultiplyAdds;
        this.tiles = Simd.load(Simd.MatmulKernels.class, "MatmulTiles", simdBits);
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
        switch (type) {
            case FLOAT32 -> multiplyFloat((float[]) a, ao, as, (float[]) b, bo, bs, (float[]) c, co, batch, m, k, n);
            case FLOAT64 -> multiplyDouble((double[]) a, ao, as, (double[]) b, bo, bs, (double[]) c, co, batch, m, k, n);
            default -> ScalarKernels.matmul(type, a, ao, as, b, bo, bs, c, co, batch, m, k, n);
        }
    }

    private static int packedLength(int batches, int blocks, int blockSize) {
        long length = (long) batches * blocks * blockSize;
        if (length > CpuBuffer.MAX_LENGTH) {
            throw new IllegalArgumentException("cpu: matmul packing needs " + length
                    + " elements, more than one Java array holds (" + CpuBuffer.MAX_LENGTH + ")");
        }
        return (int) length;
    }

    // ---------------------------------------------------------------- FLOAT (float32)

    private void multiplyFloat(float[] a, long ao, long[] as, float[] b, long bo, long[] bs, float[] c, int co,
            int batch, int m, int k, int n) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            Arrays.fill(c, co, co + batch * m * n, 0);
            return;
        }
        int width = 2 * tiles.floatLanes();
        int panels = (m + TILE_ROWS - 1) / TILE_ROWS;
        int strips = (n + width - 1) / width;
        int panelSize = TILE_ROWS * k;
        int stripSize = width * k;
        // a broadcast batch (stride 0) is packed once and shared by every batch
        int aBatches = as[0] == 0 ? 1 : batch;
        int bBatches = bs[0] == 0 ? 1 : batch;
        float[] aPacked = new float[packedLength(aBatches, panels, panelSize)];
        float[] bPacked = new float[packedLength(bBatches, strips, stripSize)];
        boolean parallel = (long) batch * m * n * k >= parallelMinMultiplyAdds;
        threads.forRange(aBatches * panels, parallel, (from, to) -> {
            for (int u = from; u < to; u++) {
                packPanelFloat(a, ao + (u / panels) * as[0], as[1], as[2], m, k, u % panels, aPacked, u * panelSize);
            }
        });
        threads.forRange(bBatches * strips, parallel, (from, to) -> {
            for (int u = from; u < to; u++) {
                packStripFloat(b, bo + (u / strips) * bs[0], bs[1], bs[2], k, n, u % strips, width, bPacked, u * stripSize);
            }
        });
        threads.forRange(batch * panels, parallel, (from, to) ->
                tiles.computeFloat(aPacked, bPacked, c, co, from, to, m, k, n, aBatches == 1, bBatches == 1, kBlockFloat));
    }

    /** Rows {@code 8p..8p+7} of a (zero past m), stored k-major: {@code dst[at + kk*8 + r]}. */
    static void packPanelFloat(float[] a, long offset, long rowStride, long kStride, int m, int k, int p,
            float[] dst, int at) {
        int rows = Math.min(TILE_ROWS, m - p * TILE_ROWS);
        for (int r = 0; r < rows; r++) {
            long row = offset + (long) (p * TILE_ROWS + r) * rowStride;
            for (int kk = 0; kk < k; kk++) {
                dst[at + kk * TILE_ROWS + r] = a[(int) (row + kk * kStride)];
            }
        }
    }

    /** Columns {@code s*width ..} of b (zero past n), stored k-major: {@code dst[at + kk*width + j]}. */
    static void packStripFloat(float[] b, long offset, long kStride, long columnStride, int k, int n, int s,
            int width, float[] dst, int at) {
        int j0 = s * width;
        int cols = Math.min(width, n - j0);
        for (int kk = 0; kk < k; kk++) {
            long row = offset + kk * kStride + j0 * columnStride;
            int target = at + kk * width;
            if (columnStride == 1) {
                System.arraycopy(b, (int) row, dst, target, cols);
            } else {
                for (int j = 0; j < cols; j++) {
                    dst[target + j] = b[(int) (row + j * columnStride)];
                }
            }
        }
    }

    // ---------------------------------------------------------------- DOUBLE (float64)

    private void multiplyDouble(double[] a, long ao, long[] as, double[] b, long bo, long[] bs, double[] c, int co,
            int batch, int m, int k, int n) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            Arrays.fill(c, co, co + batch * m * n, 0);
            return;
        }
        int width = 2 * tiles.doubleLanes();
        int panels = (m + TILE_ROWS - 1) / TILE_ROWS;
        int strips = (n + width - 1) / width;
        int panelSize = TILE_ROWS * k;
        int stripSize = width * k;
        // a broadcast batch (stride 0) is packed once and shared by every batch
        int aBatches = as[0] == 0 ? 1 : batch;
        int bBatches = bs[0] == 0 ? 1 : batch;
        double[] aPacked = new double[packedLength(aBatches, panels, panelSize)];
        double[] bPacked = new double[packedLength(bBatches, strips, stripSize)];
        boolean parallel = (long) batch * m * n * k >= parallelMinMultiplyAdds;
        threads.forRange(aBatches * panels, parallel, (from, to) -> {
            for (int u = from; u < to; u++) {
                packPanelDouble(a, ao + (u / panels) * as[0], as[1], as[2], m, k, u % panels, aPacked, u * panelSize);
            }
        });
        threads.forRange(bBatches * strips, parallel, (from, to) -> {
            for (int u = from; u < to; u++) {
                packStripDouble(b, bo + (u / strips) * bs[0], bs[1], bs[2], k, n, u % strips, width, bPacked, u * stripSize);
            }
        });
        threads.forRange(batch * panels, parallel, (from, to) ->
                tiles.computeDouble(aPacked, bPacked, c, co, from, to, m, k, n, aBatches == 1, bBatches == 1, kBlockDouble));
    }

    /** Rows {@code 8p..8p+7} of a (zero past m), stored k-major: {@code dst[at + kk*8 + r]}. */
    static void packPanelDouble(double[] a, long offset, long rowStride, long kStride, int m, int k, int p,
            double[] dst, int at) {
        int rows = Math.min(TILE_ROWS, m - p * TILE_ROWS);
        for (int r = 0; r < rows; r++) {
            long row = offset + (long) (p * TILE_ROWS + r) * rowStride;
            for (int kk = 0; kk < k; kk++) {
                dst[at + kk * TILE_ROWS + r] = a[(int) (row + kk * kStride)];
            }
        }
    }

    /** Columns {@code s*width ..} of b (zero past n), stored k-major: {@code dst[at + kk*width + j]}. */
    static void packStripDouble(double[] b, long offset, long kStride, long columnStride, int k, int n, int s,
            int width, double[] dst, int at) {
        int j0 = s * width;
        int cols = Math.min(width, n - j0);
        for (int kk = 0; kk < k; kk++) {
            long row = offset + kk * kStride + j0 * columnStride;
            int target = at + kk * width;
            if (columnStride == 1) {
                System.arraycopy(b, (int) row, dst, target, cols);
            } else {
                for (int j = 0; j < cols; j++) {
                    dst[target + j] = b[(int) (row + j * columnStride)];
                }
            }
        }
    }
}
