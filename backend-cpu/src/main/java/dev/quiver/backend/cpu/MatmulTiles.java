package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.Matmul.TILE_ROWS;

import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The compute core of {@link Matmul}: C from A packed in {@link Matmul#TILE_ROWS}-row panels and B packed in
 * strips two vectors wide, both k-major, with an 8 x 2-vector register tile of FMAs. Defined once per SIMD
 * width as a hidden class (see {@link Simd}) so the species is a constant.
 */
final class MatmulTiles implements Simd.MatmulKernels {
    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(SHAPE);
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED.withShape(SHAPE);

    /** Use {@code Simd.load(..., "MatmulTiles", bits)}: loaded plainly, the class runs at the preferred width. */
    /**
     * Panels per L2 block: 32 x 8 rows x {@link Matmul#K_BLOCK_FLOAT} floats = 256 KiB of packed A, well inside a
     * 1-2 MiB L2, so each B strip slice (in L1) meets a block of A that stays in L2. Timings on the shared
     * 2-core machine were too noisy to tune it further (16-64 all within noise).
     */
    static final int PANEL_BLOCK = 32;

    /** Use {@code Simd.load(..., "MatmulTiles", bits)}: loaded plainly, the class runs at the preferred width. */
    public MatmulTiles() {
    }

    @Override
    public int floatLanes() {
        return FS.length();
    }

    @Override
    public int doubleLanes() {
        return DS.length();
    }

    // ---------------------------------------------------------------- FLOAT (float32)

    @Override
    public void computeFloat(float[] aPacked, float[] bPacked, float[] c, int co, int from, int to, int m, int k, int n,
            boolean sharedA, boolean sharedB, int kBlock) {
        int width = 2 * FS.length();
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
                            tileFloat(aPacked, aBase + p * panelSize + k0 * TILE_ROWS,
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
    private static void tileFloat(float[] ap, int ai, float[] bp, int bi, int kc, float[] c, int ci, int n, int rows,
            int cols, boolean accumulate) {
        int lanes = FS.length();
        int width = 2 * lanes;
        boolean full = rows == TILE_ROWS && cols == width;
        // A full tile after the first k block starts from C itself, so the epilogue is plain stores: the
        // accumulators then never meet a method call or a merge that could make C2 box them.
        boolean seed = accumulate && full;
        FloatVector c00 = seed ? FloatVector.fromArray(FS, c, ci + 0 * n) : FloatVector.zero(FS);
        FloatVector c01 = seed ? FloatVector.fromArray(FS, c, ci + 0 * n + lanes) : FloatVector.zero(FS);
        FloatVector c10 = seed ? FloatVector.fromArray(FS, c, ci + 1 * n) : FloatVector.zero(FS);
        FloatVector c11 = seed ? FloatVector.fromArray(FS, c, ci + 1 * n + lanes) : FloatVector.zero(FS);
        FloatVector c20 = seed ? FloatVector.fromArray(FS, c, ci + 2 * n) : FloatVector.zero(FS);
        FloatVector c21 = seed ? FloatVector.fromArray(FS, c, ci + 2 * n + lanes) : FloatVector.zero(FS);
        FloatVector c30 = seed ? FloatVector.fromArray(FS, c, ci + 3 * n) : FloatVector.zero(FS);
        FloatVector c31 = seed ? FloatVector.fromArray(FS, c, ci + 3 * n + lanes) : FloatVector.zero(FS);
        FloatVector c40 = seed ? FloatVector.fromArray(FS, c, ci + 4 * n) : FloatVector.zero(FS);
        FloatVector c41 = seed ? FloatVector.fromArray(FS, c, ci + 4 * n + lanes) : FloatVector.zero(FS);
        FloatVector c50 = seed ? FloatVector.fromArray(FS, c, ci + 5 * n) : FloatVector.zero(FS);
        FloatVector c51 = seed ? FloatVector.fromArray(FS, c, ci + 5 * n + lanes) : FloatVector.zero(FS);
        FloatVector c60 = seed ? FloatVector.fromArray(FS, c, ci + 6 * n) : FloatVector.zero(FS);
        FloatVector c61 = seed ? FloatVector.fromArray(FS, c, ci + 6 * n + lanes) : FloatVector.zero(FS);
        FloatVector c70 = seed ? FloatVector.fromArray(FS, c, ci + 7 * n) : FloatVector.zero(FS);
        FloatVector c71 = seed ? FloatVector.fromArray(FS, c, ci + 7 * n + lanes) : FloatVector.zero(FS);
        for (int kk = 0; kk < kc; kk++) {
            int at = ai + kk * TILE_ROWS;
            int bt = bi + kk * width;
            FloatVector b0 = FloatVector.fromArray(FS, bp, bt);
            FloatVector b1 = FloatVector.fromArray(FS, bp, bt + lanes);
            FloatVector a0 = FloatVector.broadcast(FS, ap[at + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(FS, ap[at + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(FS, ap[at + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(FS, ap[at + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(FS, ap[at + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(FS, ap[at + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(FS, ap[at + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(FS, ap[at + 7]);
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
        float[] tile = new float[TILE_ROWS * width];
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

    // ---------------------------------------------------------------- DOUBLE (float64)

    @Override
    public void computeDouble(double[] aPacked, double[] bPacked, double[] c, int co, int from, int to, int m, int k, int n,
            boolean sharedA, boolean sharedB, int kBlock) {
        int width = 2 * DS.length();
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
                            tileDouble(aPacked, aBase + p * panelSize + k0 * TILE_ROWS,
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
    private static void tileDouble(double[] ap, int ai, double[] bp, int bi, int kc, double[] c, int ci, int n, int rows,
            int cols, boolean accumulate) {
        int lanes = DS.length();
        int width = 2 * lanes;
        boolean full = rows == TILE_ROWS && cols == width;
        // A full tile after the first k block starts from C itself, so the epilogue is plain stores: the
        // accumulators then never meet a method call or a merge that could make C2 box them.
        boolean seed = accumulate && full;
        DoubleVector c00 = seed ? DoubleVector.fromArray(DS, c, ci + 0 * n) : DoubleVector.zero(DS);
        DoubleVector c01 = seed ? DoubleVector.fromArray(DS, c, ci + 0 * n + lanes) : DoubleVector.zero(DS);
        DoubleVector c10 = seed ? DoubleVector.fromArray(DS, c, ci + 1 * n) : DoubleVector.zero(DS);
        DoubleVector c11 = seed ? DoubleVector.fromArray(DS, c, ci + 1 * n + lanes) : DoubleVector.zero(DS);
        DoubleVector c20 = seed ? DoubleVector.fromArray(DS, c, ci + 2 * n) : DoubleVector.zero(DS);
        DoubleVector c21 = seed ? DoubleVector.fromArray(DS, c, ci + 2 * n + lanes) : DoubleVector.zero(DS);
        DoubleVector c30 = seed ? DoubleVector.fromArray(DS, c, ci + 3 * n) : DoubleVector.zero(DS);
        DoubleVector c31 = seed ? DoubleVector.fromArray(DS, c, ci + 3 * n + lanes) : DoubleVector.zero(DS);
        DoubleVector c40 = seed ? DoubleVector.fromArray(DS, c, ci + 4 * n) : DoubleVector.zero(DS);
        DoubleVector c41 = seed ? DoubleVector.fromArray(DS, c, ci + 4 * n + lanes) : DoubleVector.zero(DS);
        DoubleVector c50 = seed ? DoubleVector.fromArray(DS, c, ci + 5 * n) : DoubleVector.zero(DS);
        DoubleVector c51 = seed ? DoubleVector.fromArray(DS, c, ci + 5 * n + lanes) : DoubleVector.zero(DS);
        DoubleVector c60 = seed ? DoubleVector.fromArray(DS, c, ci + 6 * n) : DoubleVector.zero(DS);
        DoubleVector c61 = seed ? DoubleVector.fromArray(DS, c, ci + 6 * n + lanes) : DoubleVector.zero(DS);
        DoubleVector c70 = seed ? DoubleVector.fromArray(DS, c, ci + 7 * n) : DoubleVector.zero(DS);
        DoubleVector c71 = seed ? DoubleVector.fromArray(DS, c, ci + 7 * n + lanes) : DoubleVector.zero(DS);
        for (int kk = 0; kk < kc; kk++) {
            int at = ai + kk * TILE_ROWS;
            int bt = bi + kk * width;
            DoubleVector b0 = DoubleVector.fromArray(DS, bp, bt);
            DoubleVector b1 = DoubleVector.fromArray(DS, bp, bt + lanes);
            DoubleVector a0 = DoubleVector.broadcast(DS, ap[at + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(DS, ap[at + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(DS, ap[at + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(DS, ap[at + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            DoubleVector a4 = DoubleVector.broadcast(DS, ap[at + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            DoubleVector a5 = DoubleVector.broadcast(DS, ap[at + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            DoubleVector a6 = DoubleVector.broadcast(DS, ap[at + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            DoubleVector a7 = DoubleVector.broadcast(DS, ap[at + 7]);
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
        double[] tile = new double[TILE_ROWS * width];
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
