package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.ErrorFunction;
import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Quiver's erf formula, compiled from its scalar Java rendering. There is no StrictMath.erf: float64 is measured
 * against a BigDecimal series ({@link HighPrecision#erf}), float32 against {@link HighPrecision#erfDouble} (a plain
 * double series / continued fraction, itself checked here against the BigDecimal series). The all-2^32 float32
 * sweep is {@link FullSweep} (on demand).
 */
class ErrorFunctionTest {
    private static final CompiledFormula.Float32Unary ERF32 =
            CompiledFormula.float32Unary(ErrorFunction.erf(Expr.input(0), DType.FLOAT32));
    private static final CompiledFormula.Float64Unary ERF64 =
            CompiledFormula.float64Unary(ErrorFunction.erf(Expr.input(0), DType.FLOAT64));

    @Test
    void specialValuesAndOddness() {
        assertTrue(Float.isNaN(ERF32.apply(Float.NaN)) && Double.isNaN(ERF64.apply(Double.NaN)));
        assertEquals(1f, ERF32.apply(Float.POSITIVE_INFINITY));
        assertEquals(-1f, ERF32.apply(Float.NEGATIVE_INFINITY));
        assertEquals(1.0, ERF64.apply(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, ERF64.apply(Double.NEGATIVE_INFINITY));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(ERF32.apply(-0f)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(ERF64.apply(-0.0)));
        assertEquals(0.0, ERF64.apply(0.0));
        // tiny x: 2/sqrt(pi) x rounded once, subnormals included
        double twoOverSqrtPi = 2 / Math.sqrt(Math.PI);
        for (float x : new float[] {1e-30f, 3e-39f, Float.MIN_VALUE * 7}) {
            assertEquals((float) (twoOverSqrtPi * x), ERF32.apply(x), "erf(" + x + ")");
        }
        assertEquals(1.0, ERF64.apply(5.95), "erf rounds to 1 from about 5.93");
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 10_000; i++) {
            double x = random.nextDouble(-8, 8);
            assertEquals(-ERF64.apply(x), ERF64.apply(-x));
            assertEquals(-ERF32.apply((float) x), ERF32.apply((float) -x));
        }
    }

    @Test
    void onlyFloatDtypesAreAccepted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ErrorFunction.erf(Expr.input(0), DType.INT64));
        assertTrue(e.getMessage().contains("erf") && e.getMessage().contains("int64"), e.getMessage());
    }

    /** The double reference of the float32 sweeps agrees with the BigDecimal series to 2^-40 relative. */
    @Test
    void theDoubleReferenceAgreesWithTheSeries() {
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 2000; i++) {
            double x = i % 2 == 0 ? random.nextDouble(-7, 7) : Math.scalb(random.nextDouble(), -random.nextInt(60));
            BigDecimal exact = HighPrecision.erf(x);
            double error = new BigDecimal(HighPrecision.erfDouble(x)).subtract(exact).abs().doubleValue();
            assertTrue(error <= 0x1p-40 * Math.abs(exact.doubleValue()), "erfDouble(" + x + ") off by " + error);
        }
    }

    /** Random float64 in [-6.5, 6.5], near the split at 1.5, and tiny: within 1 ulp of the BigDecimal series. */
    @Test
    void float64IsWithinOneUlp() {
        SplittableRandom random = new SplittableRandom(9);
        double[] sample = new double[2400];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = switch (i % 4) {
                case 0, 1 -> random.nextDouble(-6.5, 6.5);
                case 2 -> random.nextDouble(1.4, 1.6);
                default -> Math.scalb(random.nextDouble(), -random.nextInt(1000));
            };
        }
        UlpMeter.Worst worst = UlpMeter.worst(sample, x -> UlpReference.ulps64(ERF64.apply(x), HighPrecision.erf(x)));
        assertTrue(worst.ulps() <= 1.0, "erf float64: " + worst);
    }

    /** 2^20 float32 bit patterns spread over all 2^32: within 1 ulp. */
    @Test
    void float32IsWithinOneUlp() {
        for (UlpSweep.Stats stats : UlpSweep.float32("erf", ERF32, HighPrecision::erfDouble, 4096,
                UlpSweep.range("|x| < 1.5", -1.5, 1.5), UlpSweep.range("all", 0, Double.NaN))) {
            assertTrue(stats.maxUlps <= 1.0 && stats.count > 100_000, stats.toString());
        }
    }
}
