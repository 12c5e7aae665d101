package dev.quiver.kernels;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * Test helper: the error of a formula in ulps of the result's dtype against a reference computed in higher
 * precision (a double for float32 results, so {@code 0.5} means correctly rounded), and the record of a sweep:
 * the largest error, where it occurred, and how many inputs were not correctly rounded.
 *
 * <pre>{@code
 * UlpMeter.Record r = new UlpMeter.Record("sin", "[0, 2^18]");
 * r.add(x, UlpMeter.float32(sin.apply(x), StrictMath.sin(x)));
 * System.out.println(r);   // sin  [0, 2^18]  max 0.72 ulp at 0x1.3p4  inputs > 0.5 ulp: 12
 * }</pre>
 */
final class UlpMeter {
    private UlpMeter() {
    }

    /**
     * The error of float {@code actual} against {@code reference} in float ulps: the float spacing in the
     * reference's binade (below the smallest normal, the subnormal spacing). Equal NaNs and equal infinities are
     * 0; a NaN or infinity against a finite reference (or the reverse) is infinite.
     */
    static double float32(float actual, double reference) {
        return ulps(actual, reference, 23, Float.MIN_EXPONENT);
    }

    /** The error of double {@code actual} against {@code reference} (a double) in ulps of the reference's binade. */
    static double float64(double actual, double reference) {
        return ulps(actual, reference, 52, Double.MIN_EXPONENT);
    }

    private static double ulps(double actual, double reference, int mantissaBits, int minExponent) {
        if (Double.isNaN(reference) || Double.isNaN(actual)) {
            return Double.isNaN(reference) && Double.isNaN(actual) ? 0 : Double.POSITIVE_INFINITY;
        }
        if (Double.isInfinite(reference) || Double.isInfinite(actual)) {
            return actual == reference ? 0 : Double.POSITIVE_INFINITY;
        }
        double ulp = Math.scalb(1.0, Math.max(Math.getExponent(reference), minExponent) - mantissaBits);
        return Math.abs(actual - reference) / ulp;
    }

    /** The error of double {@code actual} against an exact {@code reference} in ulps of the reference's binade. */
    static double float64(double actual, BigDecimal reference) {
        if (Double.isNaN(actual) || Double.isInfinite(actual)) {
            return Double.POSITIVE_INFINITY;
        }
        int exponent = Math.max(Math.getExponent(reference.doubleValue()), Double.MIN_EXPONENT);
        BigDecimal error = new BigDecimal(actual).subtract(reference).abs();
        return Math.scalb(error.doubleValue(), 52 - exponent);
    }

    /** The running record of one sweep. Not thread-safe: merge per-thread records with {@link #merge}. */
    static final class Record {
        final String function;
        final String range;
        double max;
        double where = Double.NaN;
        long count;
        long aboveHalf;

        Record(String function, String range) {
            this.function = function;
            this.range = range;
        }

        void add(double x, double ulps) {
            count++;
            if (ulps > 0.5) {
                aboveHalf++;
            }
            if (ulps > max || Double.isNaN(where)) {
                max = ulps;
                where = x;
            }
        }

        void merge(Record other) {
            if (other.max > max || Double.isNaN(where)) {
                max = other.max;
                where = other.where;
            }
            count += other.count;
            aboveHalf += other.aboveHalf;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "| %-12s | %-24s | %8.4f | %-24s | %,13d of %,d |", function, range,
                    max, Double.toHexString(where) + " (" + (float) where + ")", aboveHalf, count);
        }
    }

    /** Sweeps {@code f} over a double sample, recording errors against {@code reference}. */
    static Record float64(String function, String range, double[] sample, DoubleUnaryOperator f,
                          DoubleUnaryOperator reference) {
        Record record = new Record(function, range);
        for (double x : sample) {
            record.add(x, float64(f.applyAsDouble(x), reference.applyAsDouble(x)));
        }
        return record;
    }
}
