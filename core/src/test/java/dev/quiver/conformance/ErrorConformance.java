package dev.quiver.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Losses;
import dev.quiver.RandomGenerator;
import dev.quiver.Quiver;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Errors are loud and precise: they name the op, the shapes and the dtypes involved, and a rejected call leaves
 * every tensor, variable and the backend selection as they were.
 */
public abstract class ErrorConformance extends BackendConformance {

    static <T extends Throwable> T assertMessage(Class<T> type, Executable call, String... fragments) {
        T error = assertThrows(type, call);
        String message = error.getMessage();
        for (String fragment : fragments) {
            assertTrue(message != null && message.contains(fragment),
                    "the message should contain '" + fragment + "': " + message);
        }
        return error;
    }

    @Test
    public void broadcastMismatchNamesTheOpAndBothShapes() {
        Tensor a = Tensor.ones(2, 3);
        Tensor b = Tensor.ones(4);
        List<Object[]> ops = List.of(
                new Object[] {"add", (BiFunction<Tensor, Tensor, Tensor>) Tensor::add},
                new Object[] {"sub", (BiFunction<Tensor, Tensor, Tensor>) Tensor::sub},
                new Object[] {"mul", (BiFunction<Tensor, Tensor, Tensor>) Tensor::mul},
                new Object[] {"div", (BiFunction<Tensor, Tensor, Tensor>) Tensor::div},
                new Object[] {"maximum", (BiFunction<Tensor, Tensor, Tensor>) Tensor::maximum},
                new Object[] {"less", (BiFunction<Tensor, Tensor, Tensor>) Tensor::less},
                new Object[] {"pow", (BiFunction<Tensor, Tensor, Tensor>) Tensor::pow});
        for (Object[] op : ops) {
            @SuppressWarnings("unchecked")
            BiFunction<Tensor, Tensor, Tensor> function = (BiFunction<Tensor, Tensor, Tensor>) op[1];
            assertMessage(IllegalArgumentException.class, () -> function.apply(a, b), (String) op[0], "(2, 3)",
                    "(4,)");
        }
        assertMessage(IllegalArgumentException.class, () -> Tensor.ones(2, 1, 5).add(Tensor.ones(3, 4)), "add",
                "(2, 1, 5)", "(3, 4)");
        assertMessage(IllegalArgumentException.class, () -> Tensor.where(Tensor.constant(new boolean[] {true, false}),
                Tensor.ones(3), Tensor.ones(3)), "where", "(2,)", "(3,)");
        assertMessage(IllegalArgumentException.class, () -> Tensor.ones(3).broadcastTo(Shape.of(4, 2)),
                "broadcastTo", "(3,)");
        assertMessage(IllegalArgumentException.class, () -> Tensor.ones(2, 3).broadcastTo(Shape.of(3)),
                "broadcastTo", "(2, 3)");
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, a.toFloatArray(), "operands untouched");
    }

    @Test
    public void matmulMismatchNamesMatmulAndBothShapes() {
        assertMessage(IllegalArgumentException.class, () -> Tensor.ones(2, 3).matmul(Tensor.ones(4, 5)), "matmul",
                "(2, 3)", "(4, 5)");
        assertMessage(IllegalArgumentException.class, () -> Tensor.ones(2, 2, 3).matmul(Tensor.ones(3, 3, 4)),
                "matmul", "(2, 2, 3)", "(3, 3, 4)");
        assertMessage(IllegalArgumentException.class, () -> Tensor.ones(3).matmul(Tensor.ones(4, 1)), "matmul",
                "(3,)", "(4, 1)");
        assertMessage(IllegalArgumentException.class, () -> Tensor.scalar(2).matmul(Tensor.ones(1, 1)), "matmul",
                "rank >= 1");
        assertMessage(IllegalArgumentException.class, () -> Tensor.ones(3).matmul(Tensor.ones(3, 2), true, false),
                "matmul", "transpose");
        assertMessage(IllegalArgumentException.class, () -> Tensor.constant(new boolean[][] {{true}})
                .matmul(Tensor.constant(new boolean[][] {{true}})), "matmul", "bool");
    }

    @Test
    public void dtypeErrorsAreClear() {
        Tensor ints = Tensor.constant(new int[] {1, 2});
        for (String op : List.of("exp", "log", "sqrt", "sin", "cos", "tanh")) {
            Executable call = switch (op) {
                case "exp" -> ints::exp;
                case "log" -> ints::log;
                case "sqrt" -> ints::sqrt;
                case "sin" -> ints::sin;
                case "cos" -> ints::cos;
                default -> ints::tanh;
            };
            assertMessage(IllegalArgumentException.class, call, op, "int32", "cast");
        }
        assertMessage(IllegalArgumentException.class, () -> ints.pow(2), "pow", "int32");
        Tensor bools = Tensor.constant(new boolean[] {true, false});
        assertMessage(IllegalArgumentException.class, () -> bools.add(bools), "add", "bool");
        assertMessage(IllegalArgumentException.class, () -> bools.neg(), "neg", "bool");
        assertMessage(IllegalArgumentException.class, () -> bools.sum(), "sum", "bool");
        assertMessage(IllegalArgumentException.class, () -> ints.logicalAnd(ints), "logicalAnd", "int32");
        assertMessage(IllegalArgumentException.class, () -> ints.logicalNot(), "logicalNot", "int32");
        assertMessage(IllegalArgumentException.class, () -> Tensor.where(ints, ints, ints), "where", "int32");
        assertMessage(IllegalArgumentException.class,
                () -> Tensor.randomUniform(Shape.of(2), 0, 1, 1, DType.INT64), "int64");
    }

    @Test
    public void reshapeAndAxisErrors() {
        Tensor m = Tensor.ones(2, 3);
        assertMessage(IllegalArgumentException.class, () -> m.reshape(4), "reshape", "(2, 3)", "(4,)");
        assertMessage(IllegalArgumentException.class, () -> m.reshape(-1, 4), "reshape", "(2, 3)");
        assertMessage(IllegalArgumentException.class, () -> m.reshape(-1, -1), "reshape");
        assertMessage(IllegalArgumentException.class, () -> m.sum(2), "axis 2", "rank 2");
        assertMessage(IllegalArgumentException.class, () -> m.max(-3), "axis -3");
        assertMessage(IllegalArgumentException.class, () -> m.sum(0, 0), "repeated");
        assertMessage(IllegalArgumentException.class, () -> m.transpose(0, 0), "transpose");
        assertMessage(IllegalArgumentException.class, () -> m.transpose(0, 1, 2), "transpose");
        assertMessage(IllegalArgumentException.class, () -> m.expandDims(3), "expandDims", "axis 3");
        assertMessage(IllegalArgumentException.class, () -> Tensor.concat(List.of(m, m), 2), "concat", "axis 2");
        assertMessage(IllegalArgumentException.class, () -> Tensor.concat(List.of(m, Tensor.ones(2, 4)), 0), "concat",
                "(2, 3)", "(2, 4)");
        assertMessage(IllegalArgumentException.class, () -> Tensor.stack(List.of(m, Tensor.ones(3, 2)), 0), "stack",
                "(2, 3)", "(3, 2)");
        assertMessage(IllegalArgumentException.class, () -> m.slice(new int[] {1, 1}, new int[] {2, 2}), "slice",
                "(2, 3)");
        assertMessage(IllegalArgumentException.class, () -> m.slice(new int[] {0}, new int[] {1}), "slice");
        assertMessage(IllegalArgumentException.class, () -> m.slice(1, 2, 1), "slice");
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
    }

    @Test
    public void variableAssignRejectsWrongShapeOrDtypeAndKeepsItsValue() {
        Variable v = new Variable(Tensor.constant(new double[] {1, 2, 3}), "v");
        assertMessage(IllegalArgumentException.class, () -> v.assign(Tensor.ones(4)), "assign", "(3,)", "(4,)");
        assertArrayEquals(new float[] {1, 2, 3}, v.toFloatArray(), "unchanged after a wrong shape");
        assertMessage(IllegalArgumentException.class, () -> v.assign(Tensor.ones(Shape.of(3), DType.FLOAT64)),
                "assign", "float32", "float64");
        assertArrayEquals(new float[] {1, 2, 3}, v.toFloatArray(), "unchanged after a wrong dtype");
        assertMessage(IllegalArgumentException.class, () -> v.assignAdd(Tensor.ones(2, 3)), "assignAdd", "'v'",
                "(2, 3)", "(3,)");
        assertMessage(IllegalArgumentException.class, () -> v.assignSub(Tensor.constant(new int[] {1, 1, 1})),
                "assignSub", "int32");
        assertArrayEquals(new float[] {1, 2, 3}, v.toFloatArray(), "unchanged after rejected updates");
        // accepted calls work, including a broadcast value
        v.assign(Tensor.scalar(4.0));
        assertArrayEquals(new float[] {4, 4, 4}, v.toFloatArray());
        v.assignAdd(Tensor.constant(new double[] {1, 2, 3}));
        assertArrayEquals(new float[] {5, 6, 7}, v.toFloatArray());
        v.assignSub(Tensor.constant(new double[] {0.5, 0.5, 0.5}));
        assertArrayEquals(new float[] {4.5f, 5.5f, 6.5f}, v.toFloatArray());
        v.assign(-1);
        assertArrayEquals(new float[] {-1, -1, -1}, v.toFloatArray());
        assertEquals(Shape.of(3), v.shape());
    }

    @Test
    public void unknownBackendListsTheBackendsFoundAndKeepsTheSelection() {
        String before = Quiver.backend().name();
        assertMessage(IllegalArgumentException.class, () -> Quiver.use("nope"), "nope", backendName());
        assertEquals(before, Quiver.backend().name(), "a rejected selection keeps the current backend");
        assertEquals(backendName(), Tensor.ones(2).backend().name());
        assertTrue(Quiver.diagnose().contains(backendName()), Quiver.diagnose());
    }

    @Test
    public void integerDivisionByZeroNamesTheOp() {
        for (DType dtype : Reference.INTS) {
            Tensor a = Tensor.constant(new int[] {6, 7, 8}, dtype);
            Tensor b = Tensor.constant(new int[] {2, 0, 4}, dtype);
            RuntimeException error = assertThrows(RuntimeException.class, () -> a.floorDiv(b).toLongArray());
            assertTrue(error.getMessage() != null && error.getMessage().contains("floor_div"), String.valueOf(error));
            RuntimeException modError = assertThrows(RuntimeException.class, () -> a.mod(b).toLongArray());
            assertTrue(modError.getMessage() != null && modError.getMessage().contains("mod"), String.valueOf(modError));
            // the backend keeps working afterwards
            assertArrayEquals(new long[] {3, 1, 2}, a.floorDiv(Tensor.constant(new int[] {2, 7, 4}, dtype))
                    .toLongArray());
            // true division (TensorFlow's int /) is float64 and follows IEEE
            assertArrayEquals(new double[] {3, Double.POSITIVE_INFINITY, 2}, a.div(b).toDoubleArray());
        }
        Tensor f = Tensor.constant(new double[] {1, -1, 0}).div(Tensor.zeros(3));
        float[] values = f.toFloatArray();
        assertEquals(Float.POSITIVE_INFINITY, values[0], "float division by zero follows IEEE");
        assertEquals(Float.NEGATIVE_INFINITY, values[1]);
        assertTrue(Float.isNaN(values[2]));
    }

    @Test
    public void closedTensorsAreErrors() {
        Tensor t = Tensor.constant(new double[] {1, 2});
        Tensor view = t.reshape(2, 1);
        t.close();
        assertTrue(t.isClosed());
        assertMessage(IllegalStateException.class, () -> t.add(t), "add", "closed");
        assertMessage(IllegalStateException.class, t::toFloatArray, "closed");
        assertTrue(t.toString().contains("closed"), t.toString());
        t.close(); // twice is harmless
        assertArrayEquals(new float[] {1, 2}, view.toFloatArray(), "a view keeps the shared buffer alive");
    }

    @Test
    public void readingErrors() {
        assertMessage(IllegalStateException.class, () -> Tensor.ones(3).doubleValue(), "(3,)");
        assertMessage(IllegalStateException.class, () -> Tensor.ones(2).toIntArray(), "float32", "cast");
        assertMessage(IllegalStateException.class, () -> Tensor.ones(2).toBooleanArray(), "float32");
        assertMessage(IllegalStateException.class, () -> Tensor.ones(1).booleanValue(), "float32");
        assertMessage(IllegalStateException.class, () -> Tensor.ones(2).toLongArray(), "float32");
    }

    @Test
    public void nullArgumentsNameTheOpAndTheArgument() {
        Tensor x = Tensor.ones(2);
        Variable v = new Variable(Tensor.ones(2), "v");
        List<Object[]> calls = List.of(
                new Object[] {(Executable) () -> x.add(null), "add: ", "other"},
                new Object[] {(Executable) () -> x.mul((Tensor) null), "mul: ", "other"},
                new Object[] {(Executable) () -> x.greaterEqual((Tensor) null), "greaterEqual: ", "other"},
                new Object[] {(Executable) () -> Tensor.ones(2, 2).matmul(null), "matmul: ", "other"},
                new Object[] {(Executable) () -> Tensor.concat(Arrays.asList(x, null), 0), "concat: ", "tensor 1"},
                new Object[] {(Executable) () -> Tensor.concat(null, 0), "concat: ", "tensors"},
                new Object[] {(Executable) () -> Tensor.stack(Arrays.asList(null, x), 0), "stack: ", "tensor 0"},
                new Object[] {(Executable) () -> v.assign(null), "assign: ", "value"},
                new Object[] {(Executable) () -> v.assignAdd(null), "assignAdd: ", "value"},
                new Object[] {(Executable) () -> new Variable(null), "Variable: ", "initial"},
                new Object[] {(Executable) () -> x.reshape((Shape) null), "reshape: ", "shape"},
                new Object[] {(Executable) () -> x.reshape((int[]) null), "reshape: ", "dims"},
                new Object[] {(Executable) () -> x.cast(null), "cast: ", "dtype"},
                new Object[] {(Executable) () -> x.broadcastTo(null), "broadcastTo: ", "shape"},
                new Object[] {(Executable) () -> Tensor.zeros((Shape) null, DType.FLOAT32), "zeros: ", "shape"},
                new Object[] {(Executable) () -> Tensor.zerosLike(null), "zerosLike: ", "like"},
                new Object[] {(Executable) () -> Quiver.use(null), "use: ", "name"},
                new Object[] {(Executable) () -> Tensor.where(null, x, x), "where: ", "condition"},
                new Object[] {(Executable) () -> Tensor.where(x.greater(0.0), x, null), "where: ", "whenFalse"},
                new Object[] {(Executable) () -> Losses.meanSquaredError(x, null), "meanSquaredError: ", "predicted"},
                new Object[] {(Executable) () -> x.slice(null, new int[] {1}), "slice: ", "begin"},
                new Object[] {(Executable) () -> x.transpose((int[]) null), "transpose: ", "permutation"},
                new Object[] {(Executable) () -> Tensor.fill((Shape) null, 1), "fill: ", "shape"},
                new Object[] {(Executable) () -> new RandomGenerator(1).normal((Shape) null), "normal: ", "shape"});
        for (Object[] call : calls) {
            NullPointerException error = assertThrows(NullPointerException.class, (Executable) call[0]);
            for (int i = 1; i < call.length; i++) {
                assertTrue(String.valueOf(error.getMessage()).contains((String) call[i]),
                        "should contain '" + call[i] + "': " + error.getMessage());
            }
        }
        try (GradientTape tape = new GradientTape()) {
            NullPointerException watch = assertThrows(NullPointerException.class, () -> tape.watch((Tensor) null));
            assertTrue(String.valueOf(watch.getMessage()).contains("watch: "), watch.getMessage());
        }
        assertArrayEquals(new float[] {1, 1}, v.toFloatArray(), "rejected calls leave the variable as it was");
        assertEquals(backendName(), Quiver.backend().name(), "use(null) keeps the selection");
    }

    @Test
    public void negativeSizesNameTheOp() {
        assertMessage(IllegalArgumentException.class, () -> Tensor.range(-1), "range", "-1");
        assertMessage(IllegalArgumentException.class, () -> Tensor.linspace(0, 1, -5), "linspace", "-5");
        assertMessage(IllegalArgumentException.class, () -> Tensor.ones(6).reshape(-2, -3), "reshape", "-2");
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros(2, -3), "zeros", "-3");
    }

    @Test
    public void shapesWhoseElementCountOverflowAreRejected() {
        int big = 1 << 16;
        assertMessage(IllegalArgumentException.class, () -> Tensor.zeros(big, big, big, big), "zeros",
                "(65536, 65536, 65536, 65536)", "overflow");
        // broadcast views (stride 0) of one element: valid tensors whose broadcast together has 2^64 elements
        Tensor tall = Tensor.ones(1).broadcastTo(Shape.of(big, 1, big, 1));
        Tensor wide = Tensor.ones(1).broadcastTo(Shape.of(big, 1, big));
        assertMessage(IllegalArgumentException.class, () -> tall.add(wide), "add", "overflow", backendName());
    }

    @Test
    public void anAllocationNoBackendCanHoldNamesTheOpShapeBytesAndBackend() {
        // 2^50 float32 elements (4 PiB): beyond any device and any Java array, yet the element count is exact
        RuntimeException error = assertThrows(RuntimeException.class, () -> Tensor.zeros(1 << 20, 1 << 20, 1 << 10));
        assertMessage(RuntimeException.class, () -> {
            throw error;
        }, "zeros", "(1048576, 1048576, 1024)", "float32", "4503599627370496 bytes", backendName());
        assertArrayEquals(new float[] {1, 1}, Tensor.ones(2).toFloatArray(), "the backend works on afterwards");
    }

    @Test
    public void validationErrorsNameTheBackend() {
        Tensor m = Tensor.ones(2, 3);
        Tensor closed = Tensor.ones(2);
        closed.close();
        Variable v = new Variable(Tensor.ones(3), "v");
        List<Executable> calls = List.of(
                () -> m.add(Tensor.ones(4)),
                () -> m.matmul(Tensor.ones(4, 5)),
                () -> Tensor.constant(new int[] {1}).exp(),
                () -> m.reshape(4),
                () -> m.sum(2),
                () -> m.transpose(0, 0),
                () -> m.slice(1, 2, 1),
                () -> Tensor.concat(List.of(m, Tensor.ones(2, 4)), 0),
                () -> closed.neg(),
                () -> closed.toFloatArray(),
                () -> v.assign(Tensor.ones(4)),
                () -> m.doubleValue(),
                () -> Tensor.constant(new int[][] {{1, 2}, {3}}),
                () -> Tensor.randomNormal(Shape.of(2), 0, 1, 1, DType.INT32));
        for (Executable call : calls) {
            RuntimeException error = assertThrows(RuntimeException.class, call);
            assertTrue(String.valueOf(error.getMessage()).contains("backend " + backendName()),
                    "should name the backend: " + error.getMessage());
        }
    }

    @Test
    public void errorsNameTheJavaMethodTheUserCalled() {
        Tensor bools = Tensor.constant(new boolean[] {true, false});
        Tensor vector = Tensor.ones(3);
        List<Object[]> calls = List.of(
                new Object[] {(Executable) vector::floatValue, "floatValue: "},
                new Object[] {(Executable) vector::intValue, "intValue: "},
                new Object[] {(Executable) bools::sum, "sum: "},
                new Object[] {(Executable) bools::mean, "mean: "},
                new Object[] {(Executable) () -> bools.max(0), "max: "},
                new Object[] {(Executable) bools::square, "square: "},
                new Object[] {(Executable) () -> Tensor.constant(new int[] {1}).sigmoid(), "sigmoid: "},
                new Object[] {(Executable) () -> vector.greaterEqual(Tensor.ones(2)), "greaterEqual: "},
                new Object[] {(Executable) () -> Tensor.constant(new int[] {1}).add(1e12), "add: "});
        for (Object[] call : calls) {
            RuntimeException error = assertThrows(RuntimeException.class, (Executable) call[0]);
            String message = String.valueOf(error.getMessage());
            assertTrue(message.startsWith((String) call[1]), "should start with '" + call[1] + "': " + message);
            assertTrue(!message.contains("reduce_") && !message.contains("doubleValue"), message);
        }
    }
}
