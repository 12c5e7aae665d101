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
}
