package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.CompiledFunction;
import dev.quiver.DType;
import dev.quiver.Quiver;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/**
 * Variables are updated in place on the backend: assign, assignAdd and assignSub with broadcasting, values that
 * are views of the variable itself (the update must read the old value, as {@code tf.Variable.assign} does), and
 * snapshots that later assignments do not change.
 */
public abstract class VariableConformance extends BackendConformance {

    @Test
    public void assignmentsUpdateInPlace() {
        for (DType dtype : Reference.FLOATS) {
            double[] initial = Reference.uniform(1, 33, -2, 2, dtype);
            double[] delta = Reference.uniform(2, 33, -1, 1, dtype);
            Variable v = new Variable(Reference.tensor(initial, dtype, 3, 11), "v");
            Tensor d = Reference.tensor(delta, dtype, 3, 11);
            double[] expected = new double[33];
            for (int i = 0; i < 33; i++) {
                expected[i] = initial[i] + delta[i];
            }
            v.assignAdd(d);
            assertValues("assignAdd " + dtype, v, dtype, new int[] {3, 11}, expected);
            v.assignSub(d);
            v.assignSub(d);
            for (int i = 0; i < 33; i++) {
                expected[i] = initial[i] - delta[i];
            }
            assertValues("assignSub " + dtype, v, dtype, new int[] {3, 11}, expected);
            Tensor row = Reference.tensor(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, dtype, 11);
            v.assign(row);
            double[] rows = new double[33];
            for (int i = 0; i < 33; i++) {
                rows[i] = i % 11 + 1;
            }
            assertValues("assign broadcasts a row " + dtype, v, dtype, new int[] {3, 11}, rows);
            v.assignAdd(Tensor.scalar(0.5, dtype));
            for (int i = 0; i < 33; i++) {
                rows[i] += 0.5;
            }
            assertValues("assignAdd a scalar " + dtype, v, dtype, new int[] {3, 11}, rows);
        }
    }

    @Test
    public void assignFromAStridedValue() {
        double[] m = Reference.uniform(3, 12, -1, 1, DType.FLOAT64);
        Variable v = new Variable(Tensor.zeros(Shape.of(4, 3), DType.FLOAT64), "v");
        v.assign(Reference.tensor(m, DType.FLOAT64, 3, 4).transpose());
        assertValues("assign from a transposed view", v, DType.FLOAT64, new int[] {4, 3},
                Reference.permute(m, new int[] {3, 4}, new int[] {1, 0}));
    }

    @Test
    public void assignFromAViewOfItselfReadsTheOldValue() {
        // v.assign(tf.transpose(v)) in TensorFlow gives the transpose: the value is read before anything is written
        Variable v = Variable.of(new double[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, DType.FLOAT64);
        v.assign(v.transpose());
        assertValues("v.assign(v^T)", v, DType.FLOAT64, new int[] {3, 3}, new double[] {1, 4, 7, 2, 5, 8, 3, 6, 9});
        Variable w = Variable.of(new double[][] {{1, 2}, {3, 4}}, DType.FLOAT64);
        w.assignAdd(w.transpose());
        assertValues("w += w^T", w, DType.FLOAT64, new int[] {2, 2}, new double[] {2, 5, 5, 8});
        Variable u = Variable.of(new double[] {1, 2, 3, 4}, DType.FLOAT64);
        u.assign(u.slice(0, 0, 1).broadcastTo(Shape.of(4)).add(u.slice(0, 3, 4)));
        assertValues("u = u[0] + u[3]", u, DType.FLOAT64, new int[] {4}, new double[] {5, 5, 5, 5});
        Variable shifted = Variable.of(new double[] {1, 2, 3, 4}, DType.FLOAT64);
        shifted.assignSub(shifted.mul(1.0));
        assertValues("v -= v (same layout)", shifted, DType.FLOAT64, new int[] {4}, new double[] {0, 0, 0, 0});
        Variable self = Variable.of(new double[] {1, -2}, DType.FLOAT64);
        self.assignAdd(self);
        assertValues("v += v (the variable itself)", self, DType.FLOAT64, new int[] {2}, new double[] {2, -4});
    }

    @Test
    public void valueIsASnapshotAndInitialValuesAreCopied() {
        Variable v = new Variable(Tensor.constant(new double[] {1, 2}), "v");
        Tensor initial = Tensor.constant(new double[] {7, 8});
        Variable copy = new Variable(initial);
        copy.assign(Tensor.constant(new double[] {0, 0}));
        assertArrayEquals(new float[] {7, 8}, initial.toFloatArray(), "a Variable copies its initial value");
        Tensor snapshot = v.value();
        Tensor computed = v.mul(1.0);
        v.assignAdd(Tensor.constant(new double[] {10, 10}));
        assertArrayEquals(new float[] {1, 2}, snapshot.toFloatArray(), "value() is a snapshot");
        assertArrayEquals(new float[] {1, 2}, computed.toFloatArray(), "results computed earlier keep their values");
        assertArrayEquals(new float[] {11, 12}, v.toFloatArray());
        Variable fromTransposed = new Variable(Tensor.constant(new double[][] {{1, 2}, {3, 4}}).transpose());
        assertArrayEquals(new float[] {1, 3, 2, 4}, fromTransposed.toFloatArray(), "initialised from a view");
    }

    @Test
    public void describesItself() {
        Variable w = new Variable(Tensor.scalar(10.0), "w");
        assertEquals("w", w.name());
        assertTrue(w.trainable());
        assertEquals("Variable('w', shape=(), dtype=float32, value=10.0)", w.toString());
        Variable frozen = new Variable(Tensor.ones(2), "frozen", false);
        assertTrue(!frozen.trainable());
        Variable of = Variable.of(3.6);
        assertEquals(DType.FLOAT32, of.dtype());
        assertEquals(3.6f, of.floatValue());
    }

    @Test
    public void javaNumbersAssignAddAndSubtractLikeTensors() {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64)) {
            Variable v = new Variable(Tensor.constant(new int[] {1, 2, 3}, dtype), "v");
            assertEquals(v, v.assignAdd(2), "returns the variable, as assignAdd(Tensor) does");
            assertArrayEquals(new double[] {3, 4, 5}, v.toDoubleArray(), "assignAdd(2) " + dtype);
            v.assignSub(4);
            assertArrayEquals(new double[] {-1, 0, 1}, v.toDoubleArray(), "assignSub(4) " + dtype);
            v.assign(7);
            assertArrayEquals(new double[] {7, 7, 7}, v.toDoubleArray(), "assign(7) " + dtype);
            assertEquals(dtype, v.dtype());
        }
        Variable f = Variable.of(new double[] {1, 2}, "f");
        f.assignAdd(0.25).assignSub(1.5);
        assertArrayEquals(new float[] {-0.25f, 0.75f}, f.toFloatArray());
        Variable ints = new Variable(Tensor.constant(new int[] {1, 2}), "ints");
        for (Runnable lossy : List.<Runnable>of(() -> ints.assignAdd(0.5), () -> ints.assignSub(1e12),
                () -> ints.assign(2.5))) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, lossy::run);
            assertTrue(error.getMessage().contains("'ints'") && error.getMessage().contains("int32"),
                    error.getMessage());
        }
        assertArrayEquals(new int[] {1, 2}, ints.toIntArray(), "a number the dtype cannot hold changes nothing");
        assertEquals("f", f.name());
        assertEquals(Variable.DEFAULT_NAME, new Variable(Tensor.ones(1), null).name(), "null name: the default");
    }

    @Test
    public void theHostKnowsAValueAssignedFromJavaUntilAnotherWriteOrACompiledStepWritesIt() {
        Variable count = new Variable(Tensor.scalar(0.0, DType.FLOAT64), "count", false);
        assertEquals(OptionalDouble.empty(), count.knownValue(), "made from a tensor: only the device knows it");
        count.assign(3);
        assertEquals(OptionalDouble.of(3), count.knownValue());
        count.assignAdd(1);
        assertEquals(OptionalDouble.empty(), count.knownValue(), "computed on the device");
        assertEquals(4.0, count.doubleValue());
        Variable single = new Variable(Tensor.scalar(0.0, DType.FLOAT32), "single", false);
        single.assign(0.1);
        assertEquals(OptionalDouble.of((float) 0.1), single.knownValue(), "what the float32 variable holds");
        count.assign(5);
        assertThrows(IllegalArgumentException.class, () -> count.assign(Tensor.ones(3)), "float32 (3,)");
        assertEquals(OptionalDouble.of(5), count.knownValue(), "a rejected write changes nothing");

        Variable read = new Variable(Tensor.scalar(0.0, DType.FLOAT64), "read", false).assign(2);
        List<OptionalDouble> whileTracing = new ArrayList<>();
        try (CompiledFunction addTo = Quiver.function(inputs -> {
            whileTracing.add(count.knownValue());
            count.assignAdd(inputs.getFirst().mul(read));
            return List.of(count.value());
        })) {
            Tensor one = Tensor.scalar(1.0, DType.FLOAT64);
            addTo.call(one);                                      // traced: 5 + 2
            assertEquals(List.of(OptionalDouble.empty()), whileTracing, "a replay will find another value");
            count.assign(10);
            assertEquals(OptionalDouble.empty(), count.knownValue(), "the compiled function writes it: for good");
            assertEquals(12.0, addTo.call(one).getFirst().doubleValue(), "replayed: 10 + 2");
            assertEquals(12.0, count.doubleValue());
            assertEquals(OptionalDouble.of(2), read.knownValue(), "only read by the compiled function");
        }
    }
}
