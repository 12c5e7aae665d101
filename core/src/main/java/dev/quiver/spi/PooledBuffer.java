package dev.quiver.spi;

import dev.quiver.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A device buffer whose memory comes from a {@link CachingAllocator}: {@code length} elements of one dtype (bool as
 * one byte per element) in a block of {@code capacityBytes}. Releasing returns the block to the allocator, once; a
 * use after release is an error naming the op. The shared buffer base of the device backends. It also carries the
 * {@link DeferredCheck}s its contents depend on, so an op's deferred error is thrown where its result is read.
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
    // the deferred checks this buffer's contents depend on (empty for nearly every buffer); the backend's lock
    private List<DeferredCheck<M>> checks = List.of();

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
            throw new IllegalStateException(allocator.backend() + ": " + op + " uses a released " + dtype + " buffer of " + length + " elements");
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

    /**
     * Records what this buffer now depends on after an op wrote it: the checks of {@code inputs}, {@code own} (the
     * op's status word, or null), and its earlier checks unless the op overwrote all of it ({@code whole}).
     */
    public void inheritChecks(boolean whole, DeferredCheck<M> own, List<PooledBuffer<M>> inputs) {
        List<DeferredCheck<M>> merged = new ArrayList<>(2);
        if (!whole) {
            addPending(merged, checks);
        }
        for (PooledBuffer<M> input : inputs) {
            addPending(merged, input.checks);
        }
        if (own != null) {
            merged.add(own);
        }
        checks = merged.isEmpty() ? List.of() : merged;
    }

    /** Throws the error of the first failed check this buffer depends on; drops the checks that passed. */
    public void throwIfFailed() {
        if (checks.isEmpty()) {
            return;
        }
        List<DeferredCheck<M>> pending = new ArrayList<>(checks.size());
        for (DeferredCheck<M> check : checks) {
            if (check.failed()) {
                throw check.error();
            }
            if (!check.passed()) {
                pending.add(check);
            }
        }
        checks = pending.isEmpty() ? List.of() : pending;
    }

    private static <M> void addPending(List<DeferredCheck<M>> into, List<DeferredCheck<M>> from) {
        for (DeferredCheck<M> check : from) {
            if (!check.passed() && !into.contains(check)) {
                into.add(check);
            }
        }
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
