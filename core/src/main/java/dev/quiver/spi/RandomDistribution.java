package dev.quiver.spi;

/**
 * The distributions of {@link Backend#random}: the two parameters are {@code (low, high)} for
 * {@link #UNIFORM} and {@code (mean, standardDeviation)} for {@link #NORMAL}.
 *
 * <pre>{@code
 * backend.random(RandomDistribution.NORMAL, 42, 0, 0.0, 1.0, out);
 * }</pre>
 */
public enum RandomDistribution { UNIFORM, NORMAL }
