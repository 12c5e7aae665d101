package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import java.lang.invoke.MethodHandles;

/**
 * SIMD reductions (SUM, MAX, MIN) over the middle axis of a contiguous {@code (outer, reduced, inner)} block,
 * for float32 and float64; other dtypes go to {@link ScalarKernels#reduce}.
 *
 * <ul>
 *   <li>{@code inner == 1} (reduce each row): four vector accumulators over the row, because one accumulator
 *       is bound by the add latency (PLATFORM.md: 4.9 GB/s for a plain loop, 26-34 GB/s with four); sums read
 *       two blocks at a time from the two halves of the row, two streams that keep more misses in flight.</li>
 *   <li>{@code inner > 1} (reduce columns): vectorized across {@code inner}, streaming the input row by row
 *       into an accumulator row, so memory is read once and in order.</li>
 * </ul>
 *
 * <p>Accuracy of sums: each block of {@value #ROW_BLOCK} elements (rows) or {@value #COLUMN_BLOCK} rows
 * (columns) is summed in the dtype by many independent lanes, and the block sums are added in double. The
 * error therefore grows with about {@code block / lanes} roundings rather than with the whole length (a
 * float32 sum of 10^7 values keeps about 6 significant digits).
 *
 * <p>This class only chooses; the SIMD loops are {@code Float32Reductions} and {@code Float64Reductions},
 * generated at build time from {@code src/main/templates/X-Reductions.java} so that both dtypes run
 * the same code. Each is loaded at this class's vector width (see {@link Simd}).
 */
final class Reductions implements Simd.ReductionKernels {
    /** Elements per row block summed in the working precision before folding into double. */
    static final int ROW_BLOCK = 4096;
    /** Rows per column block summed in the working precision before folding into double. */
    static final int COLUMN_BLOCK = 256;

    /**
     * Running sums of a fused reduction's chunk ({@code FusedLoop}): a fixed count, not the vector's lane count, so a
     * fused SUM gives the same bits at every SIMD width and with SIMD off. 64 covers four 512-bit float32 vectors,
     * enough independent additions to hide the add latency.
     */
    static final int LANE_SUMS = 64;

    private static final int BITS = Simd.shape(MethodHandles.lookup()).vectorBitSize();

    private final Simd.FloatingReductions float32 = Simd.load(Simd.FloatingReductions.class, "Float32Reductions", BITS);
    private final Simd.FloatingReductions float64 = Simd.load(Simd.FloatingReductions.class, "Float64Reductions", BITS);

    /** Use {@code Simd.load(..., "Reductions", bits)}: loaded plainly, the class runs at the preferred width. */
    public Reductions() {
    }

    /** Reduces contiguous {@code (outer, reduced, inner)} at {@code io} into contiguous {@code (outer, inner)} at {@code oo}. */
    @Override
    public void reduce(Primitive op, DType type, Object in, int io, Object out, int oo, int outer, int reduced, int inner) {
        switch (type) {
            case FLOAT32 -> float32.reduce(op, in, io, out, oo, outer, reduced, inner);
            case FLOAT64 -> float64.reduce(op, in, io, out, oo, outer, reduced, inner);
            default -> ScalarKernels.reduce(op, type, in, io, out, oo, outer, reduced, inner);
        }
    }

    /** Adds {@code n} float32 or float64 elements into {@value #LANE_SUMS} running sums (see the template). */
    @Override
    public void accumulateLanes(DType type, Object in, int io, int n, Object laneSums) {
        (type == DType.FLOAT32 ? float32 : float64).accumulateLanes(in, io, n, laneSums);
    }
}
