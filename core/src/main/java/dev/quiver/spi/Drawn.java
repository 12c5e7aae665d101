package dev.quiver.spi;

import dev.quiver.DType;

/**
 * Random numbers standing where a fused kernel's input buffer would be: element {@code e} of any view of it is
 * element {@code position + e} of the Philox stream {@code seed} of {@code distribution} ({@link Philox}: the bits of
 * {@link Backend#random} filling a buffer from counter {@code position}). Nothing is stored; a backend that
 * {@linkplain Backend#fusesDraws() fuses draws} generates each value where the kernel reads it, so a compiled step
 * that draws its batch never writes the batch to memory.
 *
 * <p>Only the inputs of {@link Backend#fused} and {@link Backend#fusedReduce} may be views of a drawn buffer, and
 * only contiguous ones. Releasing it does nothing.
 *
 * <pre>{@code
 * Drawn x = new Drawn(RandomDistribution.NORMAL, 42, 0, 0, 1, DType.FLOAT32, 64);
 * StridedView input = StridedView.contiguous(x, 1, 64, 1);   // 64 standard normals, elements 0..63 of seed 42
 * backend.fusedReduce(squares, new StridedView[] {input}, new Primitive[] {Primitive.SUM}, new StridedView[] {sum});
 * }</pre>
 *
 * @param distribution uniform in {@code [first, second)} or normal with mean {@code first}, deviation {@code second}
 * @param seed         the stream's key
 * @param position     the stream element of buffer element 0
 * @param first        as in {@link Backend#random}
 * @param second       as in {@link Backend#random}
 * @param dtype        float32 or float64
 * @param length       the elements a view may address
 */
public record Drawn(RandomDistribution distribution, long seed, long position, double first, double second,
                    DType dtype, long length) implements DeviceBuffer {

    public Drawn {
        if (distribution == null || dtype == null || !dtype.isFloating() || length < 0) {
            throw new IllegalArgumentException("Drawn: a float32 or float64 draw of a distribution and a length >= 0, "
                    + "got " + distribution + " " + dtype + " [" + length + "]");
        }
    }

    /** The same draw from stream element {@code position} on (a compiled step's next replay). */
    public Drawn at(long position) {
        return new Drawn(distribution, seed, position, first, second, dtype, length);
    }

    /** Buffer element {@code index}, as a double (a float32 value widened): the reference of every backend. */
    public double value(long index) {
        long element = position + index;
        return dtype == DType.FLOAT32 ? Philox.sampleFloat(distribution, seed, element, first, second)
                : Philox.sampleDouble(distribution, seed, element, first, second);
    }

    /** Nothing to give back: no memory was taken. */
    @Override
    public void release() {
    }

    @Override
    public boolean reclaimedByGarbageCollector() {
        return true;
    }

    @Override
    public String toString() {
        return "Drawn[" + distribution.name().toLowerCase(java.util.Locale.ROOT) + "(" + first + ", " + second + ") "
                + dtype + " seed " + seed + " from " + position + "]";
    }
}
