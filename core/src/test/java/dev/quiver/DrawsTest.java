package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.quiver.spi.Drawn;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import org.junit.jupiter.api.Test;

/** A fused call's draws as its replays move them ({@link Draws.Positioned}) against {@link Draws#positioned}. */
class DrawsTest {

    @Test
    void aCallsDrawsMoveOncePerPositionAndSharedDrawsMoveTogether() {
        Drawn merged = new Drawn(RandomDistribution.NORMAL, 42, 0, 0, 1, DType.FLOAT32, 128);
        Drawn other = new Drawn(RandomDistribution.UNIFORM, 7, 30, -1, 1, DType.FLOAT64, 8);
        StridedView first = new StridedView(merged, new int[] {1, 64, 1}, new long[] {64, 1, 1}, 0);
        StridedView scalar = HostScalar.of(DType.FLOAT32, 7).broadcast(1, 64, 1);
        StridedView second = new StridedView(merged, new int[] {1, 64, 1}, new long[] {64, 1, 1}, 64);
        StridedView third = StridedView.contiguous(other, 8);
        StridedView[] inputs = {first, scalar, second, third};
        Draws.Positioned drawn = new Draws.Positioned(inputs);
        StridedView[] previous = null;
        for (long counter : new long[] {0, 128, 128, 256, 0}) {
            StridedView[] at = drawn.at(counter);
            assertSameViews(Draws.positioned(inputs, counter), at, "at " + counter);
            assertSame(scalar, at[1], "an input that draws nothing is passed as recorded");
            assertSame(at[0].buffer(), at[2].buffer(), "the views of one draw read one moved draw");
            if (previous != null) {
                assertSame(previous, at, "one array from replay to replay");
            }
            previous = at;
            assertNotSame(inputs, at, "the recorded inputs stay as they are");
        }
        StridedView[] atOnce = drawn.at(512);
        StridedView kept = atOnce[0];
        assertSame(kept, drawn.at(512)[0], "moved again only when the position changes");
        StridedView[] plain = {scalar};
        assertSame(plain, new Draws.Positioned(plain).at(3), "a call without draws passes its inputs");
    }

    /** Equal views, a draw compared by value (a view compares its buffer by identity). */
    private static void assertSameViews(StridedView[] expected, StridedView[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i].buffer(), actual[i].buffer(), what + ": input " + i + "'s buffer");
            assertArrayEquals(expected[i].shape(), actual[i].shape(), what + ": input " + i + "'s shape");
            assertArrayEquals(expected[i].strides(), actual[i].strides(), what + ": input " + i + "'s strides");
            assertEquals(expected[i].offset(), actual[i].offset(), what + ": input " + i + "'s offset");
        }
    }
}
