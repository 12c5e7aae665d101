package dev.quiver.bench;

import java.util.SplittableRandom;

/**
 * Benchmark inputs and the agreement checks made in {@code @Setup}, so that a fast wrong kernel cannot win.
 * Inputs are uniform in [-1, 1): sums stay small (a random walk), which keeps float32 accumulation honest to check.
 *
 * <pre>{@code
 * float[] a = Data.floats(1024, 1);
 * Data.check("add", expected, actual, 0);
 * }</pre>
 */
public final class Data {
    private Data() {
    }

    public static float[] floats(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    public static double[] doubles(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextDouble() * 2 - 1;
        }
        return values;
    }

    /** Element {@code i} of a {@code float[]} or {@code double[]}. */
    static double at(Object array, int i) {
        return array instanceof float[] f ? f[i] : ((double[]) array)[i];
    }

    /**
     * Fails unless every {@code actual[i]} is within {@code tolerance[i]} of {@code expected[i]}; the message names
     * the benchmark, the engine and the first bad element.
     */
    public static void check(String what, double[] expected, double[] actual, double[] tolerance) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs(expected[i] - actual[i]);
            if (!(error <= tolerance[i])) { // NaN fails too
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (tolerance " + tolerance[i] + ")");
            }
        }
    }

    /** The same tolerance for every element. */
    public static void check(String what, double[] expected, double[] actual, double tolerance) {
        double[] each = new double[expected.length];
        java.util.Arrays.fill(each, tolerance);
        check(what, expected, actual, each);
    }

    /** Unit roundoff of float32 or float64. */
    static double epsilon(boolean float64) {
        return float64 ? 0x1p-53 : 0x1p-24;
    }
}
