package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.Rounding;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The rounding formulas, compiled from their scalar Java rendering, bit for bit against Java: round = Math.rint,
 * floor, ceil; integer floorDiv/floorMod = Math.floorDiv/floorMod (Python's // and %); float floorMod = Python's
 * {@code x % y} ({@code fmod}, then {@code + y} where the signs differ, a zero with the divisor's sign).
 */
class RoundingTest {
    private static final Expr X = Expr.input(0);
    private static final Expr Y = Expr.input(1);

    @Test
    void float32RoundFloorCeilMatchJavaOnOneBitPatternIn4099() {
        CompiledFormula.Float32Unary round = CompiledFormula.float32Unary(Rounding.round(X, DType.FLOAT32));
        CompiledFormula.Float32Unary floor = CompiledFormula.float32Unary(Rounding.floor(X, DType.FLOAT32));
        CompiledFormula.Float32Unary ceil = CompiledFormula.float32Unary(Rounding.ceil(X, DType.FLOAT32));
        long checked = 0;
        for (long bits = 0; bits < (1L << 32); bits += 4099) {
            float x = Float.intBitsToFloat((int) bits);
            assertSame32("round", x, (float) Math.rint(x), round.apply(x));
            assertSame32("floor", x, (float) Math.floor(x), floor.apply(x));
            assertSame32("ceil", x, (float) Math.ceil(x), ceil.apply(x));
            checked++;
        }
        float[] edges = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 0x1p23f - 0.5f, 0x1p23f + 1, -0x1p22f - 0.5f, -0f, 0f,
                Float.MIN_VALUE, -Float.MIN_VALUE, 0.49999997f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (float x : edges) {
            assertSame32("round", x, (float) Math.rint(x), round.apply(x));
            assertSame32("floor", x, (float) Math.floor(x), floor.apply(x));
            assertSame32("ceil", x, (float) Math.ceil(x), ceil.apply(x));
        }
        assertTrue(Float.isNaN(round.apply(Float.NaN)) && Float.isNaN(floor.apply(Float.NaN))
                && Float.isNaN(ceil.apply(Float.NaN)));
        assertTrue(checked > 1_000_000);
    }

    @Test
    void float64RoundFloorCeilMatchJava() {
        CompiledFormula.Float64Unary round = CompiledFormula.float64Unary(Rounding.round(X, DType.FLOAT64));
        CompiledFormula.Float64Unary floor = CompiledFormula.float64Unary(Rounding.floor(X, DType.FLOAT64));
        CompiledFormula.Float64Unary ceil = CompiledFormula.float64Unary(Rounding.ceil(X, DType.FLOAT64));
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            double x = i % 3 == 0 ? random.nextInt(-1000, 1000) * 0.5
                    : Math.scalb(1 + random.nextDouble(), random.nextInt(-10, 60)) * (random.nextBoolean() ? 1 : -1);
            assertSame64("round", x, Math.rint(x), round.apply(x));
            assertSame64("floor", x, Math.floor(x), floor.apply(x));
            assertSame64("ceil", x, Math.ceil(x), ceil.apply(x));
        }
        for (double x : new double[] {-0.0, 0.0, 0x1p52 - 0.5, 0x1p52 + 1, -0x1p51 - 0.5, Double.MIN_VALUE,
                -0.49999999999999994, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MAX_VALUE}) {
            assertSame64("round", x, Math.rint(x), round.apply(x));
            assertSame64("floor", x, Math.floor(x), floor.apply(x));
            assertSame64("ceil", x, Math.ceil(x), ceil.apply(x));
        }
    }

    /** Integer // and % against Math.floorDiv and Math.floorMod (Python's semantics), extremes included. */
    @Test
    void integerFloorDivAndModArePythons() {
        CompiledFormula.Int32Binary div32 = CompiledFormula.int32Binary(Rounding.floorDiv(X, Y, DType.INT32));
        CompiledFormula.Int32Binary mod32 = CompiledFormula.int32Binary(Rounding.floorMod(X, Y, DType.INT32));
        CompiledFormula.Int64Binary div64 = CompiledFormula.int64Binary(Rounding.floorDiv(X, Y, DType.INT64));
        CompiledFormula.Int64Binary mod64 = CompiledFormula.int64Binary(Rounding.floorMod(X, Y, DType.INT64));
        int[] edges = {7, -7, 1, -1, 2, -2, 3, -3, 0, Integer.MIN_VALUE, Integer.MAX_VALUE, 6, -6};
        for (int a : edges) {
            for (int b : edges) {
                if (b == 0) {
                    continue;
                }
                assertEquals(Math.floorDiv(a, b), div32.apply(a, b), a + " // " + b);
                assertEquals(Math.floorMod(a, b), mod32.apply(a, b), a + " % " + b);
                assertEquals(Math.floorDiv((long) a, b), div64.apply(a, b), a + " // " + b + " int64");
                assertEquals(Math.floorMod((long) a, b), mod64.apply(a, b), a + " % " + b + " int64");
            }
        }
        assertEquals(Math.floorDiv(Long.MIN_VALUE, -1L), div64.apply(Long.MIN_VALUE, -1));
        assertEquals(0, mod64.apply(Long.MIN_VALUE, -1));
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 100_000; i++) {
            int a = random.nextInt();
            int b = i % 2 == 0 ? random.nextInt(-20, 20) : random.nextInt();
            if (b != 0) {
                assertEquals(Math.floorDiv(a, b), div32.apply(a, b), a + " // " + b);
                assertEquals(Math.floorMod(a, b), mod32.apply(a, b), a + " % " + b);
            }
        }
        // the zero divisor is Expr's integer DIV error (the backends name the op)
        assertThrows(ArithmeticException.class, () -> div32.apply(1, 0));
        assertThrows(ArithmeticException.class, () -> mod64.apply(1, 0));
    }

    /** Float % is Python's for |x / y| < 2^p; floorDiv is TensorFlow's floor(x / y). */
    @Test
    void floatModIsPythonsAndFloorDivIsFloorOfTheQuotient() {
        CompiledFormula.Float64Binary mod64 = CompiledFormula.float64Binary(Rounding.floorMod(X, Y, DType.FLOAT64));
        CompiledFormula.Float32Binary mod32 = CompiledFormula.float32Binary(Rounding.floorMod(X, Y, DType.FLOAT32));
        CompiledFormula.Float64Binary div64 = CompiledFormula.float64Binary(Rounding.floorDiv(X, Y, DType.FLOAT64));
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            double y = Math.scalb(1 + random.nextDouble(), random.nextInt(-20, 20)) * (random.nextBoolean() ? 1 : -1);
            // |x / y| below 2^20 (float32) or 2^45 (float64)
            double x = y * Math.scalb(random.nextDouble(), random.nextInt(-30, i % 2 == 0 ? 20 : 45))
                    * (random.nextBoolean() ? 1 : -1);
            assertSame64("mod", x, y, pythonMod(x, y), mod64.apply(x, y));
            assertSame64("floorDiv", x, y, Math.floor(x / y), div64.apply(x, y));
            if (i % 2 == 0) {
                float xf = (float) x;
                float yf = (float) y;
                assertSame64("mod float32", xf, yf, pythonMod(xf, yf), mod32.apply(xf, yf));
            }
        }
        double inf = Double.POSITIVE_INFINITY;
        double[][] cases = {{7, 2}, {-7, 2}, {7, -2}, {-7, -2}, {6, 3}, {-6, 3}, {0, -3}, {-0.0, 3}, {5, inf},
                {-5, inf}, {5, -inf}, {0, -inf}, {-1e-30, 1}, {1, 0}, {inf, 2}, {-inf, -2}, {inf, inf}, {Double.NaN, 1}};
        for (double[] c : cases) {
            assertSame64("mod", c[0], c[1], pythonMod(c[0], c[1]), mod64.apply(c[0], c[1]));
            assertSame64("mod float32", c[0], c[1], pythonMod((float) c[0], (float) c[1]),
                    mod32.apply((float) c[0], (float) c[1]));
        }
    }

    /** CPython's float_rem: fmod, then the divisor added where the signs differ; a zero takes y's sign. */
    static double pythonMod(double x, double y) {
        if (y == 0) {
            return Double.NaN;   // Python raises ZeroDivisionError; TensorFlow and Quiver give NaN
        }
        double mod = x % y;
        if (mod != 0) {
            if ((y < 0) != (mod < 0)) {
                mod += y;
            }
        } else {
            mod = Math.copySign(0.0, y);
        }
        return mod;
    }

    /** The same in float32 arithmetic (fmod is exact, the addition rounds to float). */
    static float pythonMod(float x, float y) {
        if (y == 0) {
            return Float.NaN;
        }
        float mod = x % y;
        if (mod != 0) {
            if ((y < 0) != (mod < 0)) {
                mod += y;
            }
        } else {
            mod = Math.copySign(0f, y);
        }
        return mod;
    }

    private static void assertSame32(String what, float x, float expected, float actual) {
        if (Float.isNaN(expected)) {   // NaN payloads are not compared (Java does not promise them)
            assertTrue(Float.isNaN(actual), what + "(" + x + "): expected NaN, got " + actual);
            return;
        }
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                what + "(" + x + "): expected " + expected + ", got " + actual);
    }

    private static void assertSame64(String what, double x, double expected, double actual) {
        assertSame64(what, x, Double.NaN, expected, actual);
    }

    private static void assertSame64(String what, double x, double y, double expected, double actual) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(actual), what + "(" + x + ", " + y + "): expected NaN, got " + actual);
            return;
        }
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                what + "(" + x + ", " + y + "): expected " + expected + ", got " + actual);
    }
}
