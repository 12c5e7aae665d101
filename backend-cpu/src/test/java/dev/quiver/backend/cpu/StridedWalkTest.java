package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.quiver.DType;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rows a walk visits: merged dimensions, broadcast and transposed operands, size-1 and empty shapes. */
class StridedWalkTest {
    private static final CpuBuffer BUFFER = CpuBuffer.allocate(DType.FLOAT32, 64);

    private static StridedView view(int[] shape, long[] strides, long offset) {
        return new StridedView(BUFFER, shape, strides, offset);
    }

    /** Each row as "length: offset/stride offset/stride ...". */
    private static List<String> rows(StridedWalk walk, int operands) {
        List<String> rows = new ArrayList<>();
        while (walk.next()) {
            StringBuilder row = new StringBuilder().append(walk.rowLength()).append(':');
            for (int k = 0; k < operands; k++) {
                row.append(' ').append(walk.offset(k)).append('/').append(walk.stride(k));
            }
            rows.add(row.toString());
        }
        return rows;
    }

    @Test
    void denseOperandsMergeIntoOneRow() {
        int[] shape = {2, 1, 3, 4};
        StridedView dense = view(shape, new long[] {12, 12, 4, 1}, 5);
        StridedWalk walk = StridedWalk.of(shape, dense, view(shape, new long[] {12, 99, 4, 1}, 0));
        assertEquals(1, walk.rows());
        assertEquals(List.of("24: 5/1 0/1"), rows(walk, 2));
    }

    @Test
    void transposedAndBroadcastOperandsWalkRowByRow() {
        int[] shape = {2, 3, 2};
        StridedView transposed = view(shape, new long[] {1, 4, 2}, 0); // element (i, j, k) at i + 4j + 2k
        StridedView broadcast = view(shape, new long[] {0, 1, 0}, 10);  // one value per j
        StridedView out = view(shape, new long[] {6, 2, 1}, 20);
        StridedWalk walk = StridedWalk.of(shape, transposed, broadcast, out);
        assertEquals(6, walk.rows());
        assertEquals(List.of(
                "2: 0/2 10/0 20/1", "2: 4/2 11/0 22/1", "2: 8/2 12/0 24/1",
                "2: 1/2 10/0 26/1", "2: 5/2 11/0 28/1", "2: 9/2 12/0 30/1"), rows(walk, 3));
    }

    @Test
    void sizeOneShapesAreOneElementAndEmptyShapesHaveNoRows() {
        StridedWalk single = StridedWalk.of(new int[] {1, 1}, view(new int[] {1, 1}, new long[] {7, 7}, 3));
        assertEquals(List.of("1: 3/0"), rows(single, 1));
        StridedWalk scalar = StridedWalk.of(new int[0], view(new int[0], new long[0], 2));
        assertEquals(List.of("1: 2/0"), rows(scalar, 1));
        StridedWalk empty = StridedWalk.of(new int[] {3, 0}, view(new int[] {3, 0}, new long[] {0, 1}, 0));
        assertFalse(empty.next());
    }

    @Test
    void aRowStrideBeyondAnIntIsRefused() {
        int[] shape = {2};
        assertThrows(ArithmeticException.class,
                () -> StridedWalk.of(shape, view(shape, new long[] {1L << 40}, 0)));
    }
}
