// Generated for $DTYPE$ from backend-cpu/src/main/templates/X-Matmul.java (README.md there) at build time:
// edit the template, never the generated file.
package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.Matmul.TILE_ROWS;

import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import jdk.incubator.vector.$Vector$;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The $DTYPE$ matrix product of {@link Matmul}: A packed in {@link Matmul#TILE_ROWS}-row panels and B packed in
 * strips two vectors wide, both k-major, then an 8 x 2-vector register tile of FMAs; the layout and the measured
 * reasons for it are described in {@link Matmul}.
 */
@SuppressWarnings("cast") // the float64 expansion casts double to double where float32 narrows
final class $Dtype$Matmul implements Simd.FloatingMatmul {
    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
    private static final VectorSpecies<$Type$> S = $Vector$.SPECIES_PREFERRED.withShape(SHAPE);

    /**
     * Panels per L2 block: 32 x 8 rows x a 256-deep k block = 256 KiB of packed float32 A (512 KiB float64), well
     * inside a 1-2 MiB L2, so each B strip slice (in L1) meets a block of A that stays in L2. Timings on the shared
     * 2-core machine were too noisy to tune it further (16-64 all within noise).
     */
    private static final int PANEL_BLOCK = 32;

    /** Use {@code Simd.load(..., "$Dtype$Matmul", bits)}: loaded plainly, the class runs at the preferred width. */
    public $Dtype$Matmul() {
    }

    @Override
    public void multiply(Object aIn, long ao, long[] as, Object bIn, long bo, long[] bs, Object cIn, int co,
            int batch, int m, int k, int n, CpuThreads threads, long parallelMinMultiplyAdds, int kBlock) {
        $type$[] a = ($type$[]) aIn;
        $type$[] b = ($type$[]) bIn;
        $type$[] c = ($type$[]) cIn;
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            Arrays.fill(c, co, co + batch * m * n, 0);
            return;
        }
        int width = 2 * S.length();
        int panels = (m + TILE_ROWS - 1) / TILE_ROWS;
        int strips = (n + width - 1) / width;
        int panelSize = TILE_ROWS * k;
        int stripSize = width * k;
        // a broadcast batch (stride 0) is packed once and shared by every batch
        int aBatches = as[0] == 0 ? 1 : batch;
        int bBatches = bs[0] == 0 ? 1 : batch;
        $type$[] aPacked = new $type$[Matmul.packedLength(aBatches, panels, panelSize)];
        $type$[] bPacked = new $type$[Matmul.packedLength(bBatches, strips, stripSize)];
        boolean parallel = (long) batch * m * n * k >= parallelMinMultiplyAdds;
        threads.forRange(aBatches * panels, parallel, (from, to) -> {
            for (int u = from; u < to; u++) {
                packPanel(a, ao + (u / panels) * as[0], as[1], as[2], m, k, u % panels, aPacked, u * panelSize);
            }
        });
        threads.forRange(bBatches * strips, parallel, (from, to) -> {
            for (int u = from; u < to; u++) {
                packStrip(b, bo + (u / strips) * bs[0], bs[1], bs[2], k, n, u % strips, width, bPacked, u * stripSize);
            }
        });
        threads.forRange(batch * panels, parallel, (from, to) ->
                compute(aPacked, bPacked, c, co, from, to, m, k, n, aBatches == 1, bBatches == 1, kBlock));
    }

    /** Rows {@code 8p..8p+7} of a (zero past m), stored k-major: {@code dst[at + kk*8 + r]}. */
    private static void packPanel($type$[] a, long offset, long rowStride, long kStride, int m, int k, int p,
            $type$[] dst, int at) {
        int rows = Math.min(TILE_ROWS, m - p * TILE_ROWS);
        for (int r = 0; r < rows; r++) {
            long row = offset + (long) (p * TILE_ROWS + r) * rowStride;
            for (int kk = 0; kk < k; kk++) {
                dst[at + kk * TILE_ROWS + r] = a[(int) (row + kk * kStride)];
            }
        }
    }

    /** Columns {@code s*width ..} of b (zero past n), stored k-major: {@code dst[at + kk*width + j]}. */
    private static void packStrip($type$[] b, long offset, long kStride, long columnStride, int k, int n, int s,
            int width, $type$[] dst, int at) {
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

    /** Computes (batch, panel) units {@code [from, to)} of C from packed A panels and B strips. */
    private static void compute($type$[] aPacked, $type$[] bPacked, $type$[] c, int co, int from, int to, int m, int k, int n,
            boolean sharedA, boolean sharedB, int kBlock) {
        int width = 2 * S.length();
        int panels = (m + TILE_ROWS - 1) / TILE_ROWS;
        int strips = (n + width - 1) / width;
        int panelSize = TILE_ROWS * k;
        int stripSize = width * k;
        for (int bi = from / panels; bi * panels < to; bi++) {
            int p0 = Math.max(from - bi * panels, 0);
            int p1 = Math.min(to - bi * panels, panels);
            int aBase = (sharedA ? 0 : bi) * panels * panelSize;
            int bBase = (sharedB ? 0 : bi) * strips * stripSize;
            int cBase = co + bi * m * n;
            // k blocks keep one strip's slice of B (kBlock x width) in L1 while it meets every panel
            for (int k0 = 0; k0 < k; k0 += kBlock) {
                int kc = Math.min(kBlock, k - k0);
                // a block of panels (PANEL_BLOCK x TILE_ROWS rows x kc) stays in L2 while every strip passes over it
                for (int q0 = p0; q0 < p1; q0 += PANEL_BLOCK) {
                    int q1 = Math.min(p1, q0 + PANEL_BLOCK);
                    for (int s = 0; s < strips; s++) {
                        int cols = Math.min(width, n - s * width);
                        for (int p = q0; p < q1; p++) {
                            int rows = Math.min(TILE_ROWS, m - p * TILE_ROWS);
                            tile(aPacked, aBase + p * panelSize + k0 * TILE_ROWS,
                                    bPacked, bBase + s * stripSize + k0 * width, kc,
                                    c, cBase + p * TILE_ROWS * n + s * width, n, rows, cols, k0 > 0);
                        }
                    }
                }
            }
        }
    }

    /**
     * The register tile: {@value Matmul#TILE_ROWS} rows x 2 vectors of C held in 16 accumulators; per k step two
     * loads of B, eight broadcasts of A and sixteen FMAs. Sixteen independent accumulators cover the FMA latency
     * (4 cycles) on two FMA ports twice over; the 4-row tile's eight left no slack and measured about half of peak.
     * Indexes are written as {@code base + kk * step} so that C2 can hoist the array bounds checks out of the loop.
     * Writes (or, after the first k block, adds to) the valid part of C.
     */
    private static void tile($type$[] ap, int ai, $type$[] bp, int bi, int kc, $type$[] c, int ci, int n, int rows,
            int cols, boolean accumulate) {
        int lanes = S.length();
        int width = 2 * lanes;
        boolean full = rows == TILE_ROWS && cols == width;
        // A full tile after the first k block starts from C itself, so the epilogue is plain stores: the
        // accumulators then never meet a method call or a merge that could make C2 box them.
        boolean seed = accumulate && full;
        $Vector$ c00 = seed ? $Vector$.fromArray(S, c, ci + 0 * n) : $Vector$.zero(S);
        $Vector$ c01 = seed ? $Vector$.fromArray(S, c, ci + 0 * n + lanes) : $Vector$.zero(S);
        $Vector$ c10 = seed ? $Vector$.fromArray(S, c, ci + 1 * n) : $Vector$.zero(S);
        $Vector$ c11 = seed ? $Vector$.fromArray(S, c, ci + 1 * n + lanes) : $Vector$.zero(S);
        $Vector$ c20 = seed ? $Vector$.fromArray(S, c, ci + 2 * n) : $Vector$.zero(S);
        $Vector$ c21 = seed ? $Vector$.fromArray(S, c, ci + 2 * n + lanes) : $Vector$.zero(S);
        $Vector$ c30 = seed ? $Vector$.fromArray(S, c, ci + 3 * n) : $Vector$.zero(S);
        $Vector$ c31 = seed ? $Vector$.fromArray(S, c, ci + 3 * n + lanes) : $Vector$.zero(S);
        $Vector$ c40 = seed ? $Vector$.fromArray(S, c, ci + 4 * n) : $Vector$.zero(S);
        $Vector$ c41 = seed ? $Vector$.fromArray(S, c, ci + 4 * n + lanes) : $Vector$.zero(S);
        $Vector$ c50 = seed ? $Vector$.fromArray(S, c, ci + 5 * n) : $Vector$.zero(S);
        $Vector$ c51 = seed ? $Vector$.fromArray(S, c, ci + 5 * n + lanes) : $Vector$.zero(S);
        $Vector$ c60 = seed ? $Vector$.fromArray(S, c, ci + 6 * n) : $Vector$.zero(S);
        $Vector$ c61 = seed ? $Vector$.fromArray(S, c, ci + 6 * n + lanes) : $Vector$.zero(S);
        $Vector$ c70 = seed ? $Vector$.fromArray(S, c, ci + 7 * n) : $Vector$.zero(S);
        $Vector$ c71 = seed ? $Vector$.fromArray(S, c, ci + 7 * n + lanes) : $Vector$.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            int at = ai + kk * TILE_ROWS;
            int bt = bi + kk * width;
            $Vector$ b0 = $Vector$.fromArray(S, bp, bt);
            $Vector$ b1 = $Vector$.fromArray(S, bp, bt + lanes);
            $Vector$ a0 = $Vector$.broadcast(S, ap[at + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            $Vector$ a1 = $Vector$.broadcast(S, ap[at + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            $Vector$ a2 = $Vector$.broadcast(S, ap[at + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            $Vector$ a3 = $Vector$.broadcast(S, ap[at + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            $Vector$ a4 = $Vector$.broadcast(S, ap[at + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            $Vector$ a5 = $Vector$.broadcast(S, ap[at + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            $Vector$ a6 = $Vector$.broadcast(S, ap[at + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            $Vector$ a7 = $Vector$.broadcast(S, ap[at + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        if (full) {
            c00.intoArray(c, ci + 0 * n);
            c01.intoArray(c, ci + 0 * n + lanes);
            c10.intoArray(c, ci + 1 * n);
            c11.intoArray(c, ci + 1 * n + lanes);
            c20.intoArray(c, ci + 2 * n);
            c21.intoArray(c, ci + 2 * n + lanes);
            c30.intoArray(c, ci + 3 * n);
            c31.intoArray(c, ci + 3 * n + lanes);
            c40.intoArray(c, ci + 4 * n);
            c41.intoArray(c, ci + 4 * n + lanes);
            c50.intoArray(c, ci + 5 * n);
            c51.intoArray(c, ci + 5 * n + lanes);
            c60.intoArray(c, ci + 6 * n);
            c61.intoArray(c, ci + 6 * n + lanes);
            c70.intoArray(c, ci + 7 * n);
            c71.intoArray(c, ci + 7 * n + lanes);
            return;
        }
        $type$[] tile = new $type$[TILE_ROWS * width];
        c00.intoArray(tile, 0 * width);
        c01.intoArray(tile, 0 * width + lanes);
        c10.intoArray(tile, 1 * width);
        c11.intoArray(tile, 1 * width + lanes);
        c20.intoArray(tile, 2 * width);
        c21.intoArray(tile, 2 * width + lanes);
        c30.intoArray(tile, 3 * width);
        c31.intoArray(tile, 3 * width + lanes);
        c40.intoArray(tile, 4 * width);
        c41.intoArray(tile, 4 * width + lanes);
        c50.intoArray(tile, 5 * width);
        c51.intoArray(tile, 5 * width + lanes);
        c60.intoArray(tile, 6 * width);
        c61.intoArray(tile, 6 * width + lanes);
        c70.intoArray(tile, 7 * width);
        c71.intoArray(tile, 7 * width + lanes);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int at = ci + r * n + j;
                c[at] = accumulate ? c[at] + tile[r * width + j] : tile[r * width + j];
            }
        }
    }
}
