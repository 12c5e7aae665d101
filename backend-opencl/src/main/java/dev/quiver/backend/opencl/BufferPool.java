package dev.quiver.backend.opencl;

import static org.jocl.CL.CL_MEM_OBJECT_ALLOCATION_FAILURE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_OUT_OF_RESOURCES;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clReleaseMemObject;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.cl_context;
import org.jocl.cl_mem;

/**
 * A caching allocator: released device memory is kept, by size class, and handed out again instead of calling
 * the driver, because a training step allocates the same sizes every time. Sizes are rounded up to
 * {@value #GRANULE} bytes. When the device is out of memory the cache is emptied and the allocation retried once.
 *
 * <pre>{@code
 * BufferPool pool = new BufferPool(context);
 * cl_mem block = pool.take(4096);
 * pool.give(block, 4096);   // the next take(4096) gets it back
 * }</pre>
 */
final class BufferPool {
    /** Rounding of sizes: small enough to waste little, large enough that nearby sizes share blocks. */
    static final long GRANULE = 256;

    private final cl_context context;
    private final Map<Long, ArrayDeque<cl_mem>> free = new HashMap<>();
    private long cachedBytes;
    private long allocatedBytes;
    private long reuses;
    private boolean closed;

    BufferPool(cl_context context) {
        this.context = context;
    }

    /** The size class of a request: at least one granule, so zero-length buffers are valid too. */
    static long sizeClass(long bytes) {
        return Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
    }

    /** A block of exactly {@code capacity} bytes (a {@link #sizeClass}). */
    synchronized cl_mem take(long capacity) {
        ArrayDeque<cl_mem> blocks = free.get(capacity);
        if (blocks != null && !blocks.isEmpty()) {
            cachedBytes -= capacity;
            reuses++;
            return blocks.pop();
        }
        cl_mem memory;
        try {
            memory = clCreateBuffer(context, CL_MEM_READ_WRITE, capacity, null, null);
        } catch (CLException outOfMemory) {
            if (outOfMemory.getStatus() != CL_MEM_OBJECT_ALLOCATION_FAILURE
                    && outOfMemory.getStatus() != CL_OUT_OF_RESOURCES) {
                throw outOfMemory;
            }
            trim();
            memory = clCreateBuffer(context, CL_MEM_READ_WRITE, capacity, null, null);
        }
        allocatedBytes += capacity;
        return memory;
    }

    /** Returns a block to the cache (called from any thread, including the Cleaner's). */
    synchronized void give(cl_mem memory, long capacity) {
        if (closed) { // a tensor collected after its backend closed: nothing will reuse the block
            clReleaseMemObject(memory);
            return;
        }
        free.computeIfAbsent(capacity, key -> new ArrayDeque<>()).push(memory);
        cachedBytes += capacity;
    }

    /** Gives every cached block back to the driver. */
    synchronized void trim() {
        for (Map.Entry<Long, ArrayDeque<cl_mem>> entry : free.entrySet()) {
            for (cl_mem memory : entry.getValue()) {
                clReleaseMemObject(memory);
                allocatedBytes -= entry.getKey();
            }
        }
        free.clear();
        cachedBytes = 0;
    }

    /** Empties the cache and releases every block given back from now on. */
    synchronized void close() {
        trim();
        closed = true;
    }

    /** Bytes held from the driver, bytes of them cached (free), and how many requests the cache served. */
    synchronized String describe() {
        return allocatedBytes + " bytes allocated, " + cachedBytes + " cached, " + reuses + " reuses";
    }
}
