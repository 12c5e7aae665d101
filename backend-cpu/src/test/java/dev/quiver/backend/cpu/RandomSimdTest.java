package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Philox;
import dev.quiver.spi.RandomDistribution;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The SIMD random fill against its scalar twin ({@code Philox}) at every vector width, and the statistical quality
 * of the stream (mean, variance and a Kolmogorov-Smirnov distance over a 1M draw, both dtypes).
 */
class RandomSimdTest {
    // 0 and block-aligned, odd, just below the 2^32 carry of the counter's low word, and wrapping past 2^64
    private static final long[] COUNTERS = {0, 1, 3, 6, (1L << 32) - 3, -5};
    // lengths leaving heads and tails at every width, and more than one chunk (512 blocks)
    private static final int[] LENGTHS = {1, 2, 3, 5, 17, 31, 33, 100, 1029, 2053, 4099};

    @Test
    void simdEqualsTheScalarTwinBitForBitAtEveryWidth() {
        long seed = 0x0123_4567_89AB_CDEFL;
        for (int bits : new int[] {128, 256, 512}) {
            for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (RandomDistribution distribution : RandomDistribution.values()) {
                    for (long counter : COUNTERS) {
                        for (int n : LENGTHS) {
                            int at = 3;
                            double[] expected = draw(0, distribution, seed, counter, type, at, n);
                            double[] actual = draw(bits, distribution, seed, counter, type, at, n);
                            assertArrayEquals(expected, actual, bits + "-bit " + distribution + " " + type
                                    + " counter=" + counter + " n=" + n);
                        }
                    }
                }
            }
        }
    }

    /**
     * The scalar fill (what small draws and the SIMD fill's heads and tails run) against {@link Philox}'s per-element
     * reference: every kind, counter, length and start inside a block (tens of thousands of words: every quadrant),
     * with a mean and deviation (or bounds) that are not 0 and 1, and the elements around the range left untouched.
     */
    @Test
    void theScalarFillEqualsThePerElementReferenceBitForBit() {
        double first = -0.75;
        double second = 2.5;
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (RandomDistribution distribution : RandomDistribution.values()) {
                for (long seed : new long[] {0x0123_4567_89AB_CDEFL, 0, -1}) {
                    for (long counter : COUNTERS) {
                        for (int n : LENGTHS) {
                            for (int from = 0; from < Math.min(n, 4); from++) {
                                int at = 2;
                                Object out = type == DType.FLOAT32 ? new float[n + 2 * at] : new double[n + 2 * at];
                                RandomFill.fill(0, distribution, seed, counter, first, second, type, out, at, from, n);
                                for (int i = -at; i < n + at; i++) {
                                    boolean drawn = i >= from && i < n;
                                    long element = counter + i;
                                    long expected = !drawn ? 0 : type == DType.FLOAT32
                                            ? Float.floatToRawIntBits(
                                                    Philox.sampleFloat(distribution, seed, element, first, second))
                                            : Double.doubleToRawLongBits(
                                                    Philox.sampleDouble(distribution, seed, element, first, second));
                                    long actual = out instanceof float[] f ? Float.floatToRawIntBits(f[at + i])
                                            : Double.doubleToRawLongBits(((double[]) out)[at + i]);
                                    assertEquals(expected, actual, distribution + " " + type + " seed " + seed
                                            + " counter " + counter + " n " + n + " from " + from + " [" + i + "]");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The float32 normals' radius pass (logFloat's split without float bits, so that it vectorizes) against the
     * reference's {@code sqrt(-2 logFloat(u1))} for every one of the 2^24 values of {@code u1}.
     */
    @Test
    void theRadiusPassEqualsTheReferenceForEveryRadiusWord() {
        RandomFill.Scratch scratch = new RandomFill.Scratch();
        int pairs = scratch.even.length;
        for (int m = 0; m < 1 << 24; m += pairs) {
            for (int p = 0; p < pairs; p++) {
                scratch.even[p] = (m + p) << 8 | (p * 37 & 0xFF);   // the low 8 bits are dropped
            }
            RandomFill.radii(scratch, pairs);
            for (int p = 0; p < pairs; p++) {
                float u1 = ((scratch.even[p] >>> 8) + 1) * 0x1.0p-24f;
                float expected = (float) Math.sqrt(-2f * Philox.Twin.logFloat(u1));
                if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(scratch.radius[p])) {
                    assertEquals(expected, scratch.radius[p], "radius of u1 = " + u1);
                }
            }
        }
    }

    /**
     * The float32 normals' angle pass (the quadrant's pick and sign as exact products) against
     * {@link Philox#normalFloat} over a lattice of angle words (every quadrant, the reduced angle's ends and its exact
     * zero), both elements of each pair.
     */
    @Test
    void theAnglePassEqualsTheReferenceInEveryQuadrant() {
        RandomFill.Scratch scratch = new RandomFill.Scratch();
        int pairs = scratch.odd.length;
        float mean = 0.25f;
        float deviation = -1.5f;
        int[] special = {0, 63, 64, (1 << 29) - 1, 1 << 29, (1 << 29) + 64, -(1 << 29), -(1 << 29) - 1, -1, 1 << 30,
            (1 << 30) - 64, 1 << 31, (1 << 31) + (1 << 29), 3 << 29};
        for (long start = -special.length; start < 1L << 32; start += (long) pairs << 13) {
            for (int p = 0; p < pairs; p++) {
                long index = start + p;
                scratch.odd[p] = index < 0 ? special[(int) (index + special.length)]
                        : (int) (start + ((long) p << 13) + p * 101);
                scratch.even[p] = p * 0x9E3779B9;
            }
            RandomFill.radii(scratch, pairs);
            RandomFill.angles(scratch, pairs, mean, deviation);
            for (int p = 0; p < pairs; p++) {
                for (boolean sine : new boolean[] {false, true}) {
                    float expected = Math.fma(deviation, Philox.normalFloat(scratch.even[p], scratch.odd[p], sine), mean);
                    float actual = sine ? scratch.sin[p] : scratch.cos[p];
                    if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
                        assertEquals(expected, actual, "angle word " + scratch.odd[p] + (sine ? " sin" : " cos"));
                    }
                }
            }
        }
    }

    /** A fused loop calls the fill per chunk (FusedLoopTest counts a warm step's allocation): a warm call allocates nothing. */
    @Test
    void aWarmScalarFillAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (RandomDistribution distribution : RandomDistribution.values()) {
                Object out = type == DType.FLOAT32 ? new float[70] : new double[70];
                Runnable fill = () -> RandomFill.fill(0, distribution, 7, 3, 0, 1, type, out, 1, 1, 66);
                for (int i = 0; i < 20_000; i++) {
                    fill.run();
                }
                long thread = Thread.currentThread().threadId();
                long before = threads.getThreadAllocatedBytes(thread);
                for (int i = 0; i < 1000; i++) {
                    fill.run();
                }
                assertEquals(0, threads.getThreadAllocatedBytes(thread) - before,
                        "bytes allocated by 1000 warm scalar fills, " + distribution + " " + type);
            }
        }
    }

    @Test
    void aSplitFillEqualsAWholeFill() {
        // thread ranges start anywhere: a part starting mid-block must give the same elements
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            double[] whole = draw(512, RandomDistribution.NORMAL, 9, 1, type, 0, 3001);
            Object out = type == DType.FLOAT32 ? new float[3001] : new double[3001];
            RandomFill.kernels(512).fill(RandomDistribution.NORMAL, 9, 1, 0, 1, type, out, 0, 0, 1499);
            RandomFill.kernels(512).fill(RandomDistribution.NORMAL, 9, 1, 0, 1, type, out, 0, 1499, 3001);
            assertArrayEquals(whole, values(out), "split at an odd element " + type);
        }
    }

    /**
     * The backend's fills switch to the SIMD kernels once the warming thread saw them compiled (plain Java before:
     * a cold Vector API fill boxes every vector), warming starts after {@link RandomFill#WARM_AFTER_ELEMENTS} values
     * drawn cold, and the bits of plain Java hold on both sides of the switch.
     */
    @Test
    void fillsSwitchToTheSimdKernelsOnceTheyAreCompiled() {
        int bits = CpuBackend.hardwareSimdBits();
        if (bits == 0) {
            return;   // no SIMD on this machine: nothing to switch to (SimdStateTest covers the description)
        }
        double[] expected = draw(0, RandomDistribution.NORMAL, 5, 3, DType.FLOAT32, 1, 3001);
        double[] before = new double[3001];
        float[] out = new float[3002];
        RandomFill.fill(bits, RandomDistribution.NORMAL, 5, 3, 0, 1, DType.FLOAT32, out, 1, 0, 3001);
        for (int i = 0; i < 3001; i++) {
            before[i] = out[1 + i];
        }
        assertArrayEquals(expected, before, "a fill at " + bits + " bits before or while warming");
        float[] large = new float[(int) RandomFill.WARM_AFTER_ELEMENTS];   // enough values drawn cold: warming starts
        RandomFill.fill(bits, RandomDistribution.UNIFORM, 5, 0, 0, 1, DType.FLOAT32, large, 0, 0, large.length);
        FusedLoopTest.awaitCompiledRandomFill(bits);
        float[] after = new float[3002];
        RandomFill.fill(bits, RandomDistribution.NORMAL, 5, 3, 0, 1, DType.FLOAT32, after, 1, 0, 3001);
        for (int i = 0; i < 3001; i++) {
            assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(after[1 + i]),
                    "element " + i + " after the switch");
        }
    }

    @Test
    void normalsHaveMeanZeroVarianceOneAndANormalDistribution() {
        int n = 1 << 20;
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            double[] z = draw(CpuBackend.hardwareSimdBits(), RandomDistribution.NORMAL, 2024, 5, type, 0, n);
            double mean = Arrays.stream(z).sum() / n;
            double variance = Arrays.stream(z).map(v -> (v - mean) * (v - mean)).sum() / (n - 1);
            // standard errors: 1/sqrt(n) = 0.001 for the mean, sqrt(2/n) = 0.0014 for the variance
            assertEquals(0, mean, 0.005, type + " normal mean");
            assertEquals(1, variance, 0.007, type + " normal variance");
            double d = kolmogorovSmirnov(z, RandomSimdTest::normalCdf);
            // 1.95 / sqrt(n) is the 0.1% critical value of the KS distance
            assertTrue(d < 1.95 / Math.sqrt(n), type + " normal KS distance " + d);
            // Box-Muller's pairs: cos and sin values of one pair are uncorrelated
            double pairProduct = 0;
            for (int i = 0; i + 1 < n; i += 2) {
                pairProduct += z[i] * z[i + 1];
            }
            assertEquals(0, pairProduct / (n / 2), 0.007, type + " correlation within pairs");
        }
    }

    @Test
    void uniformsAreUniformInTheirRange() {
        int n = 1 << 20;
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            double[] u = draw(CpuBackend.hardwareSimdBits(), RandomDistribution.UNIFORM, 77, 3, type, 0, n);
            for (double v : u) {
                assertTrue(v >= 0 && v < 1, type + " uniform in [0, 1): " + v);
            }
            double mean = Arrays.stream(u).sum() / n;
            double variance = Arrays.stream(u).map(v -> (v - mean) * (v - mean)).sum() / (n - 1);
            assertEquals(0.5, mean, 0.0015, type + " uniform mean");
            assertEquals(1.0 / 12, variance, 0.0007, type + " uniform variance");
            double d = kolmogorovSmirnov(u, v -> v);
            assertTrue(d < 1.95 / Math.sqrt(n), type + " uniform KS distance " + d);
        }
    }

    /** {@code bits} 0: the plain-Java fill; else the SIMD kernels of that width, compiled or not. */
    private static double[] draw(int bits, RandomDistribution distribution, long seed, long counter, DType type,
            int at, int n) {
        Object out = type == DType.FLOAT32 ? new float[at + n] : new double[at + n];
        if (bits == 0) {
            RandomFill.fill(0, distribution, seed, counter, 0, 1, type, out, at, 0, n);
        } else {
            RandomFill.kernels(bits).fill(distribution, seed, counter, 0, 1, type, out, at, 0, n);
        }
        return Arrays.copyOfRange(values(out), at, at + n);
    }

    private static double[] values(Object out) {
        if (out instanceof float[] floats) {
            double[] values = new double[floats.length];
            for (int i = 0; i < floats.length; i++) {
                values[i] = floats[i];
            }
            return values;
        }
        return ((double[]) out).clone();
    }

    /** The largest distance between the empirical CDF of {@code sample} and {@code cdf}. */
    private static double kolmogorovSmirnov(double[] sample, java.util.function.DoubleUnaryOperator cdf) {
        double[] sorted = sample.clone();
        Arrays.sort(sorted);
        double d = 0;
        for (int i = 0; i < sorted.length; i++) {
            double f = cdf.applyAsDouble(sorted[i]);
            d = Math.max(d, Math.max(f - (double) i / sorted.length, (double) (i + 1) / sorted.length - f));
        }
        return d;
    }

    /** The standard normal CDF from erfc (Numerical Recipes' Chebyshev fit, error below 1.2e-7). */
    private static double normalCdf(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc / 2 : erfc / 2;
    }
}
