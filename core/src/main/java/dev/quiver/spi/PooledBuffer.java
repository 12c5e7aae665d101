package dev.quiver.spi;

import dev.quiver.DType;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A device buffer whose memory comes from a {@link CachingAllocator}: {@code length} elements of one dtype (bool as
 * one byte per element) in a block of {@code capacityBytes}. Releasing returns the block to the allocator, once; a
 * use after release is an error naming the op. The shared buffer base of the device backends.
 *
 * <pre>{@code
 * long capacity = CachingAllocator.sizeClass(1024 * 4);
 * PooledBuffer<Long> buffer = new PooledBuffer<>(allocator, allocator.take(capacity, "allocate"), capacity,
 *         DType.FLOAT32, 1024);
 * long pointer = buffer.memory("add");   // the driver handle
 * buffer.release();                      // back to the allocator's cache, not to the driver
 * }</pre>
 *
 * @param <M> the driver's handle of a block
 */
public final class PooledBuffer<M> implements DeviceBuffer {
    private final CachingAllocator<M> allocator;
    private final M memory;
    private final long capacityBytes;
    private final DType dtype;
    private final long length;
    private final AtomicBoolean released = new AtomicBoolean();

    /** Wraps a block taken from {@code allocator}; {@link #release()} gives it back. */
    public PooledBuffer(CachingAllocator<M> allocator, M memory, long capacityBytes, DType dtype, long length) {
        this.allocator = allocator;
        this.memory = memory;
        this.capacityBytes = capacityBytes;
        this.dtype = dtype;
        this.length = length;
    }

    /** The driver handle; throws when the buffer was released (a use after close), naming {@code op}. */
    public M memory(String op) {
        if (released.get()) {
            throw new IllegalStateException(op + " uses a released " + dtype + " buffer of " + length + " elements");
        }
        return memory;
    }

    /** The allocator the block came from (a backend checks a buffer is its own by this). */
    public CachingAllocator<M> allocator() {
        return allocator;
    }

    /** The block's size in bytes (a size class, at least the bytes of {@code length} elements). */
    public long capacityBytes() {
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
            allocator.give(memory, capacityBytes);
        }
    }
}
