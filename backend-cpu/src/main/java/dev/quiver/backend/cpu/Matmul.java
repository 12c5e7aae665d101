package dev.quiver.backend.cpu;

import dev.quiver.DType;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD batched matrix product for float32 and float64 ({@code out[b] = a[b] @ b[b]}); other dtypes go to
 * {@link ScalarKernels#matmul}.
 *
 * <p>The shape of the kernel follows PLATFORM.md's measured best on this machine: B is packed into strips of
 * two vectors' width (32 floats at 512 bits), A into panels of {@value #TILE_ROWS} rows, both k-major, so the
 * inner loop reads both sequentially whatever the operands' strides were (a transposed or broadcast operand
 * costs only its packing). A 4 x 2-vector register tile of FMAs computes C; k is blocked by {@value #K_BLOCK}
 * so a strip's slice of B stays in L1. Tails in m and n are zero-padded in the packing and stored through a
 * small scratch tile; k needs no tail.
 *
 * <p>Threads split the (batch, row panel) range, and only above {@link #PARALLEL_MIN_MULTIPLY_ADDS}.
 */
final class Matmul {
    /** Rows of C per register tile. */
    static final int TILE_ROWS = 4;
    /** Depth of one k block: 256 x 32 floats of B = 32 KiB, the L1 data cache of the target CPUs. */
    static final int K_BLOCK = 256;
    /**
     * Below this many multiply-adds ({@code batch*m*n*k}) one thread does the work. Measured on the 2-core
     * development machine: a 256^3 product is slower on two threads than on one (PLATFORM.md), the gain starts
     * between 256^3 and 384^3, so the threshold sits at 320^3 (see the report in the module's tests).
     */
    static final long PARALLEL_MIN_MULTIPLY_ADDS = 320L * 320 * 320;

    private final VectorSpecies<Float> fs;
    private final VectorSpecies<Double> ds;
    private final CpuThreads threads;

    Matmul(int simdBits, CpuThreads threads) {
        VectorShape shape = VectorShape.forBitSize(simdBits);
        this.fs = FloatVector.SPECIES_PREFERRED.withShape(shape);
        this.ds = DoubleVector.SPECIES_PREFERRED.withShape(shape);
        this.threads = threads;
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
        int lanes = fs.length();
        int width = 2 * lanes;
        int panels = (m + TILE_ROWS - 1) / TILE_ROWS;
        int strips = (n + width - 1) / width;
        int panelSize = TILE_ROWS * k;
        int stripSize = width * k;
        // a broadcast batch (stride 0) is packed once and shared by every batch
        int aBatches = as[0] == 0 ? 1 : batch;
        int bBatches = bs[0] == 0 ? 1 : batch;
        float[] aPacked = new float[packedLength(aBatches, panels, panelSize)];
        float[] bPacked = new float[packedLength(bBatches, strips, stripSize)];
        boolean parallel = (long) batch * m * n * k >= PARALLEL_MIN_MULTIPLY_ADDS;
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
        threads.forRange(batch * panels, parallel, (from, to) -> {
            for (int bi = from / panels; bi * panels < to; bi++) {
                int p0 = Math.max(from - bi * panels, 0);
                int p1 = Math.min(to - bi * panels, panels);
                int aBase = (aBatches == 1 ? 0 : bi) * panels * panelSize;
                int bBase = (bBatches == 1 ? 0 : bi) * strips * stripSize;
                int cBase = co + bi * m * n;
                // k blocks keep one strip's slice of B (K_BLOCK x width) in L1 while it meets every panel
                for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
                    int kc = Math.min(K_BLOCK, k - k0);
                    for (int s = 0; s < strips; s++) {
                        int cols = Math.min(width, n - s * width);
                        for (int p = p0; p < p1; p++) {
                            int rows = Math.min(TILE_ROWS, m - p * TILE_ROWS);
                            tileFloat(aPacked, aBase + p * panelSize + k0 * TILE_ROWS,
                                    bPacked, bBase + s * stripSize + k0 * width, kc,
                                    c, cBase + p * TILE_ROWS * n + s * width, n, rows, cols, k0 > 0);
                        }
                    }
                }
            }
        });
    }

    /** Rows {@code 4p..4p+3} of a (zero past m), stored k-major: {@code dst[at + kk*4 + r]}. */
    private static void packPanelFloat(float[] a, long offset, long rowStride, long kStride, int m, int k, int p,
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
    private static void packStripFloat(float[] b, long offset, long kStride, long columnStride, int k, int n, int s,
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

    /**
     * The register tile: 4 rows x 2 vectors of C held in 8 accumulators; per k step two loads of B, four
     * broadcasts of A and eight FMAs. Writes (or, after the first k block, adds to) the valid part of C.
     */
    private void tileFloat(float[] ap, int ai, float[] bp, int bi, int kc, float[] c, int ci, int n, int rows,
            int cols, boolean accumulate) {
        int lanes = fs.length();
        int width = 2 * lanes;
        FloatVector c00 = FloatVector.zero(fs);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        for (int kk = 0; kk < kc; kk++) {
            FloatVector b0 = FloatVector.fromArray(fs, bp, bi);
            FloatVector b1 = FloatVector.fromArray(fs, bp, bi + lanes);
            FloatVector a0 = FloatVector.broadcast(fs, ap[ai]);
            FloatVector a1 = FloatVector.broadcast(fs, ap[ai + 1]);
            FloatVector a2 = FloatVector.broadcast(fs, ap[ai + 2]);
            FloatVector a3 = FloatVector.broadcast(fs, ap[ai + 3]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            ai += TILE_ROWS;
            bi += width;
        }
        if (rows == TILE_ROWS && cols == width) {
            storeFloat(c00, c01, c, ci, accumulate);
            storeFloat(c10, c11, c, ci + n, accumulate);
            storeFloat(c20, c21, c, ci + 2 * n, accumulate);
            storeFloat(c30, c31, c, ci + 3 * n, accumulate);
            return;
        }
        float[] tile = new float[TILE_ROWS * width];
        c00.intoArray(tile, 0);
        c01.intoArray(tile, lanes);
        c10.intoArray(tile, width);
        c11.intoArray(tile, width + lanes);
        c20.intoArray(tile, 2 * width);
        c21.intoArray(tile, 2 * width + lanes);
        c30.intoArray(tile, 3 * width);
        c31.intoArray(tile, 3 * width + lanes);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int at = ci + r * n + j;
                c[at] = accumulate ? c[at] + tile[r * width + j] : tile[r * width + j];
            }
        }
    }

    private void storeFloat(FloatVector v0, FloatVector v1, float[] c, int at, boolean accumulate) {
        int lanes = fs.length();
        if (accumulate) {
            v0 = v0.add(FloatVector.fromArray(fs, c, at));
            v1 = v1.add(FloatVector.fromArray(fs, c, at + lanes));
        }
        v0.intoArray(c, at);
        v1.intoArray(c, at + lanes);
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
        int lanes = ds.length();
        int width = 2 * lanes;
        int panels = (m + TILE_ROWS - 1) / TILE_ROWS;
        int strips = (n + width - 1) / width;
        int panelSize = TILE_ROWS * k;
        int stripSize = width * k;
        // a broadcast batch (stride 0) is packed once and shared by every batch
        int aBatches = as[0] == 0 ? 1 : batch;
        int bBatches = bs[0] == 0 ? 1 : batch;
        double[] aPacked = new double[packedLength(aBatches, panels, panelSize)];
        double[] bPacked = new double[packedLength(bBatches, strips, stripSize)];
        boolean parallel = (long) batch * m * n * k >= PARALLEL_MIN_MULTIPLY_ADDS;
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
        threads.forRange(batch * panels, parallel, (from, to) -> {
            for (int bi = from / panels; bi * panels < to; bi++) {
                int p0 = Math.max(from - bi * panels, 0);
                int p1 = Math.min(to - bi * panels, panels);
                int aBase = (aBatches == 1 ? 0 : bi) * panels * panelSize;
                int bBase = (bBatches == 1 ? 0 : bi) * strips * stripSize;
                int cBase = co + bi * m * n;
                // k blocks keep one strip's slice of B (K_BLOCK x width) in L1 while it meets every panel
                for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
                    int kc = Math.min(K_BLOCK, k - k0);
                    for (int s = 0; s < strips; s++) {
                        int cols = Math.min(width, n - s * width);
                        for (int p = p0; p < p1; p++) {
                            int rows = Math.min(TILE_ROWS, m - p * TILE_ROWS);
                            tileDouble(aPacked, aBase + p * panelSize + k0 * TILE_ROWS,
                                    bPacked, bBase + s * stripSize + k0 * width, kc,
                                    c, cBase + p * TILE_ROWS * n + s * width, n, rows, cols, k0 > 0);
                        }
                    }
                }
            }
        });
    }

    /** Rows {@code 4p..4p+3} of a (zero past m), stored k-major: {@code dst[at + kk*4 + r]}. */
    private static void packPanelDouble(double[] a, long offset, long rowStride, long kStride, int m, int k, int p,
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
    private static void packStripDouble(double[] b, long offset, long kStride, long columnStride, int k, int n, int s,
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

    /**
     * The register tile: 4 rows x 2 vectors of C held in 8 accumulators; per k step two loads of B, four
     * broadcasts of A and eight FMAs. Writes (or, after the first k block, adds to) the valid part of C.
     */
    private void tileDouble(double[] ap, int ai, double[] bp, int bi, int kc, double[] c, int ci, int n, int rows,
            int cols, boolean accumulate) {
        int lanes = ds.length();
        int width = 2 * lanes;
        DoubleVector c00 = DoubleVector.zero(ds);
        DoubleVector c01 = c00;
        DoubleVector c10 = c00;
        DoubleVector c11 = c00;
        DoubleVector c20 = c00;
        DoubleVector c21 = c00;
        DoubleVector c30 = c00;
        DoubleVector c31 = c00;
        for (int kk = 0; kk < kc; kk++) {
            DoubleVector b0 = DoubleVector.fromArray(ds, bp, bi);
            DoubleVector b1 = DoubleVector.fromArray(ds, bp, bi + lanes);
            DoubleVector a0 = DoubleVector.broadcast(ds, ap[ai]);
            DoubleVector a1 = DoubleVector.broadcast(ds, ap[ai + 1]);
            DoubleVector a2 = DoubleVector.broadcast(ds, ap[ai + 2]);
            DoubleVector a3 = DoubleVector.broadcast(ds, ap[ai + 3]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            ai += TILE_ROWS;
            bi += width;
        }
        if (rows == TILE_ROWS && cols == width) {
            storeDouble(c00, c01, c, ci, accumulate);
            storeDouble(c10, c11, c, ci + n, accumulate);
            storeDouble(c20, c21, c, ci + 2 * n, accumulate);
            storeDouble(c30, c31, c, ci + 3 * n, accumulate);
            return;
        }
        double[] tile = new double[TILE_ROWS * width];
        c00.intoArray(tile, 0);
        c01.intoArray(tile, lanes);
        c10.intoArray(tile, width);
        c11.intoArray(tile, width + lanes);
        c20.intoArray(tile, 2 * width);
        c21.intoArray(tile, 2 * width + lanes);
        c30.intoArray(tile, 3 * width);
        c31.intoArray(tile, 3 * width + lanes);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int at = ci + r * n + j;
                c[at] = accumulate ? c[at] + tile[r * width + j] : tile[r * width + j];
            }
        }
    }

    private void storeDouble(DoubleVector v0, DoubleVector v1, double[] c, int at, boolean accumulate) {
        int lanes = ds.length();
        if (accumulate) {
            v0 = v0.add(DoubleVector.fromArray(ds, c, at));
            v1 = v1.add(DoubleVector.fromArray(ds, c, at + lanes));
        }
        v0.intoArray(c, at);
        v1.intoArray(c, at + lanes);
    }
}
