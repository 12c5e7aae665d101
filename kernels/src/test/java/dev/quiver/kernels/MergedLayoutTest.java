package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import org.junit.jupiter.api.Test;

class MergedLayoutTest {
    private static final DeviceBuffer BUFFER = new DeviceBuffer() {
        @Override
        public DType dtype() {
            return DType.FLOAT32;
        }

        @Override
        public long length() {
            return 1 << 20;
        }

        @Override
        public void release() {
        }
    };

    private static StridedView view(int[] shape, long[] strides, long offset) {
        return new StridedView(BUFFER, shape, strides, offset);
    }

    @Test
    void contiguousOperandsMergeToOneDimension() {
        MergedLayout layout = MergedLayout.of(StridedView.contiguous(BUFFER, 3, 5, 7),
                StridedView.contiguous(BUFFER, 3, 5, 7));
        assertArrayEquals(new long[] {105}, layout.shape());
        assertTrue(layout.contiguous());
    }

    @Test
    void sizeOneDimensionsDropAndScalarsAreRankZero() {
        MergedLayout one = MergedLayout.of(view(new int[] {1, 1}, new long[] {1, 1}, 4));
        assertEquals(0, one.rank());
        assertEquals(1, one.size());
        assertTrue(one.contiguous());
        assertArrayEquals(new long[] {4}, one.offsets());
    }

    @Test
    void aBroadcastRowKeepsTwoDimensions() {
        StridedView out = StridedView.contiguous(BUFFER, 4, 5);
        StridedView row = view(new int[] {4, 5}, new long[] {0, 1}, 0);
        MergedLayout layout = MergedLayout.of(out, row);
        assertArrayEquals(new long[] {4, 5}, layout.shape());
        assertArrayEquals(new long[] {0, 1}, layout.strides()[1]);
        assertFalse(layout.contiguous());
    }

    @Test
    void aTransposeStaysStridedAndAColumnSliceMergesItsRows() {
        StridedView transposed = view(new int[] {3, 2}, new long[] {1, 3}, 0);
        MergedLayout layout = MergedLayout.of(StridedView.contiguous(BUFFER, 3, 2), transposed);
        assertEquals(2, layout.rank());
        // a (2, 3, 4) block whose last two dims are dense in both operands: (2, 12)
        StridedView slice = view(new int[] {2, 3, 4}, new long[] {100, 4, 1}, 7);
        MergedLayout merged = MergedLayout.of(StridedView.contiguous(BUFFER, 2, 3, 4), slice);
        assertArrayEquals(new long[] {2, 12}, merged.shape());
        assertArrayEquals(new long[] {100, 1}, merged.strides()[1]);
        assertArrayEquals(new long[] {0, 7}, merged.offsets());
    }
}
