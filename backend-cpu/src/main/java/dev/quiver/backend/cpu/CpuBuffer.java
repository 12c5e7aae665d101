package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;

/**
 * A CPU "device" buffer: a plain Java array of the dtype ({@code float[]}, {@code double[]}, {@code int[]},
 * {@code long[]}, {@code boolean[]} for bool). The garbage collector owns the memory, so {@link #release()}
 * marks the buffer so that a later use fails loudly instead of reading stale data, and hands a large buffer's
 * array back to its {@link CpuBufferPool} for reuse. Small buffers need no release at all
 * ({@link #reclaimedByGarbageCollector()}), so core registers no Cleaner for them.
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
    // null for buffers that are not pooled (small ones, uploads)
    private final CpuBufferPool pool;
    // Plain field: a Cleaner releases only unreachable buffers, and a racy read just delays the loud error.
    private boolean released;

    CpuBuffer(DType dtype, Object array, int length) {
        this(dtype, array, length, null);
    }

    CpuBuffer(DType dtype, Object array, int length, CpuBufferPool pool) {
        this.dtype = dtype;
        this.array = array;
        this.length = length;
        this.pool = pool;
    }

    /** The JVM's heap limit (-Xmx), fixed for its lifetime: read once, not per allocation (a native call). */
    private static final long MAX_HEAP = Runtime.getRuntime().maxMemory();

    /** A zero-filled buffer; fails with the dtype and length when the array would be too large for the JVM. */
    static CpuBuffer allocate(DType dtype, long length) {
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("cpu: cannot allocate " + length + " elements of " + dtype
                    + ": a CPU buffer holds 0 to " + MAX_LENGTH + " elements (one Java array)");
        }
        return new CpuBuffer(dtype, newArray(dtype, length), (int) length);
    }

    /**
     * A zero-filled array of the dtype; {@code length} already checked against {@link #MAX_LENGTH}. An array the Java
     * heap cannot hold is an {@link IllegalStateException} with the bytes and the heap limit, not an
     * {@link OutOfMemoryError}: the failure is this one allocation's, and the JVM goes on (core adds the op and shape).
     */
    static Object newArray(DType dtype, long length) {
        int size = (int) length;
        long bytes = length * dtype.byteSize();
        long heap = MAX_HEAP;
        if (bytes > heap) { // can never succeed: fail at once rather than after the full collections a try costs
            throw outOfHeap(dtype, length, bytes, heap, null);
        }
        try {
            return switch (dtype) {
                case BOOL -> new boolean[size];
                case INT32 -> new int[size];
                case INT64 -> new long[size];
                case FLOAT32 -> new float[size];
                case FLOAT64 -> new double[size];
            };
        } catch (OutOfMemoryError full) {
            throw outOfHeap(dtype, length, bytes, heap, full);
        }
    }

    private static IllegalStateException outOfHeap(DType dtype, long length, long bytes, long heap,
                                                   OutOfMemoryError cause) {
        IllegalStateException error = new IllegalStateException("cpu: the Java heap cannot hold " + length + " "
                + dtype + " elements (" + bytes + " bytes; max heap " + heap + " bytes" + (cause == null ? ""
                : ", the rest in use") + "); raise -Xmx or use smaller tensors");
        if (cause != null) {
            error.initCause(cause);
        }
        return error;
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
        if (pool == null) {
            released = true;
            return;
        }
        synchronized (this) { // close() and a Cleaner may race; the array must go back once
            if (released) {
                return;
            }
            released = true;
        }
        pool.give(dtype, array, length);
    }

    /** True unless the array goes back to a pool on release (then core keeps a Cleaner to return it). */
    @Override
    public boolean reclaimedByGarbageCollector() {
        return pool == null;
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + dtype + " x " + length + (released ? ", released]" : "]");
    }
}
