package dev.quiver;

import dev.quiver.spi.HostScalar;
import dev.quiver.spi.StridedView;
import java.util.Arrays;

/** Layout arithmetic on {@link StridedView}s for the compiler of traced steps. */
final class Views {
    private Views() {
    }

    /** Whether {@code view} covers its whole buffer densely in row-major order from offset 0. */
    static boolean coversBuffer(StridedView view) {
        return !(view.buffer() instanceof HostScalar) && view.offset() == 0 && view.isContiguous()
                && view.size() == view.buffer().length();
    }

    /**
     * {@code view} seen with dimensions {@code dims} (the same element count) without copying, element {@code i} of
     * a row-major walk staying element {@code i}; null when its strides do not allow it (numpy's no-copy reshape).
     * A view of a host number takes any shape.
     */
    static StridedView reshape(StridedView view, int[] dims) {
        if (Arrays.equals(view.shape(), dims)) {
            return view;
        }
        if (view.buffer() instanceof HostScalar) {
            return new StridedView(view.buffer(), dims.clone(), new long[dims.length], 0);
        }
        int[] oldDims = view.shape();
        long[] oldStrides = view.strides();
        int rank = 0;
        int[] od = new int[oldDims.length];
        long[] os = new long[oldDims.length];
        long size = 1;
        for (int i = 0; i < oldDims.length; i++) {
            size *= oldDims[i];
            if (oldDims[i] != 1) {
                od[rank] = oldDims[i];
                os[rank++] = oldStrides[i];
            }
        }
        long newSize = 1;
        for (int d : dims) {
            newSize *= d;
        }
        if (size != newSize || size == 0) {
            return null;
        }
        long[] strides = new long[dims.length];
        int oi = 0;
        int oj = 1;
        int ni = 0;
        int nj = 1;
        while (ni < dims.length && oi < rank) {
            long np = dims[ni];
            long op = od[oi];
            while (np != op) {
                if (np < op) {
                    np *= dims[nj++];
                } else {
                    op *= od[oj++];
                }
            }
            for (int ok = oi; ok < oj - 1; ok++) {
                if (os[ok] != od[ok + 1] * os[ok + 1]) {
                    return null;
                }
            }
            strides[nj - 1] = os[oj - 1];
            for (int nk = nj - 1; nk > ni; nk--) {
                strides[nk - 1] = strides[nk] * dims[nk];
            }
            ni = nj++;
            oi = oj++;
        }
        // dimensions of size 1 left at the end step nowhere
        return new StridedView(view.buffer(), dims.clone(), strides, view.offset());
    }
}
