package dev.quiver.spi;

import dev.quiver.DType;
import java.util.Arrays;

/**
 * How an operand is laid out in a buffer: element {@code (i0, i1, ...)} lives at
 * {@code offset + i0*strides[0] + i1*strides[1] + ...} (in elements, not bytes). Broadcasting is a stride of 0,
 * a transpose permutes the strides, a slice moves the offset, so none of them copies data.
 *
 * <pre>{@code
 * // a (2, 3) row-major matrix seen transposed as (3, 2)
 * StridedView t = new StridedView(buffer, new int[] {3, 2}, new long[] {1, 3}, 0);
 * t.isContiguous();   // false
 * }</pre>
 *
 * <p>A view does not own its buffer: core keeps the tensor that owns it reachable until the backend call that
 * uses the view has returned (for asynchronous backends, released buffers are reused only in queue order).
 *
 * @param buffer  the memory, owned by the backend executing the op
 * @param shape   dimensions of the view
 * @param strides element step per dimension; 0 repeats (broadcast)
 * @param offset  element index of {@code (0, 0, ...)}
 */
public record StridedView(DeviceBuffer buffer, int[] shape, long[] strides, long offset) {

    public StridedView {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("view rank mismatch: shape " + Arrays.toString(shape)
                    + " vs strides " + Arrays.toString(strides));
        }
    }

    /** A row-major view of a whole buffer with the given shape. */
    public static StridedView contiguous(DeviceBuffer buffer, int... shape) {
        long[] strides = new long[shape.length];
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = step;
            step *= shape[i];
        }
        return new StridedView(buffer, shape, strides, 0);
    }

    public DType dtype() {
        return buffer.dtype();
    }

    public int rank() {
        return shape.length;
    }

    /** Number of elements the view addresses (the product of its shape). */
    public long size() {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        return size;
    }

    /** True when the view is row-major and dense, so element {@code i} of a flat walk is at {@code offset + i}. */
    public boolean isContiguous() {
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != step) {
                return false;
            }
            step *= shape[i];
        }
        return true;
    }

    @Override
    public String toString() {
        return "StridedView" + Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " offset " + offset
                + " " + buffer.dtype();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StridedView view && buffer == view.buffer && offset == view.offset
                && Arrays.equals(shape, view.shape) && Arrays.equals(strides, view.strides);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(strides) + Long.hashCode(offset);
    }
}
