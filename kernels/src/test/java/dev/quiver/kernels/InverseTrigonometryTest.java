package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.InverseTrigonometry;
import dev.quiver.spi.formulas.Trigonometry;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Quiver's tan, atan and atan2 formulas, compiled from their scalar Java rendering, against StrictMath (float32:
 * the double result, so 0.5 ulp is correctly rounded) and BigDecimal ({@link HighPrecision}, float64). The
 * all-2^32 float32 sweep of tan and atan is {@link FullSweep} (on demand); the figures measured here print.
 */
class InverseTrigonometryTest {
    private static final Expr X = Expr.input(0);
    private static final Expr Y = Expr.input(1);
    private static final CompiledFormula.Float32Unary TAN32 =
            CompiledFormula.float32Unary(Trigonometry.tan(X, DType.FLOAT32));
    private static final CompiledFormula.Float64Unary TAN64 =
            CompiledFormula.float64Unary(Trigonometry.tan(X, DType.FLOAT64));
    private static final CompiledFormula.Float32Unary ATAN32 =
            CompiledFormula.float32Unary(InverseTrigonometry.atan(X, DType.FLOAT32));
    private static final CompiledFormula.Float64Unary ATAN64 =
            CompiledFormula.float64Unary(InverseTrigonometry.atan(X, DType.FLOAT64));
    // atan2(input 0, input 1) = atan2(y, x)
    private static final CompiledFormula.Float32Binary ATAN2_32 =
            CompiledFormula.float32Binary(InverseTrigonometry.atan2(X, Y, DType.FLOAT32));
    private static final CompiledFormula.Float64Binary ATAN2_64 =
            CompiledFormula.float64Binary(InverseTrigonometry.atan2(X, Y, DType.FLOAT64));

    /** Every 1031st float32 bit pattern (4.2 million, both signs, all magnitudes) up to the reduction limit. */
    @Test
    void float32TanIsWithinOneUlpInTheReducedRange() {
        double limit = Trigonometry.reductionLimit(DType.FLOAT32);
        UlpSweep.Stats stats = UlpSweep.float32("tan", TAN32, StrictMath::tan, 1031,
                UlpSweep.range("reduced", -limit, limit)).get(0);
        System.out.println("tan float32 " + stats);
        assertTrue(stats.maxUlps <= 1.0 && stats.count > 2_000_000, stats.toString());
    }

    @Test
    void float32AtanIsWithinOneUlpEverywhere() {
        UlpSweep.Stats stats = UlpSweep.float32("atan", ATAN32, StrictMath::atan, 1031,
                UlpSweep.range("all", 0, Double.NaN)).get(0);
        System.out.println("atan float32 " + stats);
        assertTrue(stats.maxUlps <= 1.0 && stats.count > 4_000_000, stats.toString());
    }

    /** 2 million random pairs, magnitudes 2^-60 to 2^60 and both signs, against StrictMath.atan2 in double. */
    @Test
    void float32Atan2IsWithinOneUlp() {
        SplittableRandom random = new SplittableRandom(5);
        double worst = 0;
        float worstY = 0;
        float worstX = 0;
        for (int i = 0; i < 2_000_000; i++) {
            float y = randomFloat(random, i % 4 == 0 ? 3 : 60);
            float x = randomFloat(random, i % 4 == 0 ? 3 : 60);
            double ulps = UlpReference.ulps32(ATAN2_32.apply(y, x), StrictMath.atan2(y, x));
            if (ulps > worst) {
                worst = ulps;
                worstY = y;
                worstX = x;
            }
        }
        System.out.println("atan2 float32: max " + worst + " ulp at (" + worstY + ", " + worstX + ")");
        assertTrue(worst <= 1.0, "atan2 float32 max " + worst + " ulp at (" + worstY + ", " + worstX + ")");
    }

    private static float randomFloat(SplittableRandom random, int exponents) {
        return (float) (Math.scalb(1 + random.nextDouble(), random.nextInt(-exponents, exponents))
                * (random.nextBoolean() ? 1 : -1));
    }

    private static double randomDouble(SplittableRandom random, int from, int to) {
        return Math.scalb(1 + random.nextDouble(), random.nextInt(from, to)) * (random.nextBoolean() ? 1 : -1);
    }

    @Test
    void float64TanIsWithinOneUlp() {
        SplittableRandom random = new SplittableRandom(13);
        double[] sample = new double[100_000];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = randomDouble(random, -30, 46);
        }
        UlpMeter.Worst strict = UlpMeter.worst(sample, x -> UlpReference.ulps64(TAN64.apply(x), StrictMath.tan(x)));
        double[] small = java.util.Arrays.copyOf(sample, 1500);
        UlpMeter.Worst exact = UlpMeter.worst(small, x -> UlpReference.ulps64(TAN64.apply(x), HighPrecision.tan(x)));
        System.out.println("tan float64 vs StrictMath " + strict + ", vs BigDecimal " + exact);
        assertTrue(strict.ulps() <= 1.0, "tan vs StrictMath: " + strict);
        assertTrue(exact.ulps() <= 1.0, "tan vs BigDecimal: " + exact);
    }

    @Test
    void float64AtanAndAtan2AreWithinOneUlp() {
        SplittableRandom random = new SplittableRandom(17);
        double[] sample = new double[100_000];
        double[] other = new double[sample.length];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = randomDouble(random, i % 2 == 0 ? -3 : -40, i % 2 == 0 ? 3 : 80);
            other[i] = randomDouble(random, i % 2 == 0 ? -3 : -40, i % 2 == 0 ? 3 : 80);
        }
        UlpMeter.Worst atan = UlpMeter.worst(sample, x -> UlpReference.ulps64(ATAN64.apply(x), StrictMath.atan(x)));
        double[] index = new double[sample.length];
        for (int i = 0; i < index.length; i++) {
            index[i] = i;
        }
        UlpMeter.Worst atan2 = UlpMeter.worst(index, i -> UlpReference.ulps64(
                ATAN2_64.apply(sample[(int) i], other[(int) i]), StrictMath.atan2(sample[(int) i], other[(int) i])));
        double[] small = java.util.Arrays.copyOf(sample, 1500);
        UlpMeter.Worst atanExact = UlpMeter.worst(small, x -> UlpReference.ulps64(ATAN64.apply(x),
                HighPrecision.atan(new java.math.BigDecimal(x))));
        double[] smallIndex = java.util.Arrays.copyOf(index, 1500);
        UlpMeter.Worst atan2Exact = UlpMeter.worst(smallIndex, i -> UlpReference.ulps64(
                ATAN2_64.apply(sample[(int) i], other[(int) i]), HighPrecision.atan2(sample[(int) i], other[(int) i])));
        System.out.println("atan float64 vs StrictMath " + atan + ", vs BigDecimal " + atanExact
                + "; atan2 vs StrictMath " + atan2 + ", vs BigDecimal " + atan2Exact + " (at: sample index)");
        assertTrue(atan.ulps() <= 1.0 && atan2.ulps() <= 1.0, "atan " + atan + ", atan2 " + atan2);
        assertTrue(atanExact.ulps() <= 1.0 && atan2Exact.ulps() <= 1.0, "atan " + atanExact + ", atan2 " + atan2Exact);
    }

    /** Zeros, infinities and NaN follow StrictMath bit for bit (C99's atan2 table), in both dtypes. */
    @Test
    void specialValuesFollowStrictMath() {
        double[] specials = {0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1, -1, 3.5,
                -1e-30, 1e30};
        for (double y : specials) {
            assertSame("atan(" + y + ")", StrictMath.atan(y), ATAN64.apply(y));
            assertSame("atan float32(" + y + ")", (float) StrictMath.atan((float) y), ATAN32.apply((float) y));
            if (y == 0 || Double.isNaN(y)) {
                assertSame("tan(" + y + ")", StrictMath.tan(y), TAN64.apply(y));
                assertSame("tan float32(" + y + ")", (float) StrictMath.tan((float) y), TAN32.apply((float) y));
            }
            for (double x : specials) {
                if (Double.isFinite(y) && Double.isFinite(x) && y != 0 && x != 0) {
                    continue;   // the sampled tests measure finite nonzero pairs (a StrictMath ulp may differ)
                }
                assertSame("atan2(" + y + ", " + x + ")", StrictMath.atan2(y, x), ATAN2_64.apply(y, x));
                assertSame("atan2 float32(" + y + ", " + x + ")", (float) StrictMath.atan2((float) y, (float) x),
                        ATAN2_32.apply((float) y, (float) x));
            }
        }
        assertTrue(Double.isNaN(TAN64.apply(Double.POSITIVE_INFINITY)) && Float.isNaN(TAN32.apply(Float.NEGATIVE_INFINITY)));
    }

    private static void assertSame(String what, double expected, double actual) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(actual), what + ": " + actual);
        } else {
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                    what + ": expected " + expected + ", got " + actual);
        }
    }
}
