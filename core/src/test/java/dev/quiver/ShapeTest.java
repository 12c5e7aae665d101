package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeTest {

    @Test
    void broadcastFollowsNumpy() {
        assertEquals(Shape.of(4, 3), Shape.broadcast("add", Shape.of(4, 1), Shape.of(3)));
        assertEquals(Shape.of(2, 3, 5), Shape.broadcast("add", Shape.of(2, 1, 5), Shape.of(3, 1)));
        assertEquals(Shape.of(3, 4), Shape.broadcast("add", Shape.scalar(), Shape.of(3, 4)));
        assertEquals(Shape.of(3, 4), Shape.broadcast("add", Shape.of(3, 4), Shape.scalar()));
        assertEquals(Shape.of(3, 0), Shape.broadcast("add", Shape.of(3, 1), Shape.of(0)));
        assertEquals(Shape.of(0), Shape.broadcast("add", Shape.of(1), Shape.of(0)));
        assertEquals(Shape.of(7), Shape.broadcast("add", Shape.of(7), Shape.of(7)));
        assertEquals(Shape.scalar(), Shape.broadcast("add", Shape.scalar(), Shape.scalar()));
    }

    @Test
    void broadcastMismatchNamesOpAndShapes() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Shape.broadcast("mul", Shape.of(2, 3), Shape.of(4)));
        assertTrue(error.getMessage().contains("mul"), error.getMessage());
        assertTrue(error.getMessage().contains("(2, 3)"), error.getMessage());
        assertTrue(error.getMessage().contains("(4,)"), error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Shape.broadcast("add", Shape.of(0), Shape.of(2)));
    }

    @Test
    void basics() {
        Shape s = Shape.of(2, 3, 4);
        assertEquals(3, s.rank());
        assertEquals(24, s.size());
        assertEquals(4, s.dim(-1));
        assertEquals(2, s.dim(0));
        assertArrayEquals(new long[] {12, 4, 1}, s.contiguousStrides());
        assertEquals(0, Shape.of(3, 0).size());
        assertEquals(1, Shape.scalar().size());
        assertEquals(0, Shape.scalar().rank());
        assertEquals(Shape.scalar(), Shape.of());
        assertEquals(Shape.of(2, 3), Shape.of(2, 3));
        assertEquals(Shape.of(2, 3).hashCode(), Shape.of(2, 3).hashCode());
        assertNotEquals(Shape.of(2, 3), Shape.of(3, 2));
        assertThrows(IllegalArgumentException.class, () -> Shape.of(1, -2));
        assertThrows(IllegalArgumentException.class, () -> s.dim(3));
    }

    @Test
    void dimsAreDefensivelyCopied() {
        int[] dims = {2, 3};
        Shape s = Shape.of(dims);
        dims[0] = 99;
        assertEquals(2, s.dim(0));
        s.dims()[1] = 99;
        assertEquals(3, s.dim(1));
    }

    @Test
    void printsLikePython() {
        assertEquals("()", Shape.scalar().toString());
        assertEquals("(3,)", Shape.of(3).toString());
        assertEquals("(1, 3)", Shape.of(1, 3).toString());
        assertEquals("(2, 0, 4)", Shape.of(2, 0, 4).toString());
    }

    @Test
    void normalizeAxis() {
        assertEquals(2, Shape.normalizeAxis(-1, 3, "sum"));
        assertEquals(0, Shape.normalizeAxis(-3, 3, "sum"));
        assertEquals(1, Shape.normalizeAxis(1, 3, "sum"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Shape.normalizeAxis(3, 3, "reduce_sum"));
        assertTrue(error.getMessage().contains("reduce_sum") && error.getMessage().contains("axis 3"));
        assertThrows(IllegalArgumentException.class, () -> Shape.normalizeAxis(-4, 3, "sum"));
        assertThrows(IllegalArgumentException.class, () -> Shape.normalizeAxis(0, 0, "sum"));
    }

    @Test
    void elementCountsThatOverflowAreRejected() {
        int big = 1 << 16;
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Shape.of(big, big, big, big));
        assertTrue(error.getMessage().contains("(65536, 65536, 65536, 65536)")
                && error.getMessage().contains("overflow"), error.getMessage());
        assertEquals(1L << 48, Shape.of(big, big, big).size(), "large but exact");
        assertEquals(0, Shape.of(big, big, big, 0).size(), "a zero dimension: no elements");
        assertThrows(IllegalArgumentException.class, () -> Shape.of(0, big, big, big, big),
                "the other dimensions must still give exact strides");
        assertThrows(IllegalArgumentException.class,
                () -> Shape.broadcast("add", Shape.of(big, 1, big, 1), Shape.of(big, 1, big)));
    }

    @Test
    void stridesAreComputedOnceAndHandedOutAsCopies() {
        Shape shape = Shape.of(2, 3, 4);
        // the dense tensors of a shape share one array, computed with the shape (not per op)
        assertSame(shape.sharedStrides(), shape.sharedStrides());
        assertArrayEquals(new long[] {12, 4, 1}, shape.sharedStrides());
        long[] copy = shape.contiguousStrides();
        assertNotSame(shape.sharedStrides(), copy);
        copy[0] = 99; // a caller's copy is its own
        assertArrayEquals(new long[] {12, 4, 1}, shape.contiguousStrides());
        assertArrayEquals(new long[0], Shape.scalar().contiguousStrides());
        assertArrayEquals(new long[] {1, 1}, Shape.of(0, 1).contiguousStrides());
    }

    @Test
    void contiguityIsDecidedWithoutAView() {
        Shape shape = Shape.of(2, 1, 3);
        assertTrue(shape.isContiguous(new long[] {3, 3, 1}));
        assertTrue(shape.isContiguous(new long[] {3, 0, 1}), "a size-1 axis may have any stride");
        assertFalse(shape.isContiguous(new long[] {1, 3, 2}), "transposed");
        assertFalse(shape.isContiguous(new long[] {0, 0, 1}), "broadcast");
    }
}
