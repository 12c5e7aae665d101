package dev.quiver.backend.opencl;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.List;
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
    // the deferred checks this buffer's contents depend on (empty for nearly every buffer); the backend's lock
    private List<DeferredCheck> checks = List.of();

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

    /**
     * Records what this buffer now depends on after an op wrote it: the checks of {@code inputs}, {@code own} (the
     * op's status word, or null), and its earlier checks unless the op overwrote all of it ({@code whole}).
     */
    void inheritChecks(boolean whole, DeferredCheck own, StridedView... inputs) {
        List<DeferredCheck> merged = new ArrayList<>(2);
        if (!whole) {
            addPending(merged, checks);
        }
        for (StridedView input : inputs) {
            if (input.buffer() instanceof OpenClBuffer source) {
                addPending(merged, source.checks);
            }
        }
        if (own != null) {
            merged.add(own);
        }
        checks = merged.isEmpty() ? List.of() : merged;
    }

    /** Throws the error of the first failed check this buffer depends on; drops the checks that passed. */
    void throwIfFailed() {
        if (checks.isEmpty()) {
            return;
        }
        List<DeferredCheck> pending = new ArrayList<>(checks.size());
        for (DeferredCheck check : checks) {
            if (check.failed()) {
                throw check.error();
            }
            if (!check.passed()) {
                pending.add(check);
            }
        }
        checks = pending.isEmpty() ? List.of() : pending;
    }

    private static void addPending(List<DeferredCheck> into, List<DeferredCheck> from) {
        for (DeferredCheck check : from) {
            if (!check.passed() && !into.contains(check)) {
                into.add(check);
            }
        }
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
