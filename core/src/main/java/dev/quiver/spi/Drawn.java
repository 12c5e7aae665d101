package dev.quiver.spi;

import dev.quiver.DType;

/**
 * Random numbers standing where a fused kernel's input buffer would be: element {@code e} of any view of it is
 * element {@code counter[0] + position + e} of the Philox stream {@code seed} of {@code distribution} ({@link Philox}:
 * the bits of {@link Backend#random} filling a buffer from that counter). Nothing is stored; a backend that
 * {@linkplain Backend#fusesDraws() fuses draws} generates each value where the kernel reads it, so a compiled step
 * that draws its batch never writes the batch to memory.
 *
 * <p>The stream's position is read from {@code counter}, a one-element int64 buffer of the backend, when the kernel
 * runs; {@code position} is fixed. A compiled step keeps its random stream's position there and advances it on the
 * device after each step, so its kernels and their arguments are the same at every replay (what a CUDA graph needs:
 * PyTorch's graph-safe generators read their offset from device memory the same way).
 *
 * <p>Only the inputs of {@link Backend#fused} and {@link Backend#fusedReduce} may be views of a drawn buffer, and
 * only contiguous ones. Releasing it does nothing.
 *
 * <pre>{@code
 * DeviceBuffer counter = backend.upload(new long[] {1000});
 * Drawn x = new Drawn(RandomDistribution.NORMAL, 42, counter, 0, 0, 1, DType.FLOAT32, 64);
 * StridedView input = StridedView.contiguous(x, 1, 64, 1);   // 64 standard normals, elements 1000..1063 of seed 42
 * backend.fusedReduce(squares, new StridedView[] {input}, new Primitive[] {Primitive.SUM}, new StridedView[] {sum});
 * }</pre>
 *
 * @param distribution uniform in {@code [first, second)} or normal with mean {@code first}, deviation {@code second}
 * @param seed         the stream's key
 * @param counter      a one-element int64 buffer of the backend: the stream's position, read when the kernel runs
 * @param position     added to the counter: the stream element of buffer element 0
 * @param first        as in {@link Backend#random}
 * @param second       as in {@link Backend#random}
 * @param dtype        float32 or float64
 * @param length       the elements a view may address
 */
public record Drawn(RandomDistribution distribution, long seed, DeviceBuffer counter, long position, double first,
                    double second, DType dtype, long length) implements DeviceBuffer {

    public Drawn {
        if (distribution == null || dtype == null || !dtype.isFloating() || length < 0) {
            throw new IllegalArgumentException("Drawn: a float32 or float64 draw of a distribution and a length >= 0, "
                    + "got " + distribution + " " + dtype + " [" + length + "]");
        }
        if (counter == null || counter.dtype() != DType.INT64 || counter.length() < 1 || counter instanceof Drawn
                || counter instanceof HostScalar) {
            throw new IllegalArgumentException("Drawn: the stream counter must be an int64 buffer of at least one "
                    + "element, got " + (counter == null ? "null" : counter.dtype() + " [" + counter.length() + "] "
                    + counter.getClass().getSimpleName()));
        }
    }

    /**
     * Buffer element {@code index}, as a double (a float32 value widened), when the counter holds
     * {@code counterValue}: the reference of every backend.
     */
    public double value(long counterValue, long index) {
        long element = counterValue + position + index;
        return dtype == DType.FLOAT32 ? Philox.sampleFloat(distribution, seed, element, first, second)
                : Philox.sampleDouble(distribution, seed, element, first, second);
    }

    /** Nothing to give back: no memory was taken (the counter belongs to whoever made it). */
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
                + dtype + " seed " + seed + " from counter + " + position + "]";
    }
}
