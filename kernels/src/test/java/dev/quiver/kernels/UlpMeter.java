package dev.quiver.kernels;

import java.util.function.DoubleUnaryOperator;

/**
 * Test helper: the largest error over a float64 sample (the float32 sweeps use {@link UlpSweep}), with the input
 * where it occurs, for assertion messages and reports.
 *
 * <pre>{@code
 * UlpMeter.Worst w = UlpMeter.worst(sample, x -> UlpReference.ulps64(sin.apply(x), StrictMath.sin(x)));
 * assertTrue(w.ulps() <= 1, "sin " + w);
 * }</pre>
 */
final class UlpMeter {
    private UlpMeter() {
    }

    /** The largest error {@code ulps} and its input {@code at}. */
    record Worst(double ulps, double at) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "max %.4f ulp at %s (%s)", ulps, Double.toHexString(at), at);
        }
    }

    /** The largest of {@code ulpsAt(x)} over {@code sample}. */
    static Worst worst(double[] sample, DoubleUnaryOperator ulpsAt) {
        Worst worst = new Worst(-1, Double.NaN);
        for (double x : sample) {
            double ulps = ulpsAt.applyAsDouble(x);
            if (ulps > worst.ulps() || Double.isNaN(ulps)) {
                worst = new Worst(Double.isNaN(ulps) ? Double.POSITIVE_INFINITY : ulps, x);
            }
        }
        return worst;
    }
}
