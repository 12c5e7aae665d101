package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.Matmul.K_BLOCK;
import static dev.quiver.backend.cpu.Matmul.TILE_ROWS;

import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The compute core of {@link Matmul}: C from A packed in {@link Matmul#TILE_ROWS}-row panels and B packed in
 * strips two vectors wide, both k-major, with a 4 x 2-vector register tile of FMAs. Defined once per SIMD
 * width as a hidden class (see {@link Simd}) so the species is a constant.
 */
final class MatmulTiles implements Simd.MatmulKernels {
    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(SHAPE);
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED.withShape(SHAPE);

    /** Use {@code Simd.load(..., "MatmulTiles", bits)}: loaded plainly, the class runs at the preferred width. */
    /**
     * Panels per L2 block: 32 x 4 rows x {@link Matmul#K_BLOCK} floats = 128 KiB of packed A, well inside a
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
            boolean sharedA, boolean sharedB) {
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
            // k blocks keep one strip's slice of B (K_BLOCK x width) in L1 while it meets every panel
            for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
                int kc = Math.min(K_BLOCK, k - k0);
                // a block of panels (PANEL_BLOCK x 4 rows x kc) stays in L2 while every strip passes over it
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
     * The register tile: 4 rows x 2 vectors of C held in 8 accumulators; per k step two loads of B, four
     * broadcasts of A and eight FMAs. Writes (or, after the first k block, adds to) the valid part of C.
     */
    private static void tileFloat(float[] ap, int ai, float[] bp, int bi, int kc, float[] c, int ci, int n, int rows,
            int cols, boolean accumulate) {
        int lanes = FS.length();
        int width = 2 * lanes;
        FloatVector c00 = FloatVector.zero(FS);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        for (int kk = 0; kk < kc; kk++) {
            FloatVector b0 = FloatVector.fromArray(FS, bp, bi);
            FloatVector b1 = FloatVector.fromArray(FS, bp, bi + lanes);
            FloatVector a0 = FloatVector.broadcast(FS, ap[ai]);
            FloatVector a1 = FloatVector.broadcast(FS, ap[ai + 1]);
            FloatVector a2 = FloatVector.broadcast(FS, ap[ai + 2]);
            FloatVector a3 = FloatVector.broadcast(FS, ap[ai + 3]);
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

    private static void storeFloat(FloatVector v0, FloatVector v1, float[] c, int at, boolean accumulate) {
        int lanes = FS.length();
        if (accumulate) {
            v0 = v0.add(FloatVector.fromArray(FS, c, at));
            v1 = v1.add(FloatVector.fromArray(FS, c, at + lanes));
        }
        v0.intoArray(c, at);
        v1.intoArray(c, at + lanes);
    }

    // ---------------------------------------------------------------- DOUBLE (float64)

    @Override
    public void computeDouble(double[] aPacked, double[] bPacked, double[] c, int co, int from, int to, int m, int k, int n,
            boolean sharedA, boolean sharedB) {
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
            // k blocks keep one strip's slice of B (K_BLOCK x width) in L1 while it meets every panel
            for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
                int kc = Math.min(K_BLOCK, k - k0);
                // a block of panels (PANEL_BLOCK x 4 rows x kc) stays in L2 while every strip passes over it
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
     * The register tile: 4 rows x 2 vectors of C held in 8 accumulators; per k step two loads of B, four
     * broadcasts of A and eight FMAs. Writes (or, after the first k block, adds to) the valid part of C.
     */
    private static void tileDouble(double[] ap, int ai, double[] bp, int bi, int kc, double[] c, int ci, int n, int rows,
            int cols, boolean accumulate) {
        int lanes = DS.length();
        int width = 2 * lanes;
        DoubleVector c00 = DoubleVector.zero(DS);
        DoubleVector c01 = c00;
        DoubleVector c10 = c00;
        DoubleVector c11 = c00;
        DoubleVector c20 = c00;
        DoubleVector c21 = c00;
        DoubleVector c30 = c00;
        DoubleVector c31 = c00;
        for (int kk = 0; kk < kc; kk++) {
            DoubleVector b0 = DoubleVector.fromArray(DS, bp, bi);
            DoubleVector b1 = DoubleVector.fromArray(DS, bp, bi + lanes);
            DoubleVector a0 = DoubleVector.broadcast(DS, ap[ai]);
            DoubleVector a1 = DoubleVector.broadcast(DS, ap[ai + 1]);
            DoubleVector a2 = DoubleVector.broadcast(DS, ap[ai + 2]);
            DoubleVector a3 = DoubleVector.broadcast(DS, ap[ai + 3]);
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

    private static void storeDouble(DoubleVector v0, DoubleVector v1, double[] c, int at, boolean accumulate) {
        int lanes = DS.length();
        if (accumulate) {
            v0 = v0.add(DoubleVector.fromArray(DS, c, at));
            v1 = v1.add(DoubleVector.fromArray(DS, c, at + lanes));
        }
        v0.intoArray(c, at);
        v1.intoArray(c, at + lanes);
    }
}
