package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.Trigonometry;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Quiver's sin and cos formulas, compiled from their scalar Java rendering, against StrictMath (float32: the double
 * result, so 0.5 ulp is correctly rounded) and a BigDecimal reference (float64). The all-2^32 float32 sweep is
 * {@link FullSweep} (on demand).
 */
class TrigonometryTest {
    private static final CompiledFormula.Float32Unary SIN32 =
            CompiledFormula.float32Unary(Trigonometry.sin(Expr.input(0), DType.FLOAT32));
    private static final CompiledFormula.Float32Unary COS32 =
            CompiledFormula.float32Unary(Trigonometry.cos(Expr.input(0), DType.FLOAT32));
    private static final CompiledFormula.Float64Unary SIN64 =
            CompiledFormula.float64Unary(Trigonometry.sin(Expr.input(0), DType.FLOAT64));
    private static final CompiledFormula.Float64Unary COS64 =
            CompiledFormula.float64Unary(Trigonometry.cos(Expr.input(0), DType.FLOAT64));

    @Test
    void specialValuesFollowMath() {
        for (float x : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            assertTrue(Float.isNaN(SIN32.apply(x)) && Float.isNaN(COS32.apply(x)), "float32 at " + x);
            assertTrue(Double.isNaN(SIN64.apply(x)) && Double.isNaN(COS64.apply(x)), "float64 at " + x);
        }
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(SIN32.apply(-0f)));
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(SIN32.apply(0f)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(SIN64.apply(-0.0)));
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(SIN64.apply(0.0)));
        assertEquals(1f, COS32.apply(-0f));
        assertEquals(1.0, COS64.apply(0.0));
        assertEquals(Float.MIN_VALUE, SIN32.apply(Float.MIN_VALUE));
        assertEquals(-Double.MIN_VALUE, SIN64.apply(-Double.MIN_VALUE));
    }

    @Test
    void onlyFloatDtypesAreAccepted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trigonometry.cos(Expr.input(0), DType.INT32));
        assertTrue(e.getMessage().contains("cos") && e.getMessage().contains("int32"), e.getMessage());
    }

    /** 2^20 float32 bit patterns spread evenly over all 2^32 (about 60% of them within the limit): at most 1 ulp. */
    @Test
    void float32IsWithinOneUlpInTheReducedRange() {
        double limit = Trigonometry.reductionLimit(DType.FLOAT32);
        for (String name : new String[] {"sin", "cos"}) {
            UlpSweep.Stats stats = UlpSweep.float32(name, name.equals("sin") ? SIN32 : COS32,
                    name.equals("sin") ? StrictMath::sin : StrictMath::cos, 4096,
                    UlpSweep.range("reduced", -limit, limit)).get(0);
            assertTrue(stats.maxUlps <= 1.0 && stats.count > 500_000, stats.toString());
        }
    }

    /** Beyond the limit the result is not accurate, but it is finite and in [-1, 1] (no clamping overflow). */
    @Test
    void beyondTheLimitResultsStayFiniteAndInTheUnitInterval() {
        int from = Float.floatToRawIntBits((float) Trigonometry.reductionLimit(DType.FLOAT32));
        int to = Float.floatToRawIntBits(Float.MAX_VALUE);
        for (int bits = from; bits > 0 && bits <= to; bits += 997) {
            float x = Float.intBitsToFloat(bits);
            for (float y : new float[] {SIN32.apply(x), COS32.apply(-x)}) {
                assertTrue(Math.abs(y) <= 1f, "at " + x + ": " + y);
            }
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            double x = Math.scalb(1 + random.nextDouble(), random.nextInt(46, 1024));
            for (double y : new double[] {SIN64.apply(x), COS64.apply(-x)}) {
                assertTrue(Math.abs(y) <= 1.0, "at " + x + ": " + y);
            }
        }
    }

    /** Random float64, |x| in [2^-30, 2^46]: within 1 ulp of StrictMath (itself within 1 ulp) and of BigDecimal. */
    @Test
    void float64IsWithinOneUlp() {
        SplittableRandom random = new SplittableRandom(11);
        double[] sample = new double[200_000];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = Math.scalb(1 + random.nextDouble(), random.nextInt(-30, 46)) * (random.nextBoolean() ? 1 : -1);
        }
        UlpMeter.Worst sin = UlpMeter.worst(sample, x -> UlpReference.ulps64(SIN64.apply(x), StrictMath.sin(x)));
        UlpMeter.Worst cos = UlpMeter.worst(sample, x -> UlpReference.ulps64(COS64.apply(x), StrictMath.cos(x)));
        assertTrue(sin.ulps() <= 1.0, "sin vs StrictMath: " + sin);
        assertTrue(cos.ulps() <= 1.0, "cos vs StrictMath: " + cos);
        double[] small = java.util.Arrays.copyOf(sample, 2000);
        UlpMeter.Worst sinExact = UlpMeter.worst(small, x -> UlpReference.ulps64(SIN64.apply(x), HighPrecision.sin(x)));
        UlpMeter.Worst cosExact = UlpMeter.worst(small, x -> UlpReference.ulps64(COS64.apply(x), HighPrecision.cos(x)));
        assertTrue(sinExact.ulps() <= 1.0, "sin vs BigDecimal: " + sinExact);
        assertTrue(cosExact.ulps() <= 1.0, "cos vs BigDecimal: " + cosExact);
    }

    /** Near multiples of pi/2, where the reduced argument cancels: the float-float reduction keeps its digits. */
    @Test
    void float64NearMultiplesOfHalfPiKeepsItsDigits() {
        List<Double> near = new ArrayList<>();
        for (long k = 1; k < 1L << 40; k = k * 3 + 1) {
            double center = k * (Math.PI / 2);
            for (double x = Math.nextDown(Math.nextDown(center)), end = Math.nextUp(Math.nextUp(center)); x <= end;
                 x = Math.nextUp(x)) {
                near.add(x);
            }
        }
        double[] sample = near.stream().mapToDouble(Double::doubleValue).toArray();
        UlpMeter.Worst sin = UlpMeter.worst(sample, x -> UlpReference.ulps64(SIN64.apply(x), HighPrecision.sin(x)));
        UlpMeter.Worst cos = UlpMeter.worst(sample, x -> UlpReference.ulps64(COS64.apply(x), HighPrecision.cos(x)));
        assertTrue(sin.ulps() <= 1.0 && cos.ulps() <= 1.0, "sin " + sin + ", cos " + cos);
    }
}
