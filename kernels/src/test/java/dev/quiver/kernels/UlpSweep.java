package dev.quiver.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * Test helper: sweeps a float32 formula over bit patterns and collects, per named input range, the largest
 * error in ulps (against a double reference), where it occurs, and how many results are not correctly rounded.
 *
 * <pre>{@code
 * List<UlpSweep.Stats> rows = UlpSweep.float32("exp", exp::apply, StrictMath::exp, 4096,
 *         UlpSweep.range("main", -87, 88), UlpSweep.range("all", Float.NEGATIVE_INFINITY, Float.NaN));
 * }</pre>
 */
final class UlpSweep {
    private UlpSweep() {
    }

    /** Inputs {@code lo <= x <= hi} ({@code NaN} hi: every input, NaN too, that no earlier range took). */
    record Range(String name, double lo, double hi) {
        boolean contains(float x) {
            return Double.isNaN(hi) || (x >= lo && x <= hi);
        }
    }

    static Range range(String name, double lo, double hi) {
        return new Range(name, lo, hi);
    }

    /** The result of one range: inputs seen, largest error, its input, and results not correctly rounded. */
    static final class Stats {
        final String function;
        final Range range;
        long count;
        double maxUlps;
        float worst = Float.NaN;
        long notCorrectlyRounded;

        Stats(String function, Range range) {
            this.function = function;
            this.range = range;
        }

        void add(float x, double ulps, boolean correctlyRounded) {
            count++;
            if (count == 1 || ulps > maxUlps) {
                maxUlps = ulps;
                worst = x;
            }
            if (!correctlyRounded) {
                notCorrectlyRounded++;
            }
        }

        @Override
        public String toString() {
            return String.format("| %-6s | %-28s | %12d | %8.4f | %-16s | %10d |", function, range.name
                    + (Double.isNaN(range.hi) ? "" : " [" + (float) range.lo + ", " + (float) range.hi + "]"),
                    count, maxUlps, Float.toString(worst), notCorrectlyRounded);
        }
    }

    /** Markdown header for {@link Stats#toString()} rows. */
    static String header() {
        return "| fn     | range                        |       inputs |  max ulp | at               | > 0.5 ulp  |\n"
                + "|---|---|---|---|---|---|";
    }

    /**
     * Every {@code step}-th float32 bit pattern (step 1: all 2^32), plus pattern offset {@code step / 2} shifted
     * so that neighbours of round numbers are hit too; each input goes to the first range containing it.
     */
    static List<Stats> float32(String function, CompiledFormula.Float32Unary f, DoubleUnaryOperator reference,
                               long step, Range... ranges) {
        List<Stats> stats = new ArrayList<>();
        for (Range r : ranges) {
            stats.add(new Stats(function, r));
        }
        for (long bits = 0; bits < (1L << 32); bits += step) {
            float x = Float.intBitsToFloat((int) bits);
            float y = f.apply(x);
            double ref = reference.applyAsDouble(x);
            double ulps = UlpReference.ulps32(y, ref);
            boolean exact = Float.floatToRawIntBits(y) == Float.floatToRawIntBits((float) ref)
                    || (Float.isNaN(y) && Double.isNaN(ref));
            for (Stats s : stats) {
                if (s.range.contains(x)) {
                    s.add(x, ulps, exact);
                    break;
                }
            }
        }
        return stats;
    }
}
