package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Java values to flat arrays and back, without a backend. */
class HostArraysTest {

    @Test
    void flattensNestedArraysInRowMajorOrder() {
        HostArrays.Flat flat = HostArrays.flatten(new int[][] {{10, 20, 30}}, "constant", null);
        assertEquals(Shape.of(1, 3), flat.shape());
        assertEquals(DType.INT32, flat.naturalType());
        assertArrayEquals(new int[] {10, 20, 30}, (int[]) HostArrays.toTyped(flat, DType.INT32, "constant", null));

        HostArrays.Flat cube = HostArrays.flatten(new double[][][] {{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}, "constant",
                null);
        assertEquals(Shape.of(2, 2, 2), cube.shape());
        assertEquals(DType.FLOAT32, cube.naturalType());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 7, 8},
                (double[]) HostArrays.toTyped(cube, DType.FLOAT64, "constant", null));
    }

    @Test
    void naturalTypesFollowTensorFlow() {
        assertEquals(DType.FLOAT32, HostArrays.flatten(1.5, "c", null).naturalType());
        assertEquals(DType.FLOAT32, HostArrays.flatten(new float[] {1}, "c", null).naturalType());
        assertEquals(DType.INT32, HostArrays.flatten(3, "c", null).naturalType());
        assertEquals(DType.INT64, HostArrays.flatten(3L, "c", null).naturalType());
        assertEquals(DType.BOOL, HostArrays.flatten(new boolean[] {true}, "c", null).naturalType());
        assertEquals(Shape.scalar(), HostArrays.flatten(2.0, "c", null).shape());
    }

    @Test
    void raggedAndLossyAreErrors() {
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> HostArrays.flatten(new int[][] {{1, 2}, {3}}, "constant", null));
        assertTrue(ragged.getMessage().contains("constant") && ragged.getMessage().contains("ragged"));
        HostArrays.Flat fractional = HostArrays.flatten(new double[] {1, 2.5}, "constant", null);
        IllegalArgumentException lossy = assertThrows(IllegalArgumentException.class,
                () -> HostArrays.toTyped(fractional, DType.INT64, "constant", null));
        assertTrue(lossy.getMessage().contains("2.5"), lossy.getMessage());
        HostArrays.Flat big = HostArrays.flatten(new long[] {1L << 33}, "constant", null);
        assertThrows(IllegalArgumentException.class, () -> HostArrays.toTyped(big, DType.INT32, "constant", null));
        assertArrayEquals(new long[] {1L << 33}, (long[]) HostArrays.toTyped(big, DType.INT64, "constant", null));
    }

    @Test
    void conversions() {
        HostArrays.Flat ints = HostArrays.flatten(new int[] {0, 2, -1}, "c", null);
        assertArrayEquals(new boolean[] {false, true, true},
                (boolean[]) HostArrays.toTyped(ints, DType.BOOL, "c", null));
        assertArrayEquals(new float[] {0, 2, -1}, (float[]) HostArrays.toTyped(ints, DType.FLOAT32, "c", null));
        HostArrays.Flat doubles = HostArrays.flatten(new double[] {0.1}, "c", null);
        assertEquals((float) 0.1, ((float[]) HostArrays.toTyped(doubles, DType.FLOAT32, "c", null))[0]);
        assertEquals(0.1, ((double[]) HostArrays.toTyped(doubles, DType.FLOAT64, "c", null))[0]);
    }

    @Test
    void nestsFlatArraysBack() {
        Object nested = HostArrays.nest(new float[] {1, 2, 3, 4, 5, 6}, new int[] {2, 3});
        float[][] matrix = assertInstanceOf(float[][].class, nested);
        assertArrayEquals(new float[] {4, 5, 6}, matrix[1]);
        int[][][] cube = assertInstanceOf(int[][][].class, HostArrays.nest(new int[] {1, 2, 3, 4, 5, 6, 7, 8},
                new int[] {2, 2, 2}));
        assertEquals(7, cube[1][1][0]);
        assertEquals(3.5, HostArrays.nest(new double[] {3.5}, new int[0]));
        long[][] empty = assertInstanceOf(long[][].class, HostArrays.nest(new long[0], new int[] {2, 0}));
        assertEquals(2, empty.length);
        assertEquals(0, empty[1].length);
    }

    @Test
    void rendersLikeNumpy() {
        assertEquals("[[10 20 30]]", HostArrays.render(new int[] {10, 20, 30}, new int[] {1, 3}));
        assertEquals("[[1 2]\n [3 4]]", HostArrays.render(new long[] {1, 2, 3, 4}, new int[] {2, 2}));
        assertEquals("[[[1 2]]\n\n [[3 4]]]", HostArrays.render(new int[] {1, 2, 3, 4}, new int[] {2, 1, 2}));
        assertEquals("2.5", HostArrays.render(new float[] {2.5f}, new int[0]));
        assertEquals("[True False]", HostArrays.render(new boolean[] {true, false}, new int[] {2}));
        assertEquals("[]", HostArrays.render(new float[0], new int[] {0}));
        int[] many = new int[2000];
        for (int i = 0; i < many.length; i++) {
            many[i] = i;
        }
        assertEquals("[0 1 2 ... 1997 1998 1999]", HostArrays.render(many, new int[] {2000}));
    }
}
