package dev.quiver.backend.cpu;

import dev.quiver.spi.StridedView;

/**
 * Walks several views of one shape row by row: an odometer over the outer dimensions and, per row, a base
 * offset and a stride for each operand, so kernels only ever see 1-D strided rows.
 *
 * <p>Dimensions of size 1 are dropped and adjacent dimensions that are contiguous with each other in every
 * operand are merged first, so contiguous views become a single row (the flat SIMD fast path) and a broadcast
 * of a row or column becomes rows whose strides are 1 or 0 (the broadcast SIMD path).
 */
final class StridedWalk {
    private final int rowLength;
    private final int[] rowStrides;
    private final int[] outerShape;
    private final long[][] outerStrides;  // [dimension][operand]
    private final int[] counters;
    private final long[] offsets;
    private long rowsLeft;
    private boolean started;

    private StridedWalk(int rowLength, int[] rowStrides, int[] outerShape, long[][] outerStrides, long[] offsets,
            long rows) {
        this.rowLength = rowLength;
        this.rowStrides = rowStrides;
        this.outerShape = outerShape;
        this.outerStrides = outerStrides;
        this.counters = new int[outerShape.length];
        this.offsets = offsets;
        this.rowsLeft = rows;
    }

    /** A walk over {@code shape} (the common shape of all views; each view's own shape is not consulted). */
    static StridedWalk of(int[] shape, StridedView... views) {
        int operands = views.length;
        int rank = shape.length;
        int[] sizes = new int[rank];
        long[][] strides = new long[rank][];
        int merged = 0;
        boolean empty = false;
        // From the innermost dimension outwards, merging a dimension into the previous (inner) one when every
        // operand steps over it exactly as if the two were one longer dimension.
        for (int d = rank - 1; d >= 0; d--) {
            int size = shape[d];
            if (size == 0) {
                empty = true;
            }
            if (size == 1) {
                continue;
            }
            if (merged > 0 && mergeable(views, d, sizes[merged - 1], strides[merged - 1])) {
                sizes[merged - 1] *= size;
                continue;
            }
            long[] step = new long[operands];
            for (int k = 0; k < operands; k++) {
                step[k] = views[k].strides()[d];
            }
            sizes[merged] = size;
            strides[merged] = step;
            merged++;
        }
        long[] offsets = new long[operands];
        for (int k = 0; k < operands; k++) {
            offsets[k] = views[k].offset();
        }
        int[] rowStrides = new int[operands];
        if (merged == 0) {
            return new StridedWalk(1, rowStrides, new int[0], new long[0][], offsets, empty ? 0 : 1);
        }
        for (int k = 0; k < operands; k++) {
            rowStrides[k] = Math.toIntExact(strides[0][k]);
        }
        int outerRank = merged - 1;
        int[] outerShape = new int[outerRank];
        long[][] outerStrides = new long[outerRank][];
        long rows = 1;
        for (int i = 0; i < outerRank; i++) {
            // merged dims are innermost-first; the odometer wants outermost-first
            outerShape[i] = sizes[merged - 1 - i];
            outerStrides[i] = strides[merged - 1 - i];
            rows *= outerShape[i];
        }
        return new StridedWalk(sizes[0], rowStrides, outerShape, outerStrides, offsets, empty ? 0 : rows);
    }

    private static boolean mergeable(StridedView[] views, int d, int innerSize, long[] innerStrides) {
        for (int k = 0; k < views.length; k++) {
            if (views[k].strides()[d] != innerStrides[k] * innerSize) {
                return false;
            }
        }
        return true;
    }

    /** Moves to the next row; false when every row was visited. */
    boolean next() {
        if (rowsLeft == 0) {
            return false;
        }
        if (started) {
            advance();
        }
        started = true;
        rowsLeft--;
        return true;
    }

    private void advance() {
        for (int d = outerShape.length - 1; d >= 0; d--) {
            long[] step = outerStrides[d];
            if (++counters[d] < outerShape[d]) {
                for (int k = 0; k < offsets.length; k++) {
                    offsets[k] += step[k];
                }
                return;
            }
            counters[d] = 0;
            for (int k = 0; k < offsets.length; k++) {
                offsets[k] -= step[k] * (outerShape[d] - 1);
            }
        }
    }

    int rowLength() {
        return rowLength;
    }

    /** Element index of the current row's first element in operand {@code k}'s array. */
    int offset(int k) {
        return (int) offsets[k];
    }

    /** Element step along the current row in operand {@code k}. */
    int stride(int k) {
        return rowStrides[k];
    }

    /** Number of rows (for sizing decisions). */
    long rows() {
        return rowsLeft;
    }
}
