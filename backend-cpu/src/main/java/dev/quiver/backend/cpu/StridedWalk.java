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
    private static final int[] NO_COUNTERS = {};
    // The merged dimensions, innermost first: dimension 0 is the row, 1.. the odometer's (innermost outer first).
    // Flat arrays, not one per dimension: a walk is set up for every strided op, so its setup is per-op host cost.
    private final int dims;
    private final int[] sizes;
    private final long[] steps;  // [dimension * operands + operand]
    private final int operands;
    private final int[] counters;
    private final long[] offsets;
    private long rowsLeft;
    private boolean started;

    private StridedWalk(int dims, int[] sizes, long[] steps, long[] offsets, long rows) {
        this.dims = dims;
        this.sizes = sizes;
        this.steps = steps;
        this.operands = offsets.length;
        this.counters = dims > 1 ? new int[dims] : NO_COUNTERS;
        this.offsets = offsets;
        this.rowsLeft = rows;
    }

    /** A walk over {@code shape} (the common shape of all views; each view's own shape is not consulted). */
    static StridedWalk of(int[] shape, StridedView... views) {
        int operands = views.length;
        int rank = shape.length;
        int[] sizes = new int[rank];
        long[] steps = new long[rank * operands];
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
            if (merged > 0 && mergeable(views, d, sizes[merged - 1], steps, (merged - 1) * operands)) {
                sizes[merged - 1] *= size;
                continue;
            }
            for (int k = 0; k < operands; k++) {
                steps[merged * operands + k] = views[k].strides()[d];
            }
            sizes[merged] = size;
            merged++;
        }
        long[] offsets = new long[operands];
        for (int k = 0; k < operands; k++) {
            offsets[k] = views[k].offset();
            if (merged > 0) {
                Math.toIntExact(steps[k]); // a row's stride is an int (kernels index arrays): fail, never wrap
            }
        }
        long rows = 1;
        for (int i = 1; i < merged; i++) {
            rows *= sizes[i];
        }
        return new StridedWalk(merged, sizes, steps, offsets, empty ? 0 : rows);
    }

    private static boolean mergeable(StridedView[] views, int d, int innerSize, long[] steps, int inner) {
        for (int k = 0; k < views.length; k++) {
            if (views[k].strides()[d] != steps[inner + k] * innerSize) {
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
        for (int d = 1; d < dims; d++) {
            int base = d * operands;
            if (++counters[d] < sizes[d]) {
                for (int k = 0; k < operands; k++) {
                    offsets[k] += steps[base + k];
                }
                return;
            }
            counters[d] = 0;
            for (int k = 0; k < operands; k++) {
                offsets[k] -= steps[base + k] * (sizes[d] - 1);
            }
        }
    }

    int rowLength() {
        return dims == 0 ? 1 : sizes[0];
    }

    /** Element index of the current row's first element in operand {@code k}'s array. */
    int offset(int k) {
        return (int) offsets[k];
    }

    /** Element step along the current row in operand {@code k} (0 when every dimension has size 1). */
    int stride(int k) {
        return dims == 0 ? 0 : (int) steps[k];
    }

    /** Number of rows (for sizing decisions). */
    long rows() {
        return rowsLeft;
    }
}
