package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.Exponentials;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Exponentials' formulas, compiled from their scalar Java rendering (the CPU backend's twin): special values as
 * {@link Math} gives them, and ulp bounds on a float32 sample of 2^20 bit patterns spread over all of them (against
 * StrictMath in double, rounded once) and on random float64 inputs (against StrictMath, and against a 50-digit
 * BigDecimal reference on a smaller sample). The full float32 sweep is {@code ExponentialsSweep}.
 */
class ExponentialsTest {
    private static final long SAMPLE_STEP = 1L << 12;
    private static final Expr X = Expr.input(0);

    // each formula is compiled once (javac in memory takes a fraction of a second per formula)
    private static final Map<String, CompiledFormula.Float32Unary> UNARY32 = new ConcurrentHashMap<>();
    private static final Map<String, CompiledFormula.Float64Unary> UNARY64 = new ConcurrentHashMap<>();
    private static final Map<DType, Object> POW = new ConcurrentHashMap<>();

    static Expr unary(String function, DType dtype) {
        return switch (function) {
            case "exp" -> Exponentials.exp(X, dtype);
            case "expm1" -> Exponentials.expm1(X, dtype);
            case "log" -> Exponentials.log(X, dtype);
            case "log1p" -> Exponentials.log1p(X, dtype);
            case "tanh" -> Exponentials.tanh(X, dtype);
            default -> throw new IllegalArgumentException(function);
        };
    }

    static CompiledFormula.Float32Unary f32(String function) {
        return UNARY32.computeIfAbsent(function, n -> CompiledFormula.float32Unary(unary(n, DType.FLOAT32)));
    }

    static CompiledFormula.Float64Unary f64(String function) {
        return UNARY64.computeIfAbsent(function, n -> CompiledFormula.float64Unary(unary(n, DType.FLOAT64)));
    }

    static CompiledFormula.Float32Binary pow32() {
        return (CompiledFormula.Float32Binary) POW.computeIfAbsent(DType.FLOAT32, d -> CompiledFormula.float32Binary(
                Exponentials.pow(X, Expr.input(1), d)));
    }

    static CompiledFormula.Float64Binary pow64() {
        return (CompiledFormula.Float64Binary) POW.computeIfAbsent(DType.FLOAT64, d -> CompiledFormula.float64Binary(
                Exponentials.pow(X, Expr.input(1), d)));
    }

    private static void assertSame32(float expected, float actual, String what) {
        assertEquals(Float.floatToRawIntBits(expected) == Float.floatToRawIntBits(actual)
                || (Float.isNaN(expected) && Float.isNaN(actual)), true, what + ": expected " + expected
                + " got " + actual);
    }

    private static void assertSame64(double expected, double actual, String what) {
        assertEquals(Double.doubleToRawLongBits(expected) == Double.doubleToRawLongBits(actual)
                || (Double.isNaN(expected) && Double.isNaN(actual)), true, what + ": expected " + expected
                + " got " + actual);
    }

    /** Sampled float32 sweep: each range's largest error must stay within its bound. */
    private static void assertSweep32(String name, CompiledFormula.Float32Unary f, DoubleUnaryOperator ref,
                                      double[] bounds, UlpSweep.Range... ranges) {
        List<UlpSweep.Stats> stats = UlpSweep.float32(name, f, ref, SAMPLE_STEP, ranges);
        for (int i = 0; i < ranges.length; i++) {
            UlpSweep.Stats s = stats.get(i);
            assertTrue(s.count > 0, s.toString());
            assertTrue(s.maxUlps <= bounds[i], "over " + bounds[i] + " ulp: " + s);
        }
    }

    /**
     * Random float64 inputs in {@code [lo, hi]} (uniform, and with uniformly random exponents on the side of
     * zero when {@code logScale}): error against StrictMath within {@code strictBound}, and against BigDecimal
     * within {@code exactBound} on every 128th input.
     */
    private static void assertRandom64(String name, CompiledFormula.Float64Unary f, DoubleUnaryOperator strict,
                                       Function<BigDecimal, BigDecimal> exact, double lo, double hi,
                                       double strictBound, double exactBound) {
        SplittableRandom random = new SplittableRandom(42);
        double worstStrict = 0;
        double worstExact = 0;
        for (int i = 0; i < 1 << 16; i++) {
            double x = lo + (hi - lo) * random.nextDouble();
            if (i % 2 == 1) {   // small magnitudes: random exponent
                x = Math.copySign(Math.min(Math.max(Math.abs(lo), Math.abs(hi)), Math.scalb(1 + random.nextDouble(),
                        -random.nextInt(1, 60))), x);
                x = Math.min(Math.max(x, lo), hi);
            }
            double y = f.apply(x);
            double e = UlpReference.ulps64(y, strict.applyAsDouble(x));
            assertTrue(e <= strictBound, name + "(" + x + ") = " + y + ": " + e + " ulp from StrictMath");
            worstStrict = Math.max(worstStrict, e);
            if (i % 128 == 0) {
                double ex = UlpReference.ulps64(y, exact.apply(new BigDecimal(x)));
                assertTrue(ex <= exactBound, name + "(" + x + ") = " + y + ": " + ex + " ulp from exact");
                worstExact = Math.max(worstExact, ex);
            }
        }
        System.out.printf("%s float64 in [%g, %g]: max %.3f ulp vs StrictMath, %.3f ulp vs exact%n", name, lo, hi,
                worstStrict, worstExact);
    }

    @Test
    void everyFunctionRejectsANonFloatingDtypeByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Exponentials.exp(X, DType.INT32));
        assertTrue(e.getMessage().contains("exp") && e.getMessage().contains("int32"), e.getMessage());
    }

    @Test
    void expSpecialValuesMatchMath() {
        assertSpecials("exp", StrictMath::exp, NAN, INF, -INF, 0.0, -0.0, 1e-30, -1e-30,
                Double.MIN_VALUE, -Double.MIN_VALUE, 710, -746, 1e300, -1e300);
        // around the overflow and underflow thresholds: within an ulp, infinity and zero exactly where due
        CompiledFormula.Float32Unary e32 = f32("exp");
        CompiledFormula.Float64Unary e64 = f64("exp");
        float[] xs = {88.72283f, 88.72284f, -87.33655f, -103.9720f, -103.9721f, -103.2789f};
        for (float x : xs) {
            assertTrue(UlpReference.ulps32(e32.apply(x), StrictMath.exp(x)) <= 1, "exp(" + x + ")");
        }
        double[] ds = {709.782712893384, 709.7827128933841, -708.3964185322641, -745.1332191019411,
            -745.1332191019412, -744.44007192138};
        for (double x : ds) {
            assertTrue(UlpReference.ulps64(e64.apply(x), UlpReference.exp(new BigDecimal(x))) <= 1, "exp(" + x + ")");
        }
        assertSame64(Math.E, e64.apply(1), "exp(1)");
    }

    @Test
    void expIsWithinOneUlp() {
        assertSweep32("exp", f32("exp"), StrictMath::exp, new double[] {1, 1},
                UlpSweep.range("normal results", -87.33654, 88.72283), UlpSweep.range("all", 0, Double.NaN));
        assertRandom64("exp", f64("exp"), StrictMath::exp, UlpReference::exp, -746, 710, 1.5,
                1);
    }

    /** Inputs whose results are exact (NaN, infinities, zeros, -1, 1, x itself): bit for bit as StrictMath. */
    private static void assertSpecials(String function, DoubleUnaryOperator strict, double... xs) {
        CompiledFormula.Float32Unary g32 = f32(function);
        CompiledFormula.Float64Unary g64 = f64(function);
        for (double x : xs) {
            assertSame32((float) strict.applyAsDouble((float) x), g32.apply((float) x), "float32 f(" + x + ")");
            assertSame64(strict.applyAsDouble(x), g64.apply(x), "float64 f(" + x + ")");
        }
    }

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    @Test
    void logSpecialValuesMatchMath() {
        assertSpecials("log", StrictMath::log, NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0,
                -Double.MIN_VALUE, -1e-30);
        assertSpecials("log1p", StrictMath::log1p, NAN, INF, -INF, 0.0, -0.0, -1.0, -2.0,
                -1.0000001, 1e-30, -1e-30, 1e-300, Double.MIN_VALUE, -Double.MIN_VALUE);
        assertSame32(Float.MIN_VALUE, f32("log1p").apply(Float.MIN_VALUE), "log1p tiny");
    }

    @Test
    void expm1AndTanhSpecialValuesMatchMath() {
        assertSpecials("expm1", StrictMath::expm1, NAN, INF, -INF, 0.0, -0.0, 1e-30, -1e-30,
                Double.MIN_VALUE, -Double.MIN_VALUE, 1e-300, -100, -1000, 88.8, 710);
        assertSpecials("tanh", StrictMath::tanh, NAN, INF, -INF, 0.0, -0.0, 1e-30, -1e-30,
                Double.MIN_VALUE, -Double.MIN_VALUE, 1e-300, 20, -20, 1e300, -1e300);
    }

    @Test
    void logAndLog1pAreWithinOneUlp() {
        assertSweep32("log", f32("log"), StrictMath::log, new double[] {1},
                UlpSweep.range("all", 0, Double.NaN));
        assertSweep32("log1p", f32("log1p"), StrictMath::log1p, new double[] {1},
                UlpSweep.range("all", 0, Double.NaN));
        CompiledFormula.Float64Unary log = f64("log");
        assertRandom64("log", log, StrictMath::log, UlpReference::log, 0, Double.MAX_VALUE, 2, 1);
        assertRandom64("log", log, StrictMath::log, UlpReference::log, 0.5, 2, 2, 1);
        CompiledFormula.Float64Unary log1p = f64("log1p");
        assertRandom64("log1p", log1p, StrictMath::log1p, UlpReference::log1p, -1, 4, 2, 1);
        assertRandom64("log1p", log1p, StrictMath::log1p, UlpReference::log1p, -1, Double.MAX_VALUE, 2, 1);
    }

    @Test
    void expm1AndTanhAreWithinOneUlp() {
        assertSweep32("expm1", f32("expm1"), StrictMath::expm1, new double[] {1},
                UlpSweep.range("all", 0, Double.NaN));
        assertSweep32("tanh", f32("tanh"), StrictMath::tanh, new double[] {1},
                UlpSweep.range("all", 0, Double.NaN));
        CompiledFormula.Float64Unary expm1 = f64("expm1");
        assertRandom64("expm1", expm1, StrictMath::expm1, UlpReference::expm1, -50, 710, 2, 1);
        assertRandom64("expm1", expm1, StrictMath::expm1, UlpReference::expm1, -3, 3, 2, 1);
        CompiledFormula.Float64Unary tanh = f64("tanh");
        // StrictMath's tanh is itself up to 2 ulp off near 0.2-0.5
        assertRandom64("tanh", tanh, StrictMath::tanh, UlpReference::tanh, -25, 25, 3, 1);
        assertRandom64("tanh", tanh, StrictMath::tanh, UlpReference::tanh, -1, 1, 3, 1);
    }

    private static final double[] POW_X = {NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0,
        Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1e-30, -1e30};
    private static final double[] POW_Y = {NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5,
        1.5, -1.5, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1e30, -1e30};
    /** Odd and even integers at the top of each dtype's mantissa, where the parity test changes method. */
    private static final float[] POW_Y32 = {16777215f, -16777215f, 8388609f, 8388607.5f, 16777216f, 16777218f};
    private static final double[] POW_Y64 = {0x1p53 - 1, -(0x1p53 - 1), 0x1p52 + 1, 0x1p52 - 0.5, 0x1p53, 0x1p53 + 2};

    /**
     * Every pair of pow's special inputs (NaN, infinities, signed zeros, +-1, odd, even and non-integral
     * exponents, extremes): the same value as C99's pow ({@link UlpReference#powC99}), bit for bit where that is
     * NaN, an infinity or a zero.
     */
    @Test
    void powSpecialCasesFollowC99() {
        CompiledFormula.Float32Binary p32 = pow32();
        CompiledFormula.Float64Binary p64 = pow64();
        for (double x : POW_X) {
            for (double y : POW_Y) {
                float fx = (float) x;
                float fy = (float) y;
                checkPow32(p32, fx, fy);
                checkPow64(p64, x, y);
            }
            for (float y : POW_Y32) {
                checkPow32(p32, (float) x, y);
                checkPow32(p32, (float) x * 1.0000001f, y);
            }
            for (double y : POW_Y64) {
                checkPow64(p64, x, y);
                checkPow64(p64, x * (1 + 0x1p-52), y);
            }
        }
        // C99's rules that Java's Math.pow does not share (it says NaN): 1^y = 1 for every y, (-1)^(+-inf) = 1
        for (double y : new double[] {NAN, INF, -INF}) {
            assertEquals(1f, p32.apply(1f, (float) y), "float32 1^" + y);
            assertEquals(1.0, p64.apply(1.0, y), "float64 1^" + y);
        }
        for (double y : new double[] {INF, -INF}) {
            assertEquals(1f, p32.apply(-1f, (float) y), "float32 (-1)^" + y);
            assertEquals(1.0, p64.apply(-1.0, y), "float64 (-1)^" + y);
        }
        assertTrue(Double.isNaN(p64.apply(-1.0, NAN)), "(-1)^NaN stays NaN");
        // the rule C99 and Java share: x^(+-0) = 1 for every x, NaN too
        for (double x : POW_X) {
            for (double zero : new double[] {0.0, -0.0}) {
                assertEquals(1f, p32.apply((float) x, (float) zero), "float32 " + x + "^" + zero);
                assertEquals(1.0, p64.apply(x, zero), "float64 " + x + "^" + zero);
            }
        }
    }

    private static void checkPow32(CompiledFormula.Float32Binary p, float x, float y) {
        double ref = UlpReference.powC99(x, y);
        float got = p.apply(x, y);
        if (Double.isNaN(ref) || Double.isInfinite(ref) || ref == 0 || (float) ref == 0
                || Float.isInfinite((float) ref)) {
            assertSame32((float) ref, got, "pow(" + x + ", " + y + ")");
        } else {
            assertTrue(UlpReference.ulps32(got, ref) <= 1, "pow(" + x + ", " + y + ") = " + got + ", not " + ref);
        }
    }

    private static void checkPow64(CompiledFormula.Float64Binary p, double x, double y) {
        double ref = UlpReference.powC99(x, y);
        double got = p.apply(x, y);
        if (Double.isNaN(ref) || Double.isInfinite(ref) || ref == 0) {
            assertSame64(ref, got, "pow(" + x + ", " + y + ")");
        } else {
            assertTrue(UlpReference.ulps64(got, ref) <= 2, "pow(" + x + ", " + y + ") = " + got + ", not " + ref);
        }
    }

    /** Math.pow's promise: integral arguments with a representable result give it exactly. */
    @Test
    void powOfIntegersIsExactWhenRepresentable() {
        CompiledFormula.Float32Binary p32 = pow32();
        CompiledFormula.Float64Binary p64 = pow64();
        for (int base = -20; base <= 20; base++) {
            for (int e = -60; e <= 60; e++) {
                BigDecimal exact = e >= 0 ? BigDecimal.valueOf(base).pow(e) : base == 0 ? null
                        : BigDecimal.ONE.divide(BigDecimal.valueOf(base).pow(-e), java.math.MathContext.DECIMAL128);
                if (exact == null) {
                    continue;
                }
                double d = exact.doubleValue();
                if (Double.isFinite(d) && new BigDecimal(d).compareTo(exact) == 0) {
                    assertEquals(d, p64.apply(base, e), base + "^" + e);
                }
                float f = exact.floatValue();
                if (Float.isFinite(f) && new BigDecimal(f).compareTo(exact) == 0) {
                    assertEquals(f, p32.apply(base, e), base + "^" + e);
                }
            }
        }
        assertEquals(Double.MIN_VALUE, p64.apply(2, -1074));
        assertEquals(Float.MIN_VALUE, p32.apply(2, -149));
        assertEquals(3.0, p64.apply(9, 0.5));
        assertEquals(0.125f, p32.apply(0.25f, 1.5f));
    }

    /**
     * A random float32 pair whose power is finite: {@code y ln|x|} uniform in [-104, 89] (so subnormal results
     * too), {@code |x|} near 1 or anywhere, every 4th pair with negative {@code x} and integral {@code y}.
     */
    static float[] finitePowPair(SplittableRandom random, int i) {
        float x = (float) (random.nextBoolean() ? Math.exp(random.nextDouble(-87, 88)) : random.nextDouble(0.5, 2));
        float y = (float) (random.nextDouble(-104, 89) / Math.log(x));
        return i % 4 == 0 ? new float[] {-x, (float) Math.rint(y)} : new float[] {x, y};
    }

    @Test
    void powIsWithinOneUlp() {
        CompiledFormula.Float32Binary p32 = pow32();
        double worst = 0;
        // a 2^9 x 2^9 grid of bit patterns: every kind of pair, mostly overflow, underflow and NaN
        for (long i = 0; i < 1L << 32; i += 1L << 23) {
            for (long j = 0; j < 1L << 32; j += 1L << 23) {
                float x = Float.intBitsToFloat((int) (i + 12345));
                float y = Float.intBitsToFloat((int) (j + 54321));
                double e = UlpReference.ulps32(p32.apply(x, y), UlpReference.powC99(x, y));
                assertTrue(e <= 1, "pow(" + x + ", " + y + "): " + e + " ulp");
                worst = Math.max(worst, e);
            }
        }
        // finite results: y ln|x| uniform over the whole exponent range, a quarter with negative x and integral y
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 1 << 17; i++) {
            float[] pair = finitePowPair(random, i);
            float x = pair[0];
            float y = pair[1];
            double e = UlpReference.ulps32(p32.apply(x, y), UlpReference.powC99(x, y));
            assertTrue(e <= 1, "pow(" + x + ", " + y + "): " + e + " ulp");
            worst = Math.max(worst, e);
        }
        System.out.printf("pow float32: max %.3f ulp%n", worst);
        CompiledFormula.Float64Binary p64 = pow64();
        double worstStrict = 0;
        double worstExact = 0;
        for (int i = 0; i < 1 << 15; i++) {
            double x = random.nextBoolean() ? Math.exp(random.nextDouble(-700, 700)) : random.nextDouble(0.5, 2);
            double y = random.nextDouble(-745, 709) / Math.log(x);
            if (i % 4 == 0) {
                x = -x;
                y = Math.rint(y);
            }
            double got = p64.apply(x, y);
            double e = UlpReference.ulps64(got, UlpReference.powC99(x, y));
            assertTrue(e <= 2, "pow(" + x + ", " + y + ") = " + got + ": " + e + " ulp from StrictMath");
            worstStrict = Math.max(worstStrict, e);
            if (i % 64 == 0) {
                double ex = UlpReference.ulps64(got, UlpReference.pow(x, y));
                assertTrue(ex <= 1, "pow(" + x + ", " + y + ") = " + got + ": " + ex + " ulp from exact");
                worstExact = Math.max(worstExact, ex);
            }
        }
        System.out.printf("pow float64: max %.3f ulp vs StrictMath, %.3f ulp vs exact%n", worstStrict, worstExact);
    }
}
