package dev.quiver.backend.opencl;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.cl_mem;

/**
 * A block of device memory holding {@code length} elements of one dtype (bool as one byte per element). Releasing
 * returns the memory to the backend's {@link BufferPool}; that is safe while kernels that read it are still
 * queued, because the queue is in order: whoever reuses the block enqueues after them.
 *
 * <pre>{@code
 * OpenClBuffer buffer = (OpenClBuffer) backend.allocate(DType.FLOAT32, 1024);
 * buffer.release();   // back to the pool, not to the driver
 * }</pre>
 */
final class OpenClBuffer implements DeviceBuffer {
    private final BufferPool pool;
    private final cl_mem memory;
    private final DType dtype;
    private final long length;
    private final long capacityBytes;
    private final AtomicBoolean released = new AtomicBoolean();

    OpenClBuffer(BufferPool pool, cl_mem memory, long capacityBytes, DType dtype, long length) {
        this.pool = pool;
        this.memory = memory;
        this.capacityBytes = capacityBytes;
        this.dtype = dtype;
        this.length = length;
    }

    /** The device memory; throws when the buffer was released (a use after close). */
    cl_mem memory(String op) {
        if (released.get()) {
            throw new IllegalStateException("opencl: " + op + " uses a released " + dtype + " buffer of " + length
                    + " elements");
        }
        return memory;
    }

    BufferPool pool() {
        return pool;
    }

    long capacityBytes() {
        return capacityBytes;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public void release() {
        if (released.compareAndSet(false, true)) {
            pool.give(memory, capacityBytes);
        }
    }
}
