package dev.quiver.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Quiver;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.TestAccess;
import dev.quiver.Variable;
import dev.quiver.conformance.ElementwiseConformance.Binary;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Java number in an op ({@code x.sub(2.0)}) and a rank-0 tensor ({@code Tensor.scalar(2.0).sub(x)}) are host
 * scalars passed to kernels by value: every binary op and comparison with one on either side in float32, the
 * asymmetric ones in every numeric dtype, plain, transposed and empty operands, against the float64 reference; the same scalars where an op needs device memory
 * (matmul, reductions, concat, variables); gradients (first and second order) through them; and the errors, which
 * must read as they did when the number was a one-element tensor.
 */
public abstract class ScalarOperandConformance extends BackendConformance {
    private static final DType[] NUMERIC = {DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64};

    /** The Java-number form of each binary op. */
    private static Tensor withNumber(Binary op, Tensor x, double number) {
        return switch (op) {
            case ADD -> x.add(number);
            case SUB -> x.sub(number);
            case MUL -> x.mul(number);
            case DIV -> x.div(number);
            case POW -> x.pow(number);
            case MAXIMUM -> x.maximum(number);
            case MINIMUM -> x.minimum(number);
            case FLOOR_DIV -> x.floorDiv(number);
            case MOD -> x.mod(number);
            case ATAN2 -> x.atan2(number);
        };
    }

    /** A number in the op's domain on the side it stands (a divisor away from 0, a positive base). */
    private static double number(Binary op, DType dtype) {
        boolean divides = op == Binary.DIV || op == Binary.FLOOR_DIV || op == Binary.MOD;
        if (!dtype.isFloating()) {
            return divides ? -3 : 3;
        }
        return switch (op) {
            case DIV, FLOOR_DIV, MOD -> 2.5;
            case POW -> 1.5;
            default -> -1.75;
        };
    }

    @Test
    public void binaryOpsWithANumberOnEitherSide() {
        int[][] shapes = {{7}, {3, 2}, {0}};
        for (Binary op : Binary.values()) {
            for (DType dtype : NUMERIC) {
                // every op in float32; in the other dtypes the two that are not symmetric (division also reports
                // by-zero for ints): each (op, dtype, side) is a program of its own, and compiling one costs ~0.8 s
                // on PoCL
                boolean sample = dtype == DType.FLOAT32 || op == Binary.SUB || op == Binary.DIV || op == Binary.MOD;
                if (!sample || !dtype.isFloating() && !op.integers) {
                    continue;
                }
                double number = number(op, dtype);
                for (int[] dims : shapes) {
                    String what = op + " " + dtype + " " + java.util.Arrays.toString(dims);
                    int n = Reference.size(dims);
                    boolean transposed = dims.length == 2;
                    // x op number: x from the op's left domain
                    double[] left = op.left.draw(n + 1, n, dtype);
                    Tensor x = operand(left, dtype, dims, transposed);
                    double[] xs = values(left, dims, transposed);
                    double[] expected = new double[n];
                    for (int i = 0; i < n; i++) {
                        expected[i] = op.expected(xs[i], number, dtype);
                    }
                    Reference.assertValues(what + " x op number", withNumber(op, x, number), op.resultDtype(dtype), dims,
                            expected);
                    // Tensor.scalar(number) op x: x from the op's right domain
                    double[] right = op.right.draw(n + 2, n, dtype);
                    Tensor y = operand(right, dtype, dims, transposed);
                    double[] ys = values(right, dims, transposed);
                    for (int i = 0; i < n; i++) {
                        expected[i] = op.expected(number, ys[i], dtype);
                    }
                    Tensor scalar = Tensor.scalar(number, dtype);
                    assertTrue(TestAccess.isHostScalar(scalar), "Tensor.scalar is a host scalar");
                    Reference.assertValues(what + " scalar op x", op.op.apply(scalar, y), op.resultDtype(dtype), dims,
                            expected);
                }
            }
        }
    }

    /** {@code values} as shape {@code dims}, or as the transpose of a {@code (dims[1], dims[0])} tensor. */
    private static Tensor operand(double[] values, DType dtype, int[] dims, boolean transposed) {
        return transposed ? Reference.tensor(values, dtype, dims[1], dims[0]).transpose()
                : Reference.tensor(values, dtype, dims);
    }

    private static double[] values(double[] values, int[] dims, boolean transposed) {
        return transposed ? Reference.permute(values, new int[] {dims[1], dims[0]}, new int[] {1, 0}) : values;
    }

    @Test
    public void comparisonsWithANumber() {
        for (DType dtype : NUMERIC) {
            Tensor x = Reference.tensor(new double[] {-2, 0, 1, 3, 1}, dtype, 5);
            assertArrayEquals(new boolean[] {false, false, true, true, true}, x.greaterEqual(1).toBooleanArray());
            if (dtype == DType.FLOAT32) { // one program per comparison and dtype: all of them in one dtype
                assertArrayEquals(new boolean[] {true, true, false, false, false}, x.less(1.0).toBooleanArray());
                assertArrayEquals(new boolean[] {false, false, true, false, true}, x.equal(1).toBooleanArray());
                assertArrayEquals(new boolean[] {true, true, false, true, false}, x.notEqual(1).toBooleanArray());
            }
            assertArrayEquals(new boolean[] {true, true, true, false, true},
                    Tensor.scalar(3, dtype).greater(x).toBooleanArray(), dtype + " scalar > x");
        }
    }

    @Test
    public void integerNumbersWrapAndFractionsPromote() {
        Tensor big = Tensor.constant(new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE});
        assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MIN_VALUE + 1}, big.add(1).toIntArray());
        assertArrayEquals(new int[] {Integer.MAX_VALUE - 1, Integer.MAX_VALUE}, big.sub(1).toIntArray());
        assertArrayEquals(new int[] {-2, -2}, Tensor.scalar(Integer.MAX_VALUE, DType.INT32).mul(2).add(big.mul(0))
                .toIntArray(), "MAX * 2 wraps to -2 with the scalar on the left");
        Tensor x = Tensor.constant(new int[] {1, 2, 3});
        assertEquals(DType.FLOAT32, x.mul(0.5).dtype(), "a fractional number promotes int32 to float32");
        assertArrayEquals(new float[] {0.5f, 1, 1.5f}, x.mul(0.5).toFloatArray());
        assertEquals(DType.INT32, x.mul(2.0).dtype(), "an integral number keeps int32");
        assertEquals(DType.FLOAT64, Tensor.constant(new double[] {1}, DType.FLOAT64).add(0.1).dtype());
        assertEquals(1.1, Tensor.constant(new double[] {1}, DType.FLOAT64).add(0.1).toDoubleArray()[0], 0,
                "float64 keeps the number's full precision");
        assertEquals(DType.INT64, Tensor.constant(new long[] {1}).add(1L << 40).dtype());
        assertEquals((1L << 40) + 1, Tensor.constant(new long[] {1}).add(1L << 40).toLongArray()[0]);
    }

    @Test
    public void errorsNameTheOpTheDtypeAndTheBackend() {
        Tensor ints = Tensor.constant(new int[] {1, 2});
        IllegalArgumentException pow = assertThrows(IllegalArgumentException.class, () -> ints.pow(2.0));
        assertTrue(pow.getMessage().startsWith("pow:") && pow.getMessage().contains("int32")
                && pow.getMessage().contains("(2,)") && pow.getMessage().contains(Quiver.backend().name()),
                pow.getMessage());
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class, () -> ints.add(1e12));
        assertTrue(huge.getMessage().startsWith("add:") && huge.getMessage().contains("int32"), huge.getMessage());
        // TensorFlow's int32 / 0 is true division: inf in float64; floor division by zero is the error
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY},
                ints.div(0).toDoubleArray());
        RuntimeException byZero = assertThrows(RuntimeException.class, () -> ints.floorDiv(0).toIntArray());
        assertTrue(byZero.getMessage().contains("floor") && byZero.getMessage().contains("zero"),
                byZero.getMessage());
        Tensor flags = Tensor.constant(new boolean[] {true, false});
        IllegalArgumentException logical = assertThrows(IllegalArgumentException.class,
                () -> flags.logicalAnd(Tensor.scalar(1.0)));
        assertTrue(logical.getMessage().startsWith("logicalAnd:") && logical.getMessage().contains("bool"),
                logical.getMessage());
    }

    @Test
    public void scalarsWhereAnOpNeedsDeviceMemory() {
        Tensor two = Tensor.scalar(2.0);
        assertEquals(2.0f, two.floatValue());
        assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2}, two.broadcastTo(Shape.of(2, 3)).toFloatArray());
        assertEquals(12.0f, two.broadcastTo(Shape.of(2, 3)).sum().floatValue());
        assertEquals(2.0f, two.max().floatValue());
        Tensor matrix = Tensor.constant(new float[][] {{1, 2}, {3, 4}});
        assertArrayEquals(new float[] {2, 4, 6, 8}, two.reshape(1, 1).matmul(matrix.reshape(1, 4)).toFloatArray());
        assertArrayEquals(new float[] {2, 2, 1, 2, 3, 4},
                Tensor.concat(List.of(two.broadcastTo(Shape.of(2)), matrix.reshape(4)), 0).toFloatArray());
        assertArrayEquals(new int[] {2, 2}, Tensor.scalar(2.7).broadcastTo(Shape.of(2)).cast(DType.INT32).toIntArray());
        assertArrayEquals(new float[] {2, 2, 2}, two.reshape(1, 1).broadcastTo(Shape.of(3, 1)).reshape(3).toFloatArray());
        Variable v = new Variable(two, "v");
        v.assignAdd(1.5);
        assertEquals(3.5f, v.floatValue());
        v.assign(Tensor.scalar(7.0));
        assertEquals(7.0f, v.floatValue());
        Variable row = new Variable(Tensor.zeros(3), "row");
        row.assign(Tensor.scalar(4.0));
        row.assignSub(Tensor.scalar(1.0));
        assertArrayEquals(new float[] {3, 3, 3}, row.toFloatArray());
        assertArrayEquals(new float[] {1, 5, 1},
                Tensor.where(Tensor.constant(new boolean[] {true, false, true}), Tensor.scalar(1.0),
                        Tensor.scalar(5.0)).broadcastTo(Shape.of(3)).toFloatArray());
        assertArrayEquals(new float[] {-2, -2}, two.neg().broadcastTo(Shape.of(2)).toFloatArray());
        assertEquals("Tensor(2.0, shape=(), dtype=float32)", two.toString());
    }

    @Test
    public void gradientsThroughNumbers() {
        GradientConformance.check("affine with numbers",
                in -> in.get(0).mul(3.0).add(2.0).div(1.5).sub(0.25).pow(2.0).maximum(0.1).minimum(40.0),
                GradientConformance.positive(31, 7));
        GradientConformance.check("numbers on the left",
                in -> Tensor.scalar(2.0, DType.FLOAT64).div(in.get(0)).add(Tensor.scalar(1.5, DType.FLOAT64).pow(in.get(0))),
                GradientConformance.positive(32, 2, 3));
        // a watched rank-0 tensor is a host scalar: its gradient is summed over the broadcast
        Tensor w = Tensor.scalar(3.0, DType.FLOAT64);
        Tensor x = Reference.tensor(new double[] {1, 2, 4}, DType.FLOAT64, 3);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(w);
            Tensor y = x.mul(w).add(w.square()).sum();
            assertEquals(7 + 3 * 6.0, tape.gradient(y, w).doubleValue(), 1e-12, "d/dw sum(x w + w^2)");
        }
    }

    @Test
    public void secondOrderThroughNumbers() {
        Tensor x = Tensor.scalar(1.5, DType.FLOAT64);
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(x);
            inner.watch(x);
            Tensor y = x.pow(3.0).mul(2.0).sub(x.mul(4.0));           // 2x^3 - 4x
            Tensor dy = inner.gradient(y, x);                         // 6x^2 - 4
            Tensor d2y = outer.gradient(dy, x);                       // 12x
            assertEquals(6 * 2.25 - 4, dy.doubleValue(), 1e-12);
            assertEquals(12 * 1.5, d2y.doubleValue(), 1e-12);
        }
    }
}
