package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.FLOATS;
import static dev.quiver.conformance.Reference.assertBooleans;
import static dev.quiver.conformance.Reference.assertValues;
import static dev.quiver.conformance.Reference.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.quiver.DType;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * reshape, transpose, slice, concat, stack, broadcastTo, expandDims, squeeze, cast and where, each against index
 * arithmetic done in Java, including chains of views and views read back through the backend's strided copy.
 */
public abstract class MovementConformance extends BackendConformance {

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32", "INT64"})
    public void reshapeKeepsRowMajorOrder(DType dtype) {
        double[] x = Reference.integers(1, 24, -9, 9);
        Tensor t = tensor(x, dtype, 2, 3, 4);
        assertValues("reshape (4, 6)", t.reshape(4, 6), dtype, new int[] {4, 6}, x);
        assertValues("reshape (-1, 8)", t.reshape(-1, 8), dtype, new int[] {3, 8}, x);
        assertValues("reshape (24,)", t.reshape(24), dtype, new int[] {24}, x);
        assertValues("reshape Shape (2, 12)", t.reshape(Shape.of(2, 12)), dtype, new int[] {2, 12}, x);
        assertValues("reshape (1, 24, 1)", t.reshape(1, -1, 1), dtype, new int[] {1, 24, 1}, x);
        // reshaping a transposed view must follow the view's order, not the buffer's
        double[] transposed = Reference.permute(x, new int[] {2, 3, 4}, new int[] {2, 1, 0});
        assertValues("transpose then reshape", t.transpose().reshape(24), dtype, new int[] {24}, transposed);
        Tensor scalar = tensor(new double[] {7}, dtype, 1, 1).reshape();
        assertValues("reshape to scalar", scalar, dtype, new int[0], new double[] {7});
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32", "INT64", "BOOL"})
    public void transposeAndPermute(DType dtype) {
        int[] dims = {3, 4, 5};
        double[] x = dtype == DType.BOOL ? Reference.integers(2, 60, 0, 1) : Reference.integers(2, 60, -30, 30);
        Tensor t = tensor(x, dtype, dims);
        int[][] permutations = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (int[] permutation : permutations) {
            int[] out = {dims[permutation[0]], dims[permutation[1]], dims[permutation[2]]};
            assertValues("permute " + java.util.Arrays.toString(permutation), t.transpose(permutation), dtype, out,
                    Reference.permute(x, dims, permutation));
        }
        assertValues("transpose() reverses", t.transpose(), dtype, new int[] {5, 4, 3},
                Reference.permute(x, dims, new int[] {2, 1, 0}));
        assertValues("negative axes", t.permute(-1, 0, -2), dtype, new int[] {5, 3, 4},
                Reference.permute(x, dims, new int[] {2, 0, 1}));
        assertValues("transpose twice is the identity", t.transpose().transpose(), dtype, dims, x);
        double[] m = dtype == DType.BOOL ? Reference.integers(3, 7 * 17, 0, 1) : Reference.integers(3, 7 * 17, -5, 5);
        assertValues("2-D odd transpose", tensor(m, dtype, 7, 17).transpose(), dtype, new int[] {17, 7},
                Reference.permute(m, new int[] {7, 17}, new int[] {1, 0}));
    }

    @Test
    public void slices() {
        for (DType dtype : FLOATS) {
            int[] dims = {5, 6, 7};
            double[] x = Reference.uniform(4, 210, -3, 3, dtype);
            Tensor t = tensor(x, dtype, dims);
            assertValues("slice begin/size", t.slice(new int[] {1, 2, 3}, new int[] {3, 2, 4}), dtype,
                    new int[] {3, 2, 4}, Reference.slice(x, dims, new int[] {1, 2, 3}, new int[] {3, 2, 4}));
            assertValues("slice size -1", t.slice(new int[] {2, 0, 5}, new int[] {-1, -1, -1}), dtype,
                    new int[] {3, 6, 2}, Reference.slice(x, dims, new int[] {2, 0, 5}, new int[] {3, 6, 2}));
            assertValues("slice along axis -1", t.slice(-1, 2, 6), dtype, new int[] {5, 6, 4},
                    Reference.slice(x, dims, new int[] {0, 0, 2}, new int[] {5, 6, 4}));
            assertValues("empty slice", t.slice(1, 3, 3), dtype, new int[] {5, 0, 7}, new double[0]);
            // slice of a slice of a transpose
            double[] xT = Reference.permute(x, dims, new int[] {2, 1, 0});
            double[] inner = Reference.slice(xT, new int[] {7, 6, 5}, new int[] {1, 1, 1}, new int[] {5, 4, 3});
            double[] outer = Reference.slice(inner, new int[] {5, 4, 3}, new int[] {2, 0, 1}, new int[] {2, 3, 2});
            assertValues("slice of slice of transpose",
                    t.transpose().slice(new int[] {1, 1, 1}, new int[] {5, 4, 3})
                            .slice(new int[] {2, 0, 1}, new int[] {2, 3, 2}),
                    dtype, new int[] {2, 3, 2}, outer);
        }
    }

    @Test
    public void concatAndStack() {
        for (DType dtype : FLOATS) {
            double[] a = Reference.uniform(5, 6, -1, 1, dtype);   // (2, 3)
            double[] b = Reference.uniform(6, 9, -1, 1, dtype);   // (3, 3)
            double[] c = Reference.uniform(7, 8, -1, 1, dtype);   // (2, 4)
            Tensor ta = tensor(a, dtype, 2, 3);
            Tensor tb = tensor(b, dtype, 3, 3);
            Tensor tc = tensor(c, dtype, 2, 4);
            double[] rows = new double[15];
            System.arraycopy(a, 0, rows, 0, 6);
            System.arraycopy(b, 0, rows, 6, 9);
            assertValues("concat axis 0", Tensor.concat(List.of(ta, tb), 0), dtype, new int[] {5, 3}, rows);
            double[] columns = {a[0], a[1], a[2], c[0], c[1], c[2], c[3], a[3], a[4], a[5], c[4], c[5], c[6], c[7]};
            assertValues("concat axis 1", Tensor.concat(List.of(ta, tc), 1), dtype, new int[] {2, 7}, columns);
            assertValues("concat axis -1", Tensor.concat(List.of(ta, tc), -1), dtype, new int[] {2, 7}, columns);
            assertValues("concat with an empty part", Tensor.concat(List.of(ta, tensor(new double[0], dtype, 0, 3),
                    tb), 0), dtype, new int[] {5, 3}, rows);
            // strided parts: a transposed view and a slice
            double[] aT = Reference.permute(a, new int[] {2, 3}, new int[] {1, 0}); // (3, 2)
            double[] bSlice = Reference.slice(b, new int[] {3, 3}, new int[] {0, 1}, new int[] {3, 2});
            double[] mixed = new double[12];
            for (int i = 0; i < 3; i++) {
                mixed[i * 4] = aT[i * 2];
                mixed[i * 4 + 1] = aT[i * 2 + 1];
                mixed[i * 4 + 2] = bSlice[i * 2];
                mixed[i * 4 + 3] = bSlice[i * 2 + 1];
            }
            assertValues("concat of views", Tensor.concat(List.of(ta.transpose(), tb.slice(1, 1, 3)), 1), dtype,
                    new int[] {3, 4}, mixed);

            Tensor s1 = tensor(new double[] {1, 2, 3}, dtype, 3);
            Tensor s2 = tensor(new double[] {4, 5, 6}, dtype, 3);
            assertValues("stack axis 0", Tensor.stack(List.of(s1, s2), 0), dtype, new int[] {2, 3},
                    new double[] {1, 2, 3, 4, 5, 6});
            assertValues("stack axis 1", Tensor.stack(List.of(s1, s2), 1), dtype, new int[] {3, 2},
                    new double[] {1, 4, 2, 5, 3, 6});
            assertValues("stack axis -1", Tensor.stack(List.of(s1, s2), -1), dtype, new int[] {3, 2},
                    new double[] {1, 4, 2, 5, 3, 6});
            assertValues("stack of matrices axis 1", Tensor.stack(List.of(ta, ta.mul(2)), 1), dtype,
                    new int[] {2, 2, 3}, new double[] {a[0], a[1], a[2], 2 * a[0], 2 * a[1], 2 * a[2],
                            a[3], a[4], a[5], 2 * a[3], 2 * a[4], 2 * a[5]});
        }
        Tensor i = Tensor.constant(new int[] {1, 2});
        Tensor f = Tensor.constant(new double[] {0.5});
        assertValues("concat promotes int32 with float32", Tensor.concat(List.of(i, f), 0), DType.FLOAT32,
                new int[] {3}, new double[] {1, 2, 0.5});
    }

    @Test
    public void broadcastExpandSqueeze() {
        for (DType dtype : FLOATS) {
            double[] x = Reference.uniform(8, 3, -1, 1, dtype);
            Tensor t = tensor(x, dtype, 3);
            assertValues("broadcastTo (4, 3)", t.broadcastTo(Shape.of(4, 3)), dtype, new int[] {4, 3},
                    Reference.broadcast(x, new int[] {3}, new int[] {4, 3}));
            Tensor column = tensor(x, dtype, 3, 1);
            assertValues("broadcastTo (2, 3, 5)", column.broadcastTo(Shape.of(2, 3, 5)), dtype, new int[] {2, 3, 5},
                    Reference.broadcast(x, new int[] {3, 1}, new int[] {2, 3, 5}));
            Tensor scalar = tensor(new double[] {x[1]}, dtype);
            assertValues("scalar broadcastTo (2, 2)", scalar.broadcastTo(Shape.of(2, 2)), dtype, new int[] {2, 2},
                    new double[] {x[1], x[1], x[1], x[1]});
            assertValues("broadcastTo its own shape", t.broadcastTo(Shape.of(3)), dtype, new int[] {3}, x);

            assertArrayEquals(new int[] {1, 3}, t.expandDims(0).shape().dims());
            assertArrayEquals(new int[] {3, 1}, t.expandDims(1).shape().dims());
            assertArrayEquals(new int[] {3, 1}, t.expandDims(-1).shape().dims());
            Tensor m = tensor(Reference.uniform(9, 6, -1, 1, dtype), dtype, 2, 3);
            assertArrayEquals(new int[] {2, 1, 3}, m.expandDims(1).shape().dims());
            assertArrayEquals(new int[] {2, 3, 1}, m.expandDims(-1).shape().dims());
            assertValues("expandDims keeps values", m.expandDims(1), dtype, new int[] {2, 1, 3}, m.toDoubleArray());
            Tensor ones = tensor(x, dtype, 1, 3, 1, 1);
            assertValues("squeeze", ones.squeeze(), dtype, new int[] {3}, x);
            assertValues("squeeze to scalar", tensor(new double[] {x[0]}, dtype, 1, 1).squeeze(), dtype, new int[0],
                    new double[] {x[0]});
            assertValues("squeeze of transposed", m.expandDims(0).transpose(2, 0, 1).squeeze(), dtype,
                    new int[] {3, 2}, Reference.permute(m.toDoubleArray(), new int[] {2, 3}, new int[] {1, 0}));
        }
    }

    @Test
    public void castBetweenEveryPairOfDtypes() {
        double[] values = {-2.7, -1, -0.5, 0, 0.5, 1, 2.7, 100.25};
        Tensor f64 = tensor(values, DType.FLOAT64, 8);
        // float -> int truncates toward zero, -> bool is != 0
        assertValues("float64 -> int32", f64.cast(DType.INT32), DType.INT32, new int[] {8},
                new double[] {-2, -1, 0, 0, 0, 1, 2, 100});
        assertValues("float64 -> int64", f64.cast(DType.INT64), DType.INT64, new int[] {8},
                new double[] {-2, -1, 0, 0, 0, 1, 2, 100});
        assertBooleans("float64 -> bool", f64.cast(DType.BOOL), new int[] {8},
                new boolean[] {true, true, true, false, true, true, true, true});
        assertValues("float64 -> float32", f64.cast(DType.FLOAT32), DType.FLOAT32, new int[] {8},
                Reference.round(DType.FLOAT32, values));
        Tensor f32 = tensor(Reference.round(DType.FLOAT32, values), DType.FLOAT32, 8);
        assertValues("float32 -> int32", f32.cast(DType.INT32), DType.INT32, new int[] {8},
                new double[] {-2, -1, 0, 0, 0, 1, 2, 100});
        assertValues("float32 -> float64 is exact", f32.cast(DType.FLOAT64), DType.FLOAT64, new int[] {8},
                Reference.round(DType.FLOAT32, values));
        Tensor i32 = Tensor.constant(new int[] {-3, 0, 7, Integer.MAX_VALUE});
        assertValues("int32 -> float64", i32.cast(DType.FLOAT64), DType.FLOAT64, new int[] {4},
                new double[] {-3, 0, 7, Integer.MAX_VALUE});
        assertValues("int32 -> int64", i32.cast(DType.INT64), DType.INT64, new int[] {4},
                new double[] {-3, 0, 7, Integer.MAX_VALUE});
        assertBooleans("int32 -> bool", i32.cast(DType.BOOL), new int[] {4}, new boolean[] {true, false, true, true});
        Tensor i64 = Tensor.constant(new long[] {-(1L << 40), 5, 1L << 52});
        assertValues("int64 -> float64", i64.cast(DType.FLOAT64), DType.FLOAT64, new int[] {3},
                new double[] {-(1L << 40), 5, 1L << 52});
        assertArrayEquals(new long[] {-(1L << 40), 5, 1L << 52}, i64.toLongArray());
        Tensor b = Tensor.constant(new boolean[] {true, false, true});
        for (DType target : new DType[] {DType.INT32, DType.INT64, DType.FLOAT32, DType.FLOAT64}) {
            assertValues("bool -> " + target, b.cast(target), target, new int[] {3}, new double[] {1, 0, 1});
        }
        assertSame(f64, f64.cast(DType.FLOAT64), "a cast to the same dtype is the tensor itself");
        // a cast of a strided view
        double[] m = Reference.uniform(10, 12, -5, 5, DType.FLOAT64);
        double[] mT = Reference.permute(m, new int[] {3, 4}, new int[] {1, 0});
        assertValues("cast of a transposed view", tensor(m, DType.FLOAT64, 3, 4).transpose().cast(DType.FLOAT32),
                DType.FLOAT32, new int[] {4, 3}, Reference.round(DType.FLOAT32, mT));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32", "INT64"})
    public void whereMatchesReference(DType dtype) {
        for (int n : Reference.ODD_LENGTHS) {
            boolean[] condition = Reference.booleans(20 + n, n);
            double[] t = Reference.integers(21 + n, n, -100, 100);
            double[] f = Reference.integers(22 + n, n, -100, 100);
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = condition[i] ? t[i] : f[i];
            }
            assertValues("where " + dtype + " n=" + n, Tensor.where(Tensor.constant(condition), tensor(t, dtype, n),
                    tensor(f, dtype, n)), dtype, new int[] {n}, expected);
        }
        // broadcasting: condition (4, 1), whenTrue (3,), whenFalse scalar
        boolean[] condition = {true, false, false, true};
        double[] t = {1, 2, 3};
        Tensor result = Tensor.where(Tensor.constant(new boolean[][] {{true}, {false}, {false}, {true}}),
                tensor(t, dtype, 3), tensor(new double[] {-9}, dtype));
        double[] expected = new double[12];
        for (int i = 0; i < 12; i++) {
            expected[i] = condition[i / 3] ? t[i % 3] : -9;
        }
        assertValues("where broadcast " + dtype, result, dtype, new int[] {4, 3}, expected);
        // a transposed condition
        Tensor c = Tensor.constant(new boolean[][] {{true, false, true}, {false, false, true}}).transpose();
        assertValues("where with transposed condition " + dtype, Tensor.where(c, tensor(new double[] {1, 2, 3, 4, 5,
                6}, dtype, 3, 2), tensor(new double[] {-1, -2, -3, -4, -5, -6}, dtype, 3, 2)), dtype, new int[] {3, 2},
                new double[] {1, -2, -3, -4, 5, 6});
    }

    @Test
    public void wherePromotesBranches() {
        Tensor result = Tensor.where(Tensor.constant(new boolean[] {true, false}), Tensor.constant(new int[] {1, 2}),
                Tensor.constant(new double[] {0.5, 0.25}));
        assertValues("where(int32, float32)", result, DType.FLOAT32, new int[] {2}, new double[] {1, 0.25});
    }

    @Test
    public void viewsShareTheBuffer() {
        Tensor t = tensor(Reference.uniform(11, 12, -1, 1, DType.FLOAT32), DType.FLOAT32, 3, 4);
        for (Tensor view : List.of(t.reshape(4, 3), t.transpose(), t.slice(0, 1, 3), t.expandDims(0),
                t.slice(1, 0, 1).broadcastTo(Shape.of(3, 5)))) {
            assertSame(t.view().buffer(), view.view().buffer(), "reshape/transpose/slice/broadcast copy nothing: "
                    + view.shape());
        }
        assertEquals(0, t.broadcastTo(Shape.of(2, 3, 4)).view().strides()[0], "broadcast axis has stride 0");
    }

    // ---------------------------------------------------------------- gather, oneHot, split, tile, pad, reverse

    /** {@code tf.gather} in Java: {@code out[o, j, i] = x[o, indices[j], i]} over the row-major (outer, axis, inner). */
    static double[] gatherReference(double[] x, int[] dims, long[] indices, int axis) {
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < axis; i++) {
            outer *= dims[i];
        }
        for (int i = axis + 1; i < dims.length; i++) {
            inner *= dims[i];
        }
        double[] out = new double[outer * indices.length * inner];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < indices.length; j++) {
                for (int i = 0; i < inner; i++) {
                    out[(o * indices.length + j) * inner + i] = x[(int) ((o * dims[axis] + indices[j]) * inner + i)];
                }
            }
        }
        return out;
    }

    static Tensor indexTensor(long[] values, DType dtype, int... dims) {
        double[] asDoubles = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            asDoubles[i] = values[i];
        }
        return tensor(asDoubles, dtype, dims);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32", "INT64"})
    public void gatherMatchesReference(DType dtype) {
        int[] dims = {5, 7, 3};
        double[] x = dtype.isFloating() ? Reference.uniform(40, 105, -4, 4, dtype) : Reference.integers(40, 105, -50, 50);
        Tensor t = tensor(x, dtype, dims);
        for (DType indexType : Reference.INTS) {
            for (int axis = 0; axis < 3; axis++) {
                long[] picks = {dims[axis] - 1, 0, 2, 2, 1, dims[axis] - 1, 0};   // repeats, first and last
                int[] expectedDims = dims.clone();
                expectedDims[axis] = picks.length;
                assertValues("gather axis " + axis + " " + indexType, t.gather(indexTensor(picks, indexType, 7), axis),
                        dtype, expectedDims, gatherReference(x, dims, picks, axis));
            }
            // indices of rank 2 and rank 0, negative axis
            long[] grid = {4, 0, 3, 1, 1, 2};
            assertValues("gather (2, 3) indices axis 0 " + indexType, t.gather(indexTensor(grid, indexType, 2, 3)),
                    dtype, new int[] {2, 3, 7, 3}, gatherReference(x, dims, grid, 0));
            assertValues("gather scalar index axis -1 " + indexType, t.gather(indexTensor(new long[] {2}, indexType),
                    -1), dtype, new int[] {5, 7}, gatherReference(x, dims, new long[] {2}, 2));
            assertValues("gather no index", t.gather(indexTensor(new long[0], indexType, 0), 1), dtype,
                    new int[] {5, 0, 3}, new double[0]);
        }
        // strided params (a transpose, a slice) and strided indices (a slice of a larger index tensor)
        double[] xT = Reference.permute(x, dims, new int[] {2, 1, 0});   // (3, 7, 5)
        long[] picks = {6, 1, 6, 3};
        assertValues("gather of a transposed view", t.transpose().gather(indexTensor(picks, DType.INT32, 4), 1),
                dtype, new int[] {3, 4, 5}, gatherReference(xT, new int[] {3, 7, 5}, picks, 1));
        double[] sliced = Reference.slice(x, dims, new int[] {1, 0, 1}, new int[] {3, 7, 2});
        assertValues("gather of a slice", t.slice(new int[] {1, 0, 1}, new int[] {3, 7, 2})
                        .gather(indexTensor(picks, DType.INT64, 4), 1), dtype, new int[] {3, 4, 2},
                gatherReference(sliced, new int[] {3, 7, 2}, picks, 1));
        Tensor everyOther = indexTensor(new long[] {2, 9, 0, 9, 4, 9}, DType.INT32, 3, 2).slice(1, 0, 1).reshape(3);
        assertValues("gather with strided indices", t.gather(everyOther), dtype, new int[] {3, 7, 3},
                gatherReference(x, dims, new long[] {2, 0, 4}, 0));
        // a long axis, an odd length that leaves a tail in any grid
        double[] column = Reference.integers(41, 1031, -9, 9);
        long[] many = new long[1031];
        for (int i = 0; i < many.length; i++) {
            many[i] = (i * 37L) % 1031;
        }
        assertValues("gather 1031 of 1031", tensor(column, dtype, 1031).gather(indexTensor(many, DType.INT64, 1031)),
                dtype, new int[] {1031}, gatherReference(column, new int[] {1031}, many, 0));
    }

    @Test
    public void gatherOfBoolAndIndexErrorsNameTheIndexAndTheShape() {
        Tensor flags = Tensor.constant(new boolean[] {true, false, true});
        assertBooleans("gather bool", flags.gather(Tensor.constant(new int[] {1, 2, 1})), new int[] {3},
                new boolean[] {false, true, false});
        Tensor table = tensor(Reference.uniform(42, 15, -1, 1, DType.FLOAT32), DType.FLOAT32, 5, 3);
        for (long bad : new long[] {7, 5, -1}) {
            for (DType indexType : Reference.INTS) {
                Tensor indices = indexTensor(new long[] {0, 4, bad, 1}, indexType, 4);
                RuntimeException error = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                        () -> table.gather(indices).add(1.0).toFloatArray());
                String message = String.valueOf(error.getMessage());
                for (String fragment : new String[] {"gather", "indices[2] = " + bad, "[0, 5)"}) {
                    org.junit.jupiter.api.Assertions.assertTrue(message.contains(fragment),
                            "should contain '" + fragment + "': " + message);
                }
            }
        }
        // the backend keeps working, and an unrelated result reads normally
        assertValues("gather after an error", table.gather(Tensor.constant(new int[] {4})), DType.FLOAT32,
                new int[] {1, 3}, Reference.slice(table.toDoubleArray(), new int[] {5, 3}, new int[] {4, 0},
                        new int[] {1, 3}));
        RuntimeException floats = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> table.gather(Tensor.constant(new double[] {1})));
        org.junit.jupiter.api.Assertions.assertTrue(floats.getMessage().contains("int32 or int64"), floats.getMessage());
    }

    @Test
    public void oneHotFollowsTensorFlow() {
        for (DType indexType : Reference.INTS) {
            Tensor indices = indexTensor(new long[] {0, 2, -1, 3, 1}, indexType, 5);
            assertValues("oneHot depth 3", indices.oneHot(3), DType.FLOAT32, new int[] {5, 3}, new double[] {
                    1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0});
            assertValues("oneHot on 5 off -1 axis 0 int64", indices.oneHot(3, 5, -1, 0, DType.INT64), DType.INT64,
                    new int[] {3, 5}, new double[] {5, -1, -1, -1, -1, -1, -1, -1, -1, 5, -1, 5, -1, -1, -1});
            Tensor grid = indexTensor(new long[] {1, 0, 0, 1}, indexType, 2, 2);
            assertValues("oneHot of (2, 2) float64", grid.oneHot(2, 1, 0, -1, DType.FLOAT64), DType.FLOAT64,
                    new int[] {2, 2, 2}, new double[] {0, 1, 1, 0, 1, 0, 0, 1});
        }
    }

    @Test
    public void splitTileAndPad() {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT32}) {
            int[] dims = {3, 7};
            double[] x = Reference.integers(43, 21, -9, 9);
            Tensor t = tensor(x, dtype, dims);
            List<Tensor> parts = t.split(new int[] {2, -1, 1}, 1);
            assertEquals(3, parts.size());
            assertValues("split sizes 0", parts.get(0), dtype, new int[] {3, 2},
                    Reference.slice(x, dims, new int[] {0, 0}, new int[] {3, 2}));
            assertValues("split sizes 1", parts.get(1), dtype, new int[] {3, 4},
                    Reference.slice(x, dims, new int[] {0, 2}, new int[] {3, 4}));
            assertValues("split sizes 2", parts.get(2), dtype, new int[] {3, 1},
                    Reference.slice(x, dims, new int[] {0, 6}, new int[] {3, 1}));
            List<Tensor> thirds = t.split(3, 0);
            for (int i = 0; i < 3; i++) {
                assertValues("split equal " + i, thirds.get(i), dtype, new int[] {1, 7},
                        Reference.slice(x, dims, new int[] {i, 0}, new int[] {1, 7}));
            }
            ErrorConformance.assertMessage(IllegalArgumentException.class, () -> t.split(2, 1), "split", "(3, 7)");
            ErrorConformance.assertMessage(IllegalArgumentException.class, () -> t.split(new int[] {3, 3}, 1),
                    "split", "7");

            double[] tiled = new double[6 * 14];
            for (int r = 0; r < 6; r++) {
                for (int c = 0; c < 14; c++) {
                    tiled[r * 14 + c] = x[(r % 3) * 7 + c % 7];
                }
            }
            assertValues("tile (2, 2)", t.tile(2, 2), dtype, new int[] {6, 14}, tiled);
            double[] tT = Reference.permute(x, dims, new int[] {1, 0});
            double[] tiledT = new double[7 * 9];
            for (int r = 0; r < 7; r++) {
                for (int c = 0; c < 9; c++) {
                    tiledT[r * 9 + c] = tT[r * 3 + c % 3];
                }
            }
            assertValues("tile of a transposed view (1, 3)", t.transpose().tile(1, 3), dtype, new int[] {7, 9}, tiledT);
            assertValues("tile by 0", t.tile(0, 1), dtype, new int[] {0, 7}, new double[0]);

            double[] padded = new double[6 * 8];
            java.util.Arrays.fill(padded, 4);
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 7; c++) {
                    padded[(r + 1) * 8 + c] = x[r * 7 + c];
                }
            }
            assertValues("pad {{1, 2}, {0, 1}} with 4", t.pad(new int[][] {{1, 2}, {0, 1}}, 4), dtype,
                    new int[] {6, 8}, padded);
            double[] zeros = new double[3 * 9];
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 7; c++) {
                    zeros[r * 9 + c + 2] = x[r * 7 + c];
                }
            }
            assertValues("pad with zeros", t.pad(new int[][] {{0, 0}, {2, 0}}), dtype, new int[] {3, 9}, zeros);
            ErrorConformance.assertMessage(IllegalArgumentException.class, () -> t.pad(new int[][] {{1, -1}, {0, 0}}),
                    "pad", "paddings[0]");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT32", "INT64", "BOOL"})
    public void reverseIsANegativeStrideViewThatEveryOpReads(DType dtype) {
        int[] dims = {4, 5, 33};
        double[] x = dtype == DType.BOOL ? Reference.integers(44, 660, 0, 1) : Reference.integers(44, 660, -60, 60);
        Tensor t = tensor(x, dtype, dims);
        for (int[] axes : new int[][] {{0}, {1}, {2}, {-1, 0}, {0, 1, 2}, {}}) {
            double[] expected = new double[x.length];
            for (int a = 0; a < 4; a++) {
                for (int b = 0; b < 5; b++) {
                    for (int c = 0; c < 33; c++) {
                        int[] at = {a, b, c};
                        for (int axis : axes) {
                            int normal = (axis + 3) % 3;
                            at[normal] = dims[normal] - 1 - at[normal];
                        }
                        expected[(a * 5 + b) * 33 + c] = x[(at[0] * 5 + at[1]) * 33 + at[2]];
                    }
                }
            }
            Tensor reversed = t.reverse(axes);
            String what = "reverse " + java.util.Arrays.toString(axes) + " " + dtype;
            assertValues(what, reversed, dtype, dims, expected);   // read back through the strided copy
            if (axes.length > 0) {
                assertSame(t.view().buffer(), reversed.view().buffer(), what + " is a view");
            }
            // a strided copy of a view of the reversed view, and the reversed view as an elementwise operand
            double[] expectedT = Reference.permute(expected, dims, new int[] {2, 0, 1});
            assertValues(what + " then transpose", reversed.transpose(2, 0, 1), dtype, new int[] {33, 4, 5}, expectedT);
            assertValues(what + " then reshape (copy)", reversed.reshape(20, 33), dtype, new int[] {20, 33}, expected);
            if (dtype != DType.BOOL) {
                double[] doubled = expected.clone();
                for (int i = 0; i < doubled.length; i++) {
                    doubled[i] = 2 * doubled[i];
                }
                assertValues(what + " + itself", reversed.add(reversed), dtype, dims, doubled);
                assertValues(what + " slice", reversed.slice(new int[] {1, 1, 3}, new int[] {2, 3, 29}), dtype,
                        new int[] {2, 3, 29}, Reference.slice(expected, dims, new int[] {1, 1, 3},
                                new int[] {2, 3, 29}));
                Reference.Reduced sum = Reference.reduce(expected, dims, new int[] {1}, Reference.Reduction.SUM);
                assertValues(what + " sum axis 1", reversed.sum(1), dtype, new int[] {4, 33}, sum.values());
            }
        }
        assertValues("reverse of an empty axis", tensor(new double[0], dtype, 0, 3).reverse(0), dtype,
                new int[] {0, 3}, new double[0]);
    }
}
