package dev.quiver.spi;

import dev.quiver.DType;

/**
 * A block of backend-owned memory holding {@link #length()} elements of one {@link DType}. Core never looks
 * inside: it hands buffers back to the backend that made them. A buffer is released exactly once, by
 * {@link #release()}, which Quiver calls when the last tensor that uses it is closed or collected.
 *
 * <pre>{@code
 * DeviceBuffer buffer = backend.allocate(DType.FLOAT32, 1024);
 * backend.fill(StridedView.contiguous(buffer, 1024), 1.0);
 * buffer.release();
 * }</pre>
 */
public interface DeviceBuffer {
    DType dtype();

    /** Number of elements. */
    long length();

    /**
     * Returns the memory to the backend (its pool or the device). Must be idempotent and safe to call from
     * a {@link java.lang.ref.Cleaner} thread; it must not touch any tensor.
     */
    void release();

    /**
     * True when the garbage collector reclaims this buffer's memory by itself (a Java heap array), so Quiver need
     * not watch the tensors using it with a {@link java.lang.ref.Cleaner}: registering one costs more than a tiny
     * op (phantom references are processed by every GC). {@link #release()} is still called when the last tensor
     * using the buffer is closed. Default {@code false}: device memory must be given back explicitly.
     */
    default boolean reclaimedByGarbageCollector() {
        return false;
    }
}
