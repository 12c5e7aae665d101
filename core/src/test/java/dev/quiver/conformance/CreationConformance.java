package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.spi.Philox;
import dev.quiver.spi.RandomDistribution;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Making tensors: constants from Java values (TensorFlow's dtype rules), conversion with a dtype, the errors for
 * ragged and lossy input, fills, random tensors (reproducible, and equal to the Philox reference on every backend),
 * linspace, range, {@code toString} and {@code toArray}.
 */
public abstract class CreationConformance extends BackendConformance {

    @Test
    public void constantsFromScalarsTakeTensorFlowDtypes() {
        Tensor d = Tensor.constant(2.5);
        assertEquals(DType.FLOAT32, d.dtype(), "a Java double is float32, as a Python float in TensorFlow");
        assertEquals(Shape.scalar(), d.shape());
        assertEquals(2.5, d.doubleValue());
        Tensor i = Tensor.constant(7);
        assertEquals(DType.INT32, i.dtype());
        assertEquals(7, i.intValue());
        Tensor l = Tensor.constant(1L << 40);
        assertEquals(DType.INT64, l.dtype());
        assertEquals(1L << 40, l.longValue());
        Tensor b = Tensor.constant(true);
        assertEquals(DType.BOOL, b.dtype());
        assertTrue(b.booleanValue());
        Tensor f = Tensor.constant(1.25f);
        assertEquals(DType.FLOAT32, f.dtype());
        assertEquals(1.25f, f.floatValue());
    }

    @Test
    public void constantsFromArraysAndNestedArrays() {
        Tensor matrix = Tensor.constant(new int[][] {{10, 20, 30}});
        assertEquals(DType.INT32, matrix.dtype());
        assertEquals(Shape.of(1, 3), matrix.shape());
        assertArrayEquals(new int[] {10, 20, 30}, matrix.toIntArray());

        Tensor cube = Tensor.constant(new double[][][] {{{1, 2}, {3, 4}, {5, 6}}, {{7, 8}, {9, 10}, {11, 12}}});
        assertEquals(DType.FLOAT32, cube.dtype());
        assertEquals(Shape.of(2, 3, 2), cube.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, cube.toFloatArray());

        assertEquals(DType.INT64, Tensor.constant(new long[] {1, 2}).dtype());
        assertEquals(DType.BOOL, Tensor.constant(new boolean[][] {{true}, {false}}).dtype());
        assertEquals(DType.FLOAT32, Tensor.constant(new float[] {1, 2}).dtype());
        Tensor boxed = Tensor.constant(new Integer[] {4, 5});
        assertEquals(DType.INT32, boxed.dtype());
        assertArrayEquals(new int[] {4, 5}, boxed.toIntArray());
        Tensor empty = Tensor.constant(new double[0]);
        assertEquals(Shape.of(0), empty.shape());
        assertEquals(0, empty.size());
        Tensor emptyRows = Tensor.constant(new double[][] {{}, {}});
        assertEquals(Shape.of(2, 0), emptyRows.shape());
    }

    @Test
    public void convertWithDtype() {
        Tensor f64 = Tensor.constant(new double[] {0.1, -2.5}, DType.FLOAT64);
        assertEquals(DType.FLOAT64, f64.dtype());
        assertArrayEquals(new double[] {0.1, -2.5}, f64.toDoubleArray(), "float64 keeps every bit of a double");
        Tensor i64 = Tensor.convertToTensor(new int[][] {{1, 2}, {3, 4}}, DType.INT64);
        assertEquals(DType.INT64, i64.dtype());
        assertArrayEquals(new long[] {1, 2, 3, 4}, i64.toLongArray());
        Tensor whole = Tensor.constant(new double[] {3, -4}, DType.INT32);
        assertArrayEquals(new int[] {3, -4}, whole.toIntArray(), "whole doubles convert to int32 exactly");
        Tensor fromInts = Tensor.constant(new int[] {1, 0, 5}, DType.FLOAT32);
        assertArrayEquals(new float[] {1, 0, 5}, fromInts.toFloatArray());
        Tensor toBool = Tensor.constant(new int[] {1, 0, 5}, DType.BOOL);
        assertArrayEquals(new boolean[] {true, false, true}, toBool.toBooleanArray());
        Tensor fromTensor = Tensor.constant(fromInts, DType.FLOAT64);
        assertEquals(DType.FLOAT64, fromTensor.dtype());
        assertArrayEquals(new double[] {1, 0, 5}, fromTensor.toDoubleArray());
    }

    @Test
    public void raggedAndLossyInputAreErrors() {
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> Tensor.constant(new int[][] {{1, 2}, {3}}));
        assertTrue(ragged.getMessage().contains("ragged"), ragged.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.constant(new double[][] {{1}, {2, 3}}));
        assertThrows(IllegalArgumentException.class, () -> Tensor.constant(new int[][][] {{{1}}, {{2}, {3}}}));

        IllegalArgumentException lossy = assertThrows(IllegalArgumentException.class,
                () -> Tensor.constant(new double[] {1, 1.5}, DType.INT32));
        assertTrue(lossy.getMessage().contains("1.5") && lossy.getMessage().contains("int32"), lossy.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> Tensor.constant(new long[] {1L << 40}, DType.INT32));
        assertTrue(range.getMessage().contains("int32"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.constant(Double.POSITIVE_INFINITY, DType.INT64));
        assertThrows(IllegalArgumentException.class, () -> Tensor.constant("text"));
        assertThrows(IllegalArgumentException.class, () -> Tensor.constant((Object) null));
    }

    @Test
    public void fillsAndLikes() {
        Tensor zeros = Tensor.zeros(2, 3);
        assertValues("zeros", zeros, DType.FLOAT32, new int[] {2, 3}, new double[6]);
        assertValues("ones", Tensor.ones(3), DType.FLOAT32, new int[] {3}, new double[] {1, 1, 1});
        assertValues("zeros int64", Tensor.zeros(Shape.of(2), DType.INT64), DType.INT64, new int[] {2},
                new double[2]);
        assertValues("ones float64", Tensor.ones(Shape.of(1, 2), DType.FLOAT64), DType.FLOAT64, new int[] {1, 2},
                new double[] {1, 1});
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64}) {
            for (int n : Reference.ODD_LENGTHS) {
                double[] expected = new double[n];
                Arrays.fill(expected, -7);
                assertValues("fill -7 " + dtype + " n=" + n, Tensor.fill(Shape.of(n), -7, dtype), dtype,
                        new int[] {n}, expected);
            }
        }
        assertArrayEquals(new boolean[] {true, true}, Tensor.fill(Shape.of(2), 1, DType.BOOL).toBooleanArray());
        assertValues("scalar float64", Tensor.scalar(0.1, DType.FLOAT64), DType.FLOAT64, new int[0],
                new double[] {0.1});
        assertValues("scalar", Tensor.scalar(2.5), DType.FLOAT32, new int[0], new double[] {2.5});

        Tensor like = Tensor.constant(new long[][] {{5, 6, 7}});
        assertValues("zerosLike", Tensor.zerosLike(like), DType.INT64, new int[] {1, 3}, new double[3]);
        assertValues("onesLike", Tensor.onesLike(like), DType.INT64, new int[] {1, 3}, new double[] {1, 1, 1});
        assertValues("fillLike", Tensor.fillLike(like, 4), DType.INT64, new int[] {1, 3}, new double[] {4, 4, 4});
        Tensor view = Tensor.constant(new double[][] {{1, 2}, {3, 4}, {5, 6}}, DType.FLOAT64).transpose();
        assertValues("onesLike of a view", Tensor.onesLike(view), DType.FLOAT64, new int[] {2, 3},
                new double[] {1, 1, 1, 1, 1, 1});
        assertValues("zeros (0, 3)", Tensor.zeros(0, 3), DType.FLOAT32, new int[] {0, 3}, new double[0]);
    }

    @Test
    public void randomTensorsAreReproducibleAndMatchPhilox() {
        for (DType dtype : Reference.FLOATS) {
            for (int n : new int[] {1, 17, 1031}) {
                Tensor a = Tensor.randomNormal(Shape.of(n), 0.5, 2, 42, dtype);
                Tensor b = Tensor.randomNormal(Shape.of(n), 0.5, 2, 42, dtype);
                assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), "same seed, same normals " + dtype);
                Tensor c = Tensor.randomNormal(Shape.of(n), 0.5, 2, 43, dtype);
                if (n > 1) {
                    assertFalse(Arrays.equals(a.toDoubleArray(), c.toDoubleArray()), "another seed differs");
                }
                // the stream is a contract across backends: the reference's bits exactly, no tolerance
                assertArrayEquals(philox(RandomDistribution.NORMAL, dtype, 42, 0, n, 0.5, 2), a.toDoubleArray(),
                        "normal equals the Philox reference bit for bit " + dtype + " n=" + n);
                assertArrayEquals(philox(RandomDistribution.UNIFORM, dtype, 7, 0, n, -3, 2),
                        Tensor.randomUniform(Shape.of(n), -3, 2, 7, dtype).toDoubleArray(),
                        "uniform equals the Philox reference bit for bit " + dtype + " n=" + n);
            }
        }
    }

    @Test
    public void randomDrawsAtOddCountersMatchPhiloxBitForBit() {
        // consecutive draws of odd sizes start at counters 0, 3, 8, 1039, ...: not multiples of the 4 (float32) or
        // 2 (float64) elements of a Philox block, so head, whole blocks and tail of every backend are exercised
        int[] sizes = {3, 5, 1031, 1, 2049, 7};
        for (DType dtype : Reference.FLOATS) {
            for (RandomDistribution distribution : RandomDistribution.values()) {
                RandomGenerator generator = new RandomGenerator(0x5EED_0000_0001L);
                long counter = 0;
                for (int n : sizes) {
                    Tensor drawn = distribution == RandomDistribution.NORMAL
                            ? generator.normal(Shape.of(n), -1.25, 3, dtype)
                            : generator.uniform(Shape.of(n), -1.25, 3, dtype);
                    assertArrayEquals(philox(distribution, dtype, 0x5EED_0000_0001L, counter, n, -1.25, 3),
                            drawn.toDoubleArray(), distribution + " " + dtype + " n=" + n + " counter=" + counter);
                    counter += n;
                }
            }
        }
    }

    /** Elements {@code counter .. counter + n} of the reference stream, as the dtype holds them. */
    private static double[] philox(RandomDistribution distribution, DType dtype, long seed, long counter, int n,
                                   double first, double second) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = dtype == DType.FLOAT32
                    ? Philox.sampleFloat(distribution, seed, counter + i, first, second)
                    : Philox.sampleDouble(distribution, seed, counter + i, first, second);
        }
        return values;
    }

    @Test
    public void randomStatistics() {
        int n = 20000;
        double[] normal = Tensor.randomNormal(Shape.of(100, 200), 1, 3, 5, DType.FLOAT64).toDoubleArray();
        double mean = Arrays.stream(normal).average().orElseThrow();
        double variance = Arrays.stream(normal).map(v -> (v - mean) * (v - mean)).sum() / n;
        assertEquals(1, mean, 0.1, "normal mean");
        assertEquals(3, Math.sqrt(variance), 0.1, "normal standard deviation");
        double[] uniform = Tensor.randomUniform(Shape.of(n), 2, 4, 6, DType.FLOAT32).toDoubleArray();
        for (double v : uniform) {
            assertTrue(v >= 2 && v < 4, "uniform in [2, 4): " + v);
        }
        assertEquals(3, Arrays.stream(uniform).average().orElseThrow(), 0.05, "uniform mean");
    }

    @Test
    public void randomGeneratorStreamsContinue() {
        RandomGenerator first = new RandomGenerator(11);
        Tensor a = first.normal(Shape.of(64));
        Tensor b = first.normal(Shape.of(64));
        assertEquals(DType.FLOAT32, a.dtype());
        assertFalse(Arrays.equals(a.toFloatArray(), b.toFloatArray()), "consecutive draws differ");
        RandomGenerator second = new RandomGenerator(11);
        assertArrayEquals(a.toFloatArray(), second.normal(Shape.of(64)).toFloatArray(), "same seed, same stream");
        assertArrayEquals(b.toFloatArray(), second.normal(Shape.of(64)).toFloatArray(), "second draw too");
        // the stream continues the counter: draw 2 of 64 equals elements 64..127 of one draw of 128
        Tensor joined = new RandomGenerator(11).normal(Shape.of(128));
        assertArrayEquals(b.toFloatArray(), joined.slice(0, 64, 128).toFloatArray());
        Tensor u = new RandomGenerator(3).uniform(Shape.of(5, 7), -1, 1, DType.FLOAT64);
        assertEquals(DType.FLOAT64, u.dtype());
        assertEquals(Shape.of(5, 7), u.shape());
        assertThrows(IllegalArgumentException.class, () -> Tensor.randomNormal(Shape.of(2), 0, 1, 1, DType.INT32));
    }

    @Test
    public void linspaceAndRange() {
        assertValues("linspace(0, 1, 5)", Tensor.linspace(0, 1, 5), DType.FLOAT32, new int[] {5},
                new double[] {0, 0.25, 0.5, 0.75, 1});
        assertValues("linspace(-1, 1, 1)", Tensor.linspace(-1, 1, 1), DType.FLOAT32, new int[] {1},
                new double[] {-1});
        double[] expected = new double[33];
        for (int i = 0; i < 33; i++) {
            expected[i] = (float) (-2 + 5.0 * i / 32);
        }
        assertValues("linspace(-2, 3, 33)", Tensor.linspace(-2, 3, 33), DType.FLOAT32, new int[] {33}, expected);
        Tensor range = Tensor.range(5);
        assertEquals(DType.INT32, range.dtype());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, range.toIntArray());
        assertEquals(Shape.of(0), Tensor.range(0).shape());
    }

    @Test
    public void toStringFollowsTensorFlow() {
        assertEquals("Tensor([[10 20 30]], shape=(1, 3), dtype=int32)",
                Tensor.constant(new int[][] {{10, 20, 30}}).toString());
        assertEquals("Tensor(3.5, shape=(), dtype=float32)", Tensor.constant(3.5).toString());
        assertEquals("Tensor([1.0 -2.5], shape=(2,), dtype=float64)",
                Tensor.constant(new double[] {1, -2.5}, DType.FLOAT64).toString());
        assertEquals("Tensor([[1 2]\n [3 4]], shape=(2, 2), dtype=int64)",
                Tensor.constant(new long[][] {{1, 2}, {3, 4}}).toString());
        assertEquals("Tensor([True False], shape=(2,), dtype=bool)",
                Tensor.constant(new boolean[] {true, false}).toString());
        assertEquals("Tensor([], shape=(0,), dtype=float32)", Tensor.constant(new double[0]).toString());
        assertEquals("Tensor([[1 3]\n [2 4]], shape=(2, 2), dtype=int32)",
                Tensor.constant(new int[][] {{1, 2}, {3, 4}}).transpose().toString(), "a view prints its own order");
        String big = Tensor.range(2000).toString();
        assertTrue(big.contains("...") && big.length() < 200, "large tensors are summarised: " + big);
    }

    @Test
    public void toArrayNestsLikeNumpy() {
        Object matrix = Tensor.constant(new double[][] {{1, 2, 3}, {4, 5, 6}}).toArray();
        float[][] floats = assertInstanceOf(float[][].class, matrix);
        assertArrayEquals(new float[] {4, 5, 6}, floats[1]);
        Object cube = Tensor.range(24).reshape(2, 3, 4).toArray();
        int[][][] ints = assertInstanceOf(int[][][].class, cube);
        assertEquals(23, ints[1][2][3]);
        assertEquals(6, ints[0][1][2]);
        Object scalar = Tensor.constant(4.5).toArray();
        assertEquals(4.5f, assertInstanceOf(Float.class, scalar));
        Object longs = Tensor.constant(new long[] {1, 2}).toArray();
        assertArrayEquals(new long[] {1, 2}, assertInstanceOf(long[].class, longs));
        Object bools = Tensor.constant(new boolean[][] {{true, false}}).toArray();
        assertArrayEquals(new boolean[] {true, false}, assertInstanceOf(boolean[][].class, bools)[0]);
        Object doubles = Tensor.constant(new double[][] {{1, 2}, {3, 4}}, DType.FLOAT64).transpose().toArray();
        assertArrayEquals(new double[] {2, 4}, assertInstanceOf(double[][].class, doubles)[1]);
        Object empty = Tensor.zeros(3, 0).toArray();
        float[][] emptyRows = assertInstanceOf(float[][].class, empty);
        assertEquals(3, emptyRows.length);
        assertEquals(0, emptyRows[0].length);
    }

    @Test
    public void readingValues() {
        Tensor t = Tensor.constant(new int[] {3, -4});
        assertArrayEquals(new double[] {3, -4}, t.toDoubleArray());
        assertArrayEquals(new float[] {3, -4}, t.toFloatArray());
        assertArrayEquals(new long[] {3, -4}, t.toLongArray());
        assertThrows(IllegalStateException.class, () -> Tensor.constant(1.5).toIntArray(),
                "no silent truncation when reading floats as ints");
        assertThrows(IllegalStateException.class, t::doubleValue, "two elements are not one value");
        assertThrows(IllegalStateException.class, () -> Tensor.constant(1.5).longValue());
        assertEquals(-4, t.slice(0, 1, 2).intValue());
    }

    @Test
    public void boxedNumbersTakeTheDtypeOfTheirJavaType() {
        Tensor longs = Tensor.constant(new Object[] {123456789L, 1L});
        assertEquals(DType.INT64, longs.dtype(), "boxed Longs are int64, as long[] is");
        assertArrayEquals(new long[] {123456789L, 1L}, longs.toLongArray(), "exact, not rounded through float32");
        assertEquals(DType.INT32, Tensor.constant(new Object[] {1, 2}).dtype());
        assertEquals(DType.INT64, Tensor.constant(new Object[] {1, 9007199254740993L}).dtype(), "int and long: int64");
        assertArrayEquals(new long[] {1, 9007199254740993L},
                Tensor.constant(new Object[] {1, 9007199254740993L}).toLongArray());
        assertEquals(DType.FLOAT32, Tensor.constant(new Object[] {1.5, 2L}).dtype(), "a fraction makes float32");
        assertEquals(DType.BOOL, Tensor.constant(new Object[] {true, false}).dtype());
        assertEquals(DType.INT64, Tensor.constant(new Object[][] {{1L, 2L}, {3L, 4L}}).dtype());
        assertEquals(DType.INT64, Tensor.constant(Long.valueOf(7)).dtype());
        assertEquals(DType.FLOAT32, Tensor.constant(new Object[0]).dtype(), "empty: float32, as tf.constant([])");
    }

    @Test
    public void emptyArraysKeepTheRankOfTheirJavaType() {
        // Java keeps no inner length for an empty outer array (new float[0][5] holds no float[5]), so the inner
        // lengths are 0; the rank comes from the array type
        Tensor empty = Tensor.constant(new float[0][5]);
        assertEquals(Shape.of(0, 0), empty.shape());
        assertEquals(DType.FLOAT32, empty.dtype());
        assertEquals(Shape.of(0, 5), empty.reshape(0, 5).shape(), "reshape gives it the shape the caller meant");
        assertEquals(Shape.of(3, 0), Tensor.constant(new int[3][0]).shape());
        assertEquals(Shape.of(0, 0, 0), Tensor.constant(new double[0][][]).shape());
        assertEquals(Shape.of(2, 0, 0), Tensor.constant(new long[2][0][4]).shape());
        assertEquals(DType.INT64, Tensor.constant(new long[2][0][4]).dtype());
    }

    @Test
    public void everyShapedFactoryTakesIntsOrAShapeAndAnOptionalDtype() {
        Shape shape = Shape.of(2, 3);
        double[] zeros = new double[6];
        double[] ones = {1, 1, 1, 1, 1, 1};
        double[] sevens = {7, 7, 7, 7, 7, 7};
        assertValues("zeros(int...)", Tensor.zeros(2, 3), DType.FLOAT32, new int[] {2, 3}, zeros);
        assertValues("zeros(Shape)", Tensor.zeros(shape), DType.FLOAT32, new int[] {2, 3}, zeros);
        assertValues("zeros(DType, int...)", Tensor.zeros(DType.INT64, 2, 3), DType.INT64, new int[] {2, 3}, zeros);
        assertValues("zeros(Shape, DType)", Tensor.zeros(shape, DType.FLOAT64), DType.FLOAT64, new int[] {2, 3}, zeros);
        assertValues("ones(int...)", Tensor.ones(2, 3), DType.FLOAT32, new int[] {2, 3}, ones);
        assertValues("ones(Shape)", Tensor.ones(shape), DType.FLOAT32, new int[] {2, 3}, ones);
        assertValues("ones(DType, int...)", Tensor.ones(DType.INT32, 2, 3), DType.INT32, new int[] {2, 3}, ones);
        assertValues("ones(Shape, DType)", Tensor.ones(shape, DType.FLOAT64), DType.FLOAT64, new int[] {2, 3}, ones);
        assertValues("fill(Shape, v)", Tensor.fill(shape, 7), DType.FLOAT32, new int[] {2, 3}, sevens);
        assertValues("fill(int[], v)", Tensor.fill(new int[] {2, 3}, 7), DType.FLOAT32, new int[] {2, 3}, sevens);
        assertValues("fill(int[], v, DType)", Tensor.fill(new int[] {2, 3}, 7, DType.INT64), DType.INT64,
                new int[] {2, 3}, sevens);
        assertValues("zerosLike(x, DType)", Tensor.zerosLike(Tensor.ones(2, 3), DType.INT32), DType.INT32,
                new int[] {2, 3}, zeros);
        assertValues("onesLike(x, DType)", Tensor.onesLike(Tensor.zeros(2, 3), DType.FLOAT64), DType.FLOAT64,
                new int[] {2, 3}, ones);
        // the random factories: int[] and Shape forms draw the same numbers; the dtype defaults to float32
        assertArrayEquals(Tensor.randomNormal(shape, 0, 1, 5).toFloatArray(),
                Tensor.randomNormal(new int[] {2, 3}, 0, 1, 5).toFloatArray());
        assertEquals(DType.FLOAT64, Tensor.randomUniform(new int[] {2, 3}, 0, 1, 5, DType.FLOAT64).dtype());
        assertEquals(DType.FLOAT32, Tensor.randomUniform(shape, 0, 1, 5).dtype());
        RandomGenerator a = new RandomGenerator(9);
        RandomGenerator b = new RandomGenerator(9);
        assertArrayEquals(a.normal(shape).toDoubleArray(), b.normal(2, 3).toDoubleArray(), 0.0);
        assertArrayEquals(a.normal(shape, DType.FLOAT64).toDoubleArray(), b.normal(DType.FLOAT64, 2, 3).toDoubleArray(),
                0.0, "normal(Shape, DType) and normal(DType, int...) continue one stream alike");
        assertArrayEquals(a.uniform(shape, DType.FLOAT64).toDoubleArray(),
                b.uniform(DType.FLOAT64, 2, 3).toDoubleArray(), 0.0);
        assertArrayEquals(a.normal(shape, 3, 2).toDoubleArray(), b.normal(shape, 3, 2, DType.FLOAT32).toDoubleArray(),
                0.0);
        assertArrayEquals(a.uniform(2, 3).toDoubleArray(), b.uniform(shape, 0, 1).toDoubleArray(), 0.0);
        assertEquals(DType.INT64, Tensor.range(4, DType.INT64).dtype());
        assertEquals(DType.FLOAT64, Tensor.linspace(0, 1, 3, DType.FLOAT64).dtype());
    }

    @Test
    public void ofIsConstantUnderTheNameVariableOfUses() {
        Tensor scalar = Tensor.of(3.6);
        assertEquals(Shape.scalar(), scalar.shape(), "a scalar, as Variable.of(3.6) is");
        assertEquals(DType.FLOAT32, scalar.dtype());
        Tensor matrix = Tensor.of(new int[][] {{1, 2}, {3, 4}});
        assertEquals(DType.INT32, matrix.dtype());
        assertArrayEquals(new int[] {1, 2, 3, 4}, matrix.toIntArray());
        assertEquals(DType.FLOAT64, Tensor.of(new int[] {1, 2}, DType.FLOAT64).dtype());
        assertEquals(DType.INT64, Tensor.of(7L).dtype());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Tensor.of("text"));
        assertTrue(error.getMessage().startsWith("of: "), error.getMessage());
    }
}
