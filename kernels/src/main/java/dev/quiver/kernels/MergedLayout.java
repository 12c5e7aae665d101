package dev.quiver.kernels;

import dev.quiver.spi.StridedView;
import java.util.Arrays;

/**
 * The layout of several same-shape operands with as few dimensions as possible, so a strided kernel does the
 * least index arithmetic: size-1 dimensions are dropped, and neighbours are merged where every operand steps
 * through them as through one dimension ({@code stride[d] == stride[d + 1] * shape[d + 1]}). A layout of rank 0
 * after merging is a single element; a rank-1 layout with unit strides everywhere is contiguous.
 *
 * <pre>{@code
 * // a (4, 5) contiguous tensor plus a (4, 5) broadcast of a row: rank 2 stays rank 2 (the row repeats)
 * MergedLayout layout = MergedLayout.of(out, in, row);
 * layout.contiguous();   // false
 * }</pre>
 *
 * @param shape   merged dimensions, outermost first
 * @param strides {@code strides[operand][d]}, operands in the order given
 * @param offsets the operands' element offsets
 */
record MergedLayout(long[] shape, long[][] strides, long[] offsets) {

    static MergedLayout of(StridedView... views) {
        int rank = views[0].rank();
        int operands = views.length;
        long[] shape = new long[rank];
        long[][] strides = new long[operands][rank];
        int kept = 0;
        for (int d = 0; d < rank; d++) {
            int size = views[0].shape()[d];
            if (size == 1) {
                continue;
            }
            boolean merge = kept > 0;
            for (int o = 0; o < operands && merge; o++) {
                // dimension d joins the previous kept one when stepping d' once equals stepping d size times
                merge = strides[o][kept - 1] == views[o].strides()[d] * size;
            }
            if (merge) {
                shape[kept - 1] *= size;
                for (int o = 0; o < operands; o++) {
                    strides[o][kept - 1] = views[o].strides()[d];
                }
            } else {
                shape[kept] = size;
                for (int o = 0; o < operands; o++) {
                    strides[o][kept] = views[o].strides()[d];
                }
                kept++;
            }
        }
        long[] offsets = new long[operands];
        long[][] trimmed = new long[operands][];
        for (int o = 0; o < operands; o++) {
            offsets[o] = views[o].offset();
            trimmed[o] = Arrays.copyOf(strides[o], kept);
        }
        return new MergedLayout(Arrays.copyOf(shape, kept), trimmed, offsets);
    }

    int rank() {
        return shape.length;
    }

    long size() {
        long size = 1;
        for (long d : shape) {
            size *= d;
        }
        return size;
    }

    /** True when a flat walk reaches every operand's elements at unit steps (the {@code _c} kernel applies). */
    boolean contiguous() {
        if (rank() == 0) {
            return true;
        }
        if (rank() > 1) {
            return false;
        }
        for (long[] s : strides) {
            if (s[0] != 1) {
                return false;
            }
        }
        return true;
    }
}
