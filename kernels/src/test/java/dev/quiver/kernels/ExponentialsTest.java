package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.Exponentials;
import java.math.BigDecimal;
import java.util.List;
import java.util.SplittableRandom;
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

    private static CompiledFormula.Float32Unary f32(Function<DType, Expr> formula) {
        return CompiledFormula.float32Unary(formula.apply(DType.FLOAT32));
    }

    private static CompiledFormula.Float64Unary f64(Function<DType, Expr> formula) {
        return CompiledFormula.float64Unary(formula.apply(DType.FLOAT64));
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
     * within {@code exactBound} on every 64th input.
     */
    private static void assertRandom64(String name, CompiledFormula.Float64Unary f, DoubleUnaryOperator strict,
                                       Function<BigDecimal, BigDecimal> exact, double lo, double hi,
                                       double strictBound, double exactBound) {
        SplittableRandom random = new SplittableRandom(42);
        double worstStrict = 0;
        double worstExact = 0;
        for (int i = 0; i < 1 << 17; i++) {
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
            if (i % 64 == 0) {
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
        CompiledFormula.Float32Unary e32 = f32(d -> Exponentials.exp(X, d));
        CompiledFormula.Float64Unary e64 = f64(d -> Exponentials.exp(X, d));
        float[] xs = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f, 88.72283f,
            88.72284f, -87.33655f, -103.9720f, -103.9721f, -104f, 1e-30f, -1e-30f, Float.MIN_VALUE};
        for (float x : xs) {
            assertSame32((float) StrictMath.exp(x), e32.apply(x), "exp(" + x + ")");
        }
        double[] ds = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 1.0,
            709.782712893384, 709.7827128933841, -708.3964185322641, -745.1332191019411, -745.1332191019412,
            1e-300, Double.MIN_VALUE};
        for (double x : ds) {
            assertSame64(StrictMath.exp(x), e64.apply(x), "exp(" + x + ")");
        }
    }

    @Test
    void expIsWithinOneUlp() {
        assertSweep32("exp", f32(d -> Exponentials.exp(X, d)), StrictMath::exp, new double[] {1, 1},
                UlpSweep.range("normal results", -87.33654, 88.72283), UlpSweep.range("all", 0, Double.NaN));
        assertRandom64("exp", f64(d -> Exponentials.exp(X, d)), StrictMath::exp, UlpReference::exp, -746, 710, 1.5,
                1);
    }
}
