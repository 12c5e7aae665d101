package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;

/**
 * A CPU "device" buffer: a plain Java array of the dtype ({@code float[]}, {@code double[]}, {@code int[]},
 * {@code long[]}, {@code boolean[]} for bool). The garbage collector owns the memory, so {@link #release()}
 * only marks the buffer so that a later use fails loudly instead of reading stale data.
 *
 * <pre>{@code
 * CpuBackend cpu = new CpuBackend(256, 1);
 * DeviceBuffer buffer = cpu.allocate(DType.FLOAT32, 1024);   // a float[1024] inside
 * buffer.release();                                           // idempotent
 * }</pre>
 */
public final class CpuBuffer implements DeviceBuffer {
    /** The largest array HotSpot reliably allocates (a few header words below {@code Integer.MAX_VALUE}). */
    public static final long MAX_LENGTH = Integer.MAX_VALUE - 8;

    private final DType dtype;
    private final Object array;
    private final int length;
    // Plain field: a Cleaner releases only unreachable buffers, and a racy read just delays the loud error.
    private boolean released;

    CpuBuffer(DType dtype, Object array, int length) {
        this.dtype = dtype;
        this.array = array;
        this.length = length;
    }

    /** A zero-filled buffer; fails with the dtype and length when the array would be too large for the JVM. */
    static CpuBuffer allocate(DType dtype, long length) {
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("cpu: cannot allocate " + length + " elements of " + dtype
                    + ": a CPU buffer holds 0 to " + MAX_LENGTH + " elements (one Java array)");
        }
        int size = (int) length;
        Object array = switch (dtype) {
            case BOOL -> new boolean[size];
            case INT32 -> new int[size];
            case INT64 -> new long[size];
            case FLOAT32 -> new float[size];
            case FLOAT64 -> new double[size];
        };
        return new CpuBuffer(dtype, array, size);
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long length() {
        return length;
    }

    /** The backing array; fails when the buffer was released (a use-after-free in core). */
    Object array() {
        if (released) {
            throw new IllegalStateException("cpu: " + dtype + " buffer of " + length + " elements used after release()");
        }
        return array;
    }

    @Override
    public void release() {
        released = true;
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + dtype + " x " + length + (released ? ", released]" : "]");
    }
}
