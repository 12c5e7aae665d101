package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.FLOATS;
import static dev.quiver.conformance.Reference.ODD_LENGTHS;
import static dev.quiver.conformance.Reference.assertBooleans;
import static dev.quiver.conformance.Reference.assertValues;
import static dev.quiver.conformance.Reference.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.Tensor;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Primitive;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every elementwise op of the table ({@link ElementwiseOps}), on every dtype it defines, and the composite ops,
 * against a float64 Java reference formula stated here per op (the rows below): float32 and float64 (and the
 * integer dtypes where the op is defined), odd lengths that leave SIMD tails, broadcasting, size 0, a large
 * tensor, NaN propagation and strided (transposed, sliced, broadcast) operands.
 */
public abstract class ElementwiseConformance extends BackendConformance {

    /** Where an op's inputs are drawn from. */
    @FunctionalInterface
    public interface Domain {
        double[] draw(long seed, int n, DType dtype);
    }

    static final Domain ANY = (seed, n, dtype) -> dtype.isFloating()
            ? Reference.uniform(seed, n, -3, 3, dtype) : Reference.integers(seed, n, -50, 50);
    static final Domain POSITIVE = (seed, n, dtype) -> Reference.uniform(seed, n, 0.05, 4, dtype);
    static final Domain NONZERO = (seed, n, dtype) -> dtype.isFloating()
            ? Reference.awayFromZero(seed, n, 0.25, 3, dtype) : Reference.awayFromZero(seed, n, 1, 9, dtype);
    static final Domain SMALL_EXPONENT = (seed, n, dtype) -> Reference.uniform(seed, n, -2, 2, dtype);

    public enum Unary {
        NEG(Tensor::neg, v -> -v, ANY, true),
        ABS(Tensor::abs, Math::abs, ANY, true),
        SIGN(Tensor::sign, Math::signum, ANY, true),
        EXP(Tensor::exp, Math::exp, ANY, false),
        LOG(Tensor::log, Math::log, POSITIVE, false),
        SQRT(Tensor::sqrt, Math::sqrt, POSITIVE, false),
        SQUARE(Tensor::square, v -> v * v, ANY, true),
        SIN(Tensor::sin, Math::sin, ANY, false),
        COS(Tensor::cos, Math::cos, ANY, false),
        TANH(Tensor::tanh, Math::tanh, ANY, false),
        ERF(Tensor::erf, ElementwiseConformance::erf, ANY, false),
        LOG1P(Tensor::log1p, Math::log1p, POSITIVE, false),
        EXPM1(Tensor::expm1, Math::expm1, ANY, false),
        SOFTPLUS(Tensor::softplus, v -> Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))), ANY, false),
        SIGMOID(Tensor::sigmoid, v -> 1 / (1 + Math.exp(-v)), ANY, false),
        RELU(Tensor::relu, v -> Math.max(v, 0), ANY, true),
        RECIPROCAL(Tensor::reciprocal, v -> 1 / v, NONZERO, false),
        FLOOR(Tensor::floor, Math::floor, ANY, false),
        CEIL(Tensor::ceil, Math::ceil, ANY, false),
        ROUND(Tensor::round, Math::rint, ANY, false),
        TAN(Tensor::tan, Math::tan, ANY, false),
        ATAN(Tensor::atan, Math::atan, ANY, false),
        // clip_by_value, a composite of minimum and maximum (integral bounds keep int tensors int)
        CLIP(x -> x.clip(-1, 2), v -> Math.max(Math.min(v, 2), -1), ANY, true);

        final UnaryOperator<Tensor> op;
        final DoubleUnaryOperator reference;
        final Domain domain;
        final boolean integers;

        Unary(UnaryOperator<Tensor> op, DoubleUnaryOperator reference, Domain domain, boolean integers) {
            this.op = op;
            this.reference = reference;
            this.domain = domain;
            this.integers = integers;
        }
    }

    /**
     * The reference erf: its Taylor series {@code 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))}, summed until the
     * terms vanish; exact to about 1e-13 relative on the suite's |x| <= 3 (the largest term is about 1e3).
     */
    static double erf(double x) {
        double term = x;
        double sum = 0;
        for (int n = 0; n < 200 && Math.abs(term) > 1e-300; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    public enum Binary {
        ADD(Tensor::add, (a, b) -> a + b, ANY, ANY, true),
        SUB(Tensor::sub, (a, b) -> a - b, ANY, ANY, true),
        MUL(Tensor::mul, (a, b) -> a * b, ANY, ANY, true),
        DIV(Tensor::div, (a, b) -> a / b, ANY, NONZERO, true),
        POW(Tensor::pow, Reference::pow, POSITIVE, SMALL_EXPONENT, false),
        MAXIMUM(Tensor::maximum, Math::max, ANY, ANY, true),
        MINIMUM(Tensor::minimum, Math::min, ANY, ANY, true),
        FLOOR_DIV(Tensor::floorDiv, (a, b) -> Math.floor(a / b), ANY, NONZERO, true),
        MOD(Tensor::mod, ElementwiseConformance::pythonMod, ANY, NONZERO, true),
        ATAN2(Tensor::atan2, Math::atan2, ANY, ANY, false);

        final BiFunction<Tensor, Tensor, Tensor> op;
        final DoubleBinaryOperator reference;
        final Domain left;
        final Domain right;
        final boolean integers;

        Binary(BiFunction<Tensor, Tensor, Tensor> op, DoubleBinaryOperator reference, Domain left, Domain right,
               boolean integers) {
            this.op = op;
            this.reference = reference;
            this.left = left;
            this.right = right;
            this.integers = integers;
        }

        /**
         * The reference in float64, except where float32 rounding decides an integer: float32 {@code floorDiv} is
         * {@code floor} of the float32 quotient, as TensorFlow computes it. Integer {@code div} is TensorFlow's true
         * division (a float64 result), so it needs no case of its own.
         */
        double expected(double a, double b, DType dtype) {
            if (this == FLOOR_DIV && dtype == DType.FLOAT32) {
                return Math.floor((float) a / (float) b);
            }
            return reference.applyAsDouble(a, b);
        }

        /** The result dtype: the operands', except {@code div} of int32 or int64, TensorFlow's float64 truediv. */
        public DType resultDtype(DType dtype) {
            return this == DIV && dtype.isIntegral() ? DType.FLOAT64 : dtype;
        }
    }

    /** CPython's float {@code x % y}: {@code fmod}, plus {@code y} where the signs differ; a zero takes y's sign. */
    static double pythonMod(double x, double y) {
        double mod = x % y;
        if (mod != 0) {
            return (y < 0) != (mod < 0) ? mod + y : mod;
        }
        return Math.copySign(0.0, y);
    }

    /** A comparison of two primitive doubles (a boxed BiPredicate would compare references with ==). */
    @FunctionalInterface
    public interface DoublePredicate2 {
        boolean test(double a, double b);
    }

    public enum Comparison {
        LESS(Tensor::less, (a, b) -> a < b),
        LESS_EQUAL(Tensor::lessEqual, (a, b) -> a <= b),
        GREATER(Tensor::greater, (a, b) -> a > b),
        GREATER_EQUAL(Tensor::greaterEqual, (a, b) -> a >= b),
        EQUAL(Tensor::equal, (a, b) -> a == b),
        NOT_EQUAL(Tensor::notEqual, (a, b) -> a != b);

        final BiFunction<Tensor, Tensor, Tensor> op;
        final DoublePredicate2 reference;

        Comparison(BiFunction<Tensor, Tensor, Tensor> op, DoublePredicate2 reference) {
            this.op = op;
            this.reference = reference;
        }
    }

    /**
     * The table ops the rows above do not test: the bool-only logical ops ({@link #logicalOpsMatchReference}) and
     * {@code where} (its own tests in the creation suite).
     */
    static final Set<Primitive> TESTED_ELSEWHERE = EnumSet.of(Primitive.LOGICAL_AND, Primitive.LOGICAL_OR,
            Primitive.LOGICAL_NOT, Primitive.WHERE);

    /** The reference row of table op {@code op}, or null when it is not in {@code rows}. */
    static <E extends Enum<E>> E row(Class<E> rows, Primitive op) {
        for (E row : rows.getEnumConstants()) {
            if (row.name().equals(op.name())) {
                return row;
            }
        }
        return null;
    }

    /**
     * The cases of one row enum: every table op it has a row for, on every dtype the table defines it for
     * (so a new table entry is tested as soon as it has a row), then the composite ops ({@code square},
     * {@code sigmoid}, ...: rows that are no primitive) on the dtypes their flag allows.
     */
    static <E extends Enum<E>> Stream<Arguments> cases(Class<E> rows, Predicate<E> integers) {
        List<Arguments> cases = new ArrayList<>();
        Set<E> fromTable = new HashSet<>();
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            E row = row(rows, definition.op());
            if (row == null) {
                continue;
            }
            fromTable.add(row);
            for (DType dtype : DType.values()) {
                if (definition.supports(dtype)) {
                    cases.add(Arguments.of(row, dtype));
                }
            }
        }
        for (E row : rows.getEnumConstants()) {
            if (!fromTable.contains(row)) {
                for (DType dtype : DType.values()) {
                    if (dtype.isFloating() || (dtype.isIntegral() && integers.test(row))) {
                        cases.add(Arguments.of(row, dtype));
                    }
                }
            }
        }
        return cases.stream();
    }

    public Stream<Arguments> unaryCases() {
        return cases(Unary.class, op -> op.integers);
    }

    public Stream<Arguments> binaryCases() {
        return cases(Binary.class, op -> op.integers);
    }

    public Stream<Arguments> comparisonCases() {
        return cases(Comparison.class, op -> true);
    }

    /** Every op of the table has a reference row here (or is named in {@link #TESTED_ELSEWHERE}). */
    @Test
    public void everyTableOpHasAReferenceRow() {
        List<String> missing = new ArrayList<>();
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            Primitive op = definition.op();
            if (row(Unary.class, op) == null && row(Binary.class, op) == null && row(Comparison.class, op) == null
                    && !TESTED_ELSEWHERE.contains(op)) {
                missing.add(op.opName());
            }
        }
        assertTrue(missing.isEmpty(), "table ops without a reference row in ElementwiseConformance: " + missing);
    }

    /** Core accepts an op on exactly the dtypes the table has a formula for, and rejects the others loudly. */
    @Test
    public void coreAcceptsExactlyTheDtypesOfTheTable() {
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            Unary op = row(Unary.class, definition.op());
            if (op == null) {
                continue;
            }
            for (DType dtype : DType.values()) {
                Tensor x = tensor(new double[] {1, 2, 3}, dtype, 3);
                checkAcceptance(definition.op(), dtype, () -> op.op.apply(x));
            }
        }
        for (Binary op : Binary.values()) {
            for (DType dtype : DType.values()) {
                Tensor x = tensor(new double[] {1, 2, 3}, dtype, 3);
                checkAcceptance(Primitive.valueOf(op.name()), dtype, () -> op.op.apply(x, x));
            }
        }
        for (Comparison op : Comparison.values()) {
            for (DType dtype : DType.values()) {
                Tensor x = tensor(new double[] {1, 2, 3}, dtype, 3);
                checkAcceptance(Primitive.valueOf(op.name()), dtype, () -> op.op.apply(x, x));
            }
        }
    }

    private static void checkAcceptance(Primitive op, DType dtype, java.util.function.Supplier<Tensor> call) {
        if (ElementwiseOps.of(op).supports(dtype)) {
            call.get();
        } else {
            IllegalArgumentException error = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, call::get, op.opName() + " on " + dtype + " must be rejected");
            assertTrue(error.getMessage().contains(dtype.toString().toLowerCase(java.util.Locale.ROOT))
                    || error.getMessage().contains(dtype.toString()), error.getMessage());
        }
    }

    // ---------------------------------------------------------------- unary

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unaryCases")
    public void unaryMatchesReferenceAtOddLengths(Unary op, DType dtype) {
        for (int n : ODD_LENGTHS) {
            double[] x = op.domain.draw(100 + n, n, dtype);
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = op.reference.applyAsDouble(x[i]);
            }
            Tensor result = op.op.apply(tensor(x, dtype, n));
            assertValues(op + " " + dtype + " n=" + n, result, dtype, new int[] {n}, expected);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unaryCases")
    public void unaryOnMatrixAndScalar(Unary op, DType dtype) {
        double[] x = op.domain.draw(7, 5 * 9, dtype);
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            expected[i] = op.reference.applyAsDouble(x[i]);
        }
        assertValues(op + " " + dtype + " (5, 9)", op.op.apply(tensor(x, dtype, 5, 9)), dtype, new int[] {5, 9},
                expected);
        Tensor scalar = tensor(new double[] {x[3]}, dtype);
        assertValues(op + " " + dtype + " scalar", op.op.apply(scalar), dtype, new int[0], new double[] {expected[3]});
    }

    @Test
    public void unaryOnSizeZero() {
        for (Unary op : Unary.values()) {
            for (DType dtype : FLOATS) {
                for (int[] dims : new int[][] {{0}, {3, 0}}) {
                    Tensor result = op.op.apply(tensor(new double[0], dtype, dims));
                    assertValues(op + " size 0", result, dtype, dims, new double[0]);
                }
            }
        }
    }

    @Test
    public void unaryOnStridedViewsMatchesContiguousCopies() {
        double[] data = Reference.uniform(11, 9 * 13, 0.1, 3, DType.FLOAT64);
        for (DType dtype : FLOATS) {
            double[] x = Reference.round(dtype, data);
            Tensor matrix = tensor(x, dtype, 9, 13);
            List<Tensor> views = List.of(
                    matrix.transpose(),                                      // (13, 9), strides (1, 13)
                    matrix.slice(new int[] {2, 3}, new int[] {5, 7}),        // offset, row stride 13
                    matrix.slice(1, 1, 12),                                  // columns 1..11
                    matrix.slice(0, 4, 5).broadcastTo(dev.quiver.Shape.of(6, 13)), // stride 0
                    matrix.transpose().slice(new int[] {3, 1}, new int[] {7, 8}));
            for (Tensor view : views) {
                double[] viewValues = hostValues(view, x, matrix);
                Tensor copy = tensor(viewValues, dtype, view.shape().dims());
                for (Unary op : Unary.values()) {
                    double[] expected = new double[viewValues.length];
                    for (int i = 0; i < expected.length; i++) {
                        expected[i] = op.reference.applyAsDouble(viewValues[i]);
                    }
                    String what = op + " " + dtype + " on view " + view.shape();
                    assertValues(what, op.op.apply(view), dtype, view.shape().dims(), expected);
                    Reference.assertSameTensor(what + " vs contiguous copy", op.op.apply(copy), op.op.apply(view));
                }
            }
        }
    }

    /**
     * The values of a view computed on the host from the base data (the suite does not trust the backend's copy
     * for the reference). Works for the views built in these tests by replaying their layout.
     */
    static double[] hostValues(Tensor view, double[] base, Tensor baseTensor) {
        dev.quiver.spi.StridedView layout = view.view();
        int[] dims = layout.shape();
        long[] strides = layout.strides();
        double[] out = new double[(int) view.size()];
        for (int flat = 0; flat < out.length; flat++) {
            int rest = flat;
            long index = layout.offset();
            for (int axis = dims.length - 1; axis >= 0; axis--) {
                int coordinate = rest % dims[axis];
                rest /= dims[axis];
                index += coordinate * strides[axis];
            }
            out[flat] = base[(int) index];
        }
        assertEquals(baseTensor.view().buffer(), layout.buffer(), "the view must share the base buffer");
        return out;
    }

    // ---------------------------------------------------------------- binary

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("binaryCases")
    public void binaryMatchesReferenceAtOddLengths(Binary op, DType dtype) {
        for (int n : ODD_LENGTHS) {
            double[] a = op.left.draw(200 + n, n, dtype);
            double[] b = op.right.draw(300 + n, n, dtype);
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = op.expected(a[i], b[i], dtype);
            }
            Tensor result = op.op.apply(tensor(a, dtype, n), tensor(b, dtype, n));
            assertValues(op + " " + dtype + " n=" + n, result, op.resultDtype(dtype), new int[] {n}, expected);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("binaryCases")
    public void binaryBroadcasts(Binary op, DType dtype) {
        int[][][] pairs = {
                {{4, 1}, {3}},
                {{3}, {4, 1}},
                {{2, 1, 5}, {3, 1}},
                {{}, {3, 4}},
                {{3, 4}, {}},
                {{1, 17}, {9, 1}},
                {{5, 1, 7}, {5, 3, 1}},
        };
        for (int[][] pair : pairs) {
            int[] dimsA = pair[0];
            int[] dimsB = pair[1];
            double[] a = op.left.draw(41, Reference.size(dimsA), dtype);
            double[] b = op.right.draw(43, Reference.size(dimsB), dtype);
            int[] out = Reference.broadcastDims(dimsA, dimsB);
            double[] expected = Reference.binary(a, dimsA, b, dimsB, (x, y) -> op.expected(x, y, dtype));
            Tensor result = op.op.apply(tensor(a, dtype, dimsA), tensor(b, dtype, dimsB));
            assertValues(op + " " + dtype + " " + java.util.Arrays.toString(dimsA) + " with "
                    + java.util.Arrays.toString(dimsB), result, op.resultDtype(dtype), out, expected);
        }
    }

    @Test
    public void binaryOnSizeZero() {
        for (Binary op : Binary.values()) {
            for (DType dtype : FLOATS) {
                Tensor empty = tensor(new double[0], dtype, 3, 0);
                assertValues(op + " (3, 0)", op.op.apply(empty, empty), dtype, new int[] {3, 0}, new double[0]);
                Tensor column = tensor(new double[] {1, 2, 3}, dtype, 3, 1);
                assertValues(op + " (3, 1) with (0,)", op.op.apply(column, tensor(new double[0], dtype, 0)), dtype,
                        new int[] {3, 0}, new double[0]);
                Tensor scalar = tensor(new double[] {2}, dtype);
                assertValues(op + " scalar with (0,)", op.op.apply(scalar, tensor(new double[0], dtype, 0)), dtype,
                        new int[] {0}, new double[0]);
            }
        }
    }

    @Test
    public void binaryOnStridedViewsMatchesContiguousCopies() {
        for (DType dtype : FLOATS) {
            double[] x = Reference.uniform(51, 11 * 7, 0.2, 3, dtype);
            double[] y = Reference.uniform(52, 7 * 11, 0.2, 3, dtype);
            Tensor a = tensor(x, dtype, 11, 7);
            Tensor b = tensor(y, dtype, 7, 11);
            Tensor aT = a.transpose();                                 // (7, 11) strided
            Tensor aSlice = a.slice(new int[] {1, 2}, new int[] {9, 4});  // (9, 4)
            Tensor bSlice = b.transpose().slice(new int[] {2, 3}, new int[] {9, 4});
            Tensor row = a.slice(0, 3, 4);                              // (1, 7)
            double[] aTValues = hostValues(aT, x, a);
            double[] aSliceValues = hostValues(aSlice, x, a);
            double[] bSliceValues = hostValues(bSlice, y, b);
            for (Binary op : Binary.values()) {
                String what = op + " " + dtype;
                // transposed with contiguous
                double[] expected = Reference.binary(aTValues, new int[] {7, 11}, y, new int[] {7, 11}, op.reference);
                Tensor onViews = op.op.apply(aT, b);
                assertValues(what + " transposed with dense", onViews, dtype, new int[] {7, 11}, expected);
                Tensor onCopies = op.op.apply(tensor(aTValues, dtype, 7, 11), b);
                Reference.assertSameTensor(what + " transposed vs copy", onCopies, onViews);
                // two slices with different strides
                expected = Reference.binary(aSliceValues, new int[] {9, 4}, bSliceValues, new int[] {9, 4},
                        op.reference);
                assertValues(what + " slice with transposed slice", op.op.apply(aSlice, bSlice), dtype,
                        new int[] {9, 4}, expected);
                // an explicit broadcast view (stride 0) with a transposed view
                Tensor wide = row.broadcastTo(dev.quiver.Shape.of(11, 7));
                double[] rowValues = hostValues(row, x, a);
                expected = Reference.binary(rowValues, new int[] {1, 7}, hostValues(b.transpose(), y, b),
                        new int[] {11, 7}, op.reference);
                assertValues(what + " broadcast view with transposed", op.op.apply(wide, b.transpose()), dtype,
                        new int[] {11, 7}, expected);
            }
        }
    }

    @Test
    public void largeTensorAddAndMul() {
        int n = 1 << 20;
        DType dtype = DType.FLOAT32;
        double[] a = Reference.uniform(61, n, -2, 2, dtype);
        double[] b = Reference.uniform(62, n, -2, 2, dtype);
        Tensor ta = tensor(a, dtype, n);
        Tensor tb = tensor(b, dtype, n);
        double[] sum = new double[n];
        double[] product = new double[n];
        for (int i = 0; i < n; i++) {
            sum[i] = a[i] + b[i];
            product[i] = a[i] * b[i];
        }
        assertValues("add 1<<20", ta.add(tb), dtype, new int[] {n}, sum);
        assertValues("mul 1<<20 as (1024, 1024)", ta.reshape(1024, 1024).mul(tb.reshape(1024, 1024)), dtype,
                new int[] {1024, 1024}, product);
    }

    // ---------------------------------------------------------------- mixed dtypes and Java numbers

    @Test
    public void dtypePromotionOfMixedOperands() {
        Tensor i32 = tensor(new double[] {1, -2, 3}, DType.INT32, 3);
        Tensor i64 = tensor(new double[] {10, 20, 30}, DType.INT64, 3);
        Tensor f32 = tensor(new double[] {0.5, 0.25, -1.5}, DType.FLOAT32, 3);
        Tensor f64 = tensor(new double[] {0.1, 0.2, 0.3}, DType.FLOAT64, 3);
        assertValues("int32 + int64", i32.add(i64), DType.INT64, new int[] {3}, new double[] {11, 18, 33});
        assertValues("int32 + float32", i32.add(f32), DType.FLOAT32, new int[] {3}, new double[] {1.5, -1.75, 1.5});
        assertValues("int64 * float32", i64.mul(f32), DType.FLOAT32, new int[] {3}, new double[] {5, 5, -45});
        assertValues("float32 + float64", f32.add(f64), DType.FLOAT64, new int[] {3},
                new double[] {0.5 + 0.1, 0.25 + 0.2, -1.5 + 0.3});
    }

    @Test
    public void javaNumbersAreWeaklyTyped() {
        Tensor i32 = tensor(new double[] {1, -2, 7}, DType.INT32, 3);
        assertValues("int32 * 2", i32.mul(2), DType.INT32, new int[] {3}, new double[] {2, -4, 14});
        assertValues("int32 + 0.5 promotes", i32.add(0.5), DType.FLOAT32, new int[] {3},
                new double[] {1.5, -1.5, 7.5});
        Tensor f64 = tensor(new double[] {0.1, 0.2}, DType.FLOAT64, 2);
        assertValues("float64 + 0.1 keeps float64", f64.add(0.1), DType.FLOAT64, new int[] {2},
                new double[] {0.1 + 0.1, 0.2 + 0.1});
        Tensor f32 = tensor(new double[] {1.5, -3}, DType.FLOAT32, 2);
        assertValues("float32 pow 2", f32.abs().pow(2), DType.FLOAT32, new int[] {2}, new double[] {2.25, 9});
        assertValues("float32 / 4", f32.div(4), DType.FLOAT32, new int[] {2}, new double[] {0.375, -0.75});
        assertValues("float32 maximum 0", f32.maximum(0), DType.FLOAT32, new int[] {2}, new double[] {1.5, 0});
        assertValues("float32 minimum 0", f32.minimum(0), DType.FLOAT32, new int[] {2}, new double[] {0, -3});
        assertValues("float32 - 1", f32.sub(1), DType.FLOAT32, new int[] {2}, new double[] {0.5, -4});
    }

    @Test
    public void javaNumberOutOfRangeForAnIntTensorIsNotSilentlyWrapped() {
        // TensorFlow refuses `tf.constant([1]) + 3_000_000_000` (the Python int does not fit int32); a silent
        // wrap-around to -2147483648 would be the one wrong answer
        Tensor i32 = Tensor.constant(new int[] {1});
        Tensor result;
        try {
            result = i32.add(3e9);
        } catch (IllegalArgumentException refused) {
            assertTrue(refused.getMessage().contains("add") || refused.getMessage().contains("int32"),
                    refused.getMessage());
            return;
        }
        assertEquals(3_000_000_001.0, result.toDoubleArray()[0], "int32 + 3e9 (dtype " + result.dtype() + ")");
    }

    /**
     * TensorFlow's integer division: {@code /} is true division with a float64 result, {@code //} and {@code %}
     * round down as Python does ({@code -7 // 2 = -4}, {@code -7 % 2 = 1}, {@code 7 % -2 = -1}).
     */
    @Test
    public void integerDivisionIsTrueDivisionAndFloorDivisionIsPythons() {
        for (DType dtype : Reference.INTS) {
            Tensor a = tensor(new double[] {7, -7, 1, -1}, dtype, 4);
            Tensor b = tensor(new double[] {2, 2, 3, 3}, dtype, 4);
            assertValues("div " + dtype, a.div(b), DType.FLOAT64, new int[] {4},
                    new double[] {3.5, -3.5, 1.0 / 3, -1.0 / 3});
            assertValues(dtype + ".div(2.0)", a.div(2.0), DType.FLOAT64, new int[] {4},
                    new double[] {3.5, -3.5, 0.5, -0.5});
            assertValues(dtype + ".div(2.5)", a.div(2.5), DType.FLOAT64, new int[] {4},
                    new double[] {2.8, -2.8, 0.4, -0.4});
            assertValues("2 / " + dtype, Tensor.scalar(2, dtype).div(b), DType.FLOAT64, new int[] {4},
                    new double[] {1, 1, 2.0 / 3, 2.0 / 3});
            // tf.math.reciprocal and reduce_mean keep int dtypes (truncating), unlike /
            assertValues("reciprocal " + dtype, a.reciprocal(), dtype, new int[] {4}, new double[] {0, 0, 1, -1});
            assertValues("mean " + dtype, a.mean(), dtype, new int[0], new double[] {0});
            // Python: [7 // 2, -7 // 2, 7 // -2, -7 // -2, 0 // 5, 1 // 3, -1 // 3] and the same with %
            Tensor x = tensor(new double[] {7, -7, 7, -7, 0, 1, -1}, dtype, 7);
            Tensor y = tensor(new double[] {2, 2, -2, -2, 5, 3, 3}, dtype, 7);
            assertValues("floorDiv " + dtype, x.floorDiv(y), dtype, new int[] {7},
                    new double[] {3, -4, -4, 3, 0, 0, -1});
            assertValues("mod " + dtype, x.mod(y), dtype, new int[] {7}, new double[] {1, 1, -1, -1, 0, 1, 2});
            assertValues(dtype + ".floorDiv(2)", x.floorDiv(2), dtype, new int[] {7},
                    new double[] {3, -4, 3, -4, 0, 0, -1});
            assertValues(dtype + ".mod(-3)", x.mod(-3), dtype, new int[] {7},
                    new double[] {-2, -1, -2, -1, 0, -2, -1});
        }
        // floats: Python's 7.5 // -2 = -4.0, 7.5 % -2 = -0.5, -7.5 % 2 = 0.5
        for (DType dtype : FLOATS) {
            Tensor x = tensor(new double[] {7.5, -7.5, 7.5, -7.5}, dtype, 4);
            Tensor y = tensor(new double[] {-2, 2, 2, -2}, dtype, 4);
            assertValues("floorDiv " + dtype, x.floorDiv(y), dtype, new int[] {4}, new double[] {-4, -4, 3, 3});
            assertValues("mod " + dtype, x.mod(y), dtype, new int[] {4}, new double[] {-0.5, 0.5, 1.5, -1.5});
        }
    }

    /** Rounding, tan, atan and atan2 at NaN, infinities and signed zeros, bit for bit as Java's Math. */
    @Test
    public void newOpsAtSpecialValuesFollowJava() {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        double[] x = {nan, inf, -inf, 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, -0.3, 1e300};
        for (DType dtype : FLOATS) {
            double[] input = Reference.round(dtype, x);
            Tensor t = tensor(input, dtype, x.length);
            assertBits("floor " + dtype, t.floor(), input, Math::floor);
            assertBits("ceil " + dtype, t.ceil(), input, Math::ceil);
            assertBits("round " + dtype, t.round(), input, Math::rint);
            double[] zerosAndNan = {0.0, -0.0, nan, inf, -inf};
            Tensor specialInput = tensor(zerosAndNan, dtype, 5);
            assertBits("tan " + dtype, specialInput.tan(), zerosAndNan, v -> Double.isInfinite(v) ? nan : v);
            assertBits("atan " + dtype, specialInput.atan(), zerosAndNan, v -> dtype == DType.FLOAT32
                    ? (float) StrictMath.atan(v) : StrictMath.atan(v));
            // atan2's table: every pair of {0, -0, inf, -inf, NaN, 1, -1}
            double[] specials = {0.0, -0.0, inf, -inf, nan, 1, -1};
            int n = specials.length;
            double[] ys = new double[n * n];
            double[] xs = new double[n * n];
            for (int i = 0; i < n * n; i++) {
                ys[i] = specials[i / n];
                xs[i] = specials[i % n];
            }
            double[] angles = tensor(ys, dtype, n * n).atan2(tensor(xs, dtype, n * n)).toDoubleArray();
            for (int i = 0; i < n * n; i++) {
                double expected = StrictMath.atan2(ys[i], xs[i]);
                expected = dtype == DType.FLOAT32 ? (float) expected : expected;
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(angles[i]),
                        "atan2(" + ys[i] + ", " + xs[i] + ") " + dtype + ": " + angles[i]);
            }
        }
    }

    private static void assertBits(String what, Tensor actual, double[] input, DoubleUnaryOperator reference) {
        double[] values = actual.toDoubleArray();
        for (int i = 0; i < input.length; i++) {
            double expected = reference.applyAsDouble(input[i]);
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(values[i]),
                    what + " at " + input[i] + ": expected " + expected + ", got " + values[i]);
        }
    }

    /** clip with tensor bounds broadcasts like minimum/maximum, and a Java-number clip keeps NaN. */
    @Test
    public void clipWithTensorBoundsBroadcastsAndKeepsNaN() {
        for (DType dtype : FLOATS) {
            Tensor x = tensor(new double[] {-3, -1, 0, 1, 3, 5}, dtype, 2, 3);
            Tensor low = tensor(new double[] {-2, 0, 1}, dtype, 3);
            Tensor high = tensor(new double[] {2}, dtype, 1);
            assertValues("clip (2, 3) by (3,) and (1,) " + dtype, x.clip(low, high), dtype, new int[] {2, 3},
                    new double[] {-2, 0, 1, 1, 2, 2});
            double[] clipped = tensor(new double[] {Double.NaN, -9}, dtype, 2).clip(-1, 1).toDoubleArray();
            assertTrue(Double.isNaN(clipped[0]) && clipped[1] == -1, java.util.Arrays.toString(clipped));
        }
    }

    // ---------------------------------------------------------------- comparisons and logic

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("comparisonCases")
    public void comparisonsMatchReference(Comparison op, DType dtype) {
        for (int n : ODD_LENGTHS) {
            // small integers so that ties (equal elements) occur often
            double[] a = Reference.integers(400 + n, n, -3, 3);
            double[] b = Reference.integers(500 + n, n, -3, 3);
            boolean[] expected = new boolean[n];
            for (int i = 0; i < n; i++) {
                expected[i] = op.reference.test(asDtype(a[i], dtype), asDtype(b[i], dtype));
            }
            assertBooleans(op + " " + dtype + " n=" + n, op.op.apply(tensor(a, dtype, n), tensor(b, dtype, n)),
                    new int[] {n}, expected);
        }
        // broadcast (4, 1) with (3,), and a transposed operand
        double[] a = Reference.integers(1, 4, -2, 2);
        double[] b = Reference.integers(2, 3, -2, 2);
        boolean[] expected = new boolean[12];
        for (int i = 0; i < 12; i++) {
            expected[i] = op.reference.test(asDtype(a[i / 3], dtype), asDtype(b[i % 3], dtype));
        }
        assertBooleans(op + " " + dtype + " (4, 1) with (3,)",
                op.op.apply(tensor(a, dtype, 4, 1), tensor(b, dtype, 3)), new int[] {4, 3}, expected);
        double[] m = Reference.integers(3, 12, -2, 2);
        double[] mT = Reference.permute(m, new int[] {3, 4}, new int[] {1, 0});
        double[] other = Reference.integers(4, 12, -2, 2);
        boolean[] expectedT = new boolean[12];
        for (int i = 0; i < 12; i++) {
            expectedT[i] = op.reference.test(asDtype(mT[i], dtype), asDtype(other[i], dtype));
        }
        assertBooleans(op + " " + dtype + " transposed", op.op.apply(tensor(m, dtype, 3, 4).transpose(),
                tensor(other, dtype, 4, 3)), new int[] {4, 3}, expectedT);
    }

    /** An integer as a bool tensor holds it (nonzero is true, compared as 1 > 0); numbers stay as they are. */
    static double asDtype(double value, DType dtype) {
        return dtype == DType.BOOL ? (value != 0 ? 1 : 0) : value;
    }

    @Test
    public void comparisonsWithMixedDtypesAndJavaNumbers() {
        Tensor i32 = tensor(new double[] {1, 2, 3}, DType.INT32, 3);
        Tensor f32 = tensor(new double[] {1.5, 2, 2.5}, DType.FLOAT32, 3);
        assertBooleans("int32 < float32", i32.less(f32), new int[] {3}, new boolean[] {true, false, false});
        assertBooleans("int32 == 2", i32.equal(2), new int[] {3}, new boolean[] {false, true, false});
        assertBooleans("int32 > 1.5", i32.greater(1.5), new int[] {3}, new boolean[] {false, true, true});
        assertBooleans("float32 >= 2", f32.greaterEqual(2), new int[] {3}, new boolean[] {false, true, true});
        assertBooleans("float32 <= 2", f32.lessEqual(2), new int[] {3}, new boolean[] {true, true, false});
        assertBooleans("float32 != 2", f32.notEqual(2), new int[] {3}, new boolean[] {true, false, true});
    }

    @Test
    public void logicalOpsMatchReference() {
        for (int n : ODD_LENGTHS) {
            boolean[] a = Reference.booleans(600 + n, n);
            boolean[] b = Reference.booleans(700 + n, n);
            boolean[] and = new boolean[n];
            boolean[] or = new boolean[n];
            boolean[] not = new boolean[n];
            for (int i = 0; i < n; i++) {
                and[i] = a[i] && b[i];
                or[i] = a[i] || b[i];
                not[i] = !a[i];
            }
            Tensor ta = Tensor.constant(a);
            Tensor tb = Tensor.constant(b);
            assertBooleans("and n=" + n, ta.logicalAnd(tb), new int[] {n}, and);
            assertBooleans("or n=" + n, ta.logicalOr(tb), new int[] {n}, or);
            assertBooleans("not n=" + n, ta.logicalNot(), new int[] {n}, not);
        }
        Tensor column = Tensor.constant(new boolean[][] {{true}, {false}});
        Tensor row = Tensor.constant(new boolean[] {true, false, true});
        assertBooleans("and broadcast", column.logicalAnd(row), new int[] {2, 3},
                new boolean[] {true, false, true, false, false, false});
        assertBooleans("or broadcast", column.logicalOr(row), new int[] {2, 3},
                new boolean[] {true, true, true, true, false, true});
        assertBooleans("not on transposed", Tensor.constant(new boolean[][] {{true, false, false}, {true, true, false}})
                .transpose().logicalNot(), new int[] {3, 2}, new boolean[] {false, false, true, false, true, true});
    }

    // ---------------------------------------------------------------- NaN

    @Test
    public void nanPropagates() {
        for (DType dtype : FLOATS) {
            for (int n : new int[] {1, 17, 1031}) {
                double[] x = Reference.uniform(800 + n, n, -2, 2, dtype);
                int[] nanAt = n == 1 ? new int[] {0} : new int[] {0, n / 2, n - 1};
                for (int i : nanAt) {
                    x[i] = Double.NaN;
                }
                double[] y = Reference.uniform(900 + n, n, -2, 2, dtype);
                Tensor tx = tensor(x, dtype, n);
                Tensor ty = tensor(y, dtype, n);
                double[] added = new double[n];
                double[] exp = new double[n];
                double[] max = new double[n];
                double[] min = new double[n];
                double[] relu = new double[n];
                for (int i = 0; i < n; i++) {
                    added[i] = x[i] + y[i];
                    relu[i] = Math.max(x[i], 0);   // NaN stays NaN (TensorFlow's nn_test: relu(nan) == nan)
                    exp[i] = Math.exp(x[i]);
                    max[i] = Math.max(x[i], y[i]);
                    min[i] = Math.min(x[i], y[i]);
                }
                String what = dtype + " n=" + n;
                assertValues("add NaN " + what, tx.add(ty), dtype, new int[] {n}, added);
                assertValues("exp NaN " + what, tx.exp(), dtype, new int[] {n}, exp);
                assertValues("relu NaN " + what, tx.relu(), dtype, new int[] {n}, relu);
                assertValues("maximum NaN first " + what, tx.maximum(ty), dtype, new int[] {n}, max);
                assertValues("maximum NaN second " + what, ty.maximum(tx), dtype, new int[] {n}, max);
                assertValues("minimum NaN first " + what, tx.minimum(ty), dtype, new int[] {n}, min);
                assertValues("minimum NaN second " + what, ty.minimum(tx), dtype, new int[] {n}, min);
                assertTrue(Double.isNaN(tx.sum().doubleValue()), "sum with NaN " + what);
                assertTrue(Double.isNaN(tx.max().doubleValue()), "max with NaN " + what);
                assertTrue(Double.isNaN(tx.min().doubleValue()), "min with NaN " + what);
                // a single NaN only in the tail of a SIMD loop
                double[] tail = Reference.uniform(1000 + n, n, -2, 2, dtype);
                tail[n - 1] = Double.NaN;
                assertTrue(Double.isNaN(tensor(tail, dtype, n).max().doubleValue()), "max, NaN last " + what);
                assertTrue(Double.isNaN(tensor(tail, dtype, n).sum().doubleValue()), "sum, NaN last " + what);
            }
        }
    }

    /** pow's special values are C99's (numpy's, TensorFlow's) on every backend: 1^NaN = 1^(+-inf) = 1, x^0 = 1. */
    @Test
    public void powSpecialValuesFollowC99() {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        double[] x = {1, 1, 1, -1, -1, nan, nan, inf, -1, 2, -2, 0.5, 0, -0.0};
        double[] y = {nan, inf, -inf, inf, -inf, 0, -0.0, 0, nan, inf, 0.5, -inf, -1, -3};
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            expected[i] = Reference.pow(x[i], y[i]);
        }
        for (DType dtype : FLOATS) {
            assertValues("pow special values " + dtype, tensor(x, dtype, x.length).pow(tensor(y, dtype, y.length)),
                    dtype, new int[] {x.length}, expected);
        }
    }

    @Test
    public void infinitiesFollowIeee() {
        for (DType dtype : FLOATS) {
            Tensor x = tensor(new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, -0.0, 1}, dtype, 5);
            assertValues("exp of inf " + dtype, x.exp(), dtype, new int[] {5},
                    new double[] {Double.POSITIVE_INFINITY, 0, 1, 1, Math.E});
            assertValues("1 / x " + dtype, x.reciprocal(), dtype, new int[] {5},
                    new double[] {0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1});
            assertValues("tanh of inf " + dtype, x.tanh(), dtype, new int[] {5}, new double[] {1, -1, 0, 0, Math.tanh(1)});
        }
    }
}
