package dev.quiver.backend.opencl;

import static org.jocl.CL.CL_INVALID_BUFFER_SIZE;
import static org.jocl.CL.CL_MEM_OBJECT_ALLOCATION_FAILURE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_OUT_OF_HOST_MEMORY;
import static org.jocl.CL.CL_OUT_OF_RESOURCES;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clReleaseMemObject;

import dev.quiver.DType;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.cl_context;
import org.jocl.cl_mem;

/**
 * A caching allocator with a bound: released device memory is kept, by size class, and handed out again instead
 * of calling the driver, because a training step allocates the same sizes every time; and the bytes held from the
 * driver never exceed a limit (the device's global memory, or {@value OpenClBackend#MEMORY_LIMIT_PROPERTY}).
 * Sizes are rounded up to {@value #GRANULE} bytes.
 *
 * <p>When a request would cross the limit, or the driver refuses it, the pool reclaims before it gives up: it asks
 * the garbage collector for the tensors nobody references any more (their Cleaner gives their blocks back here),
 * takes a returned block of the right size if one came back, else empties the cache, and retries. Only then does it
 * fail, with the op, the bytes asked, the bytes in use and the limit. So a training loop that never calls
 * {@code close()} stays flat at the limit instead of growing until the machine kills the process.
 *
 * <pre>{@code
 * BufferPool pool = new BufferPool(context, 1L << 30, 1L << 28, "pthread-cpu");
 * cl_mem block = pool.take(4096, "allocate", 1024, DType.FLOAT32);
 * pool.give(block, 4096);   // the next take(4096, ...) gets it back
 * }</pre>
 */
final class BufferPool {
    /** Rounding of sizes: small enough to waste little, large enough that nearby sizes share blocks. */
    static final long GRANULE = 256;
    /** Longest wait for the Cleaner to return the blocks of collected tensors after a GC. */
    private static final long RECLAIM_WAIT_MILLIS = 1000;
    /** The Cleaner is done when no block came back for this long. */
    private static final long RECLAIM_QUIET_MILLIS = 20;

    private final cl_context context;
    private final long limitBytes;
    private final long maxBufferBytes;
    private final String deviceName;
    private final Map<Long, ArrayDeque<cl_mem>> free = new HashMap<>();
    private long cachedBytes;
    private long allocatedBytes;
    private long peakBytes;
    private long reuses;
    private long reclaims;
    private long returns;
    private boolean closed;

    /**
     * @param limitBytes     most bytes held from the driver at once (live buffers and cached ones)
     * @param maxBufferBytes the largest single buffer the device allows ({@code CL_DEVICE_MAX_MEM_ALLOC_SIZE})
     * @param deviceName     for messages
     */
    BufferPool(cl_context context, long limitBytes, long maxBufferBytes, String deviceName) {
        this.context = context;
        this.limitBytes = limitBytes;
        this.maxBufferBytes = maxBufferBytes;
        this.deviceName = deviceName;
    }

    /** The size class of a request: at least one granule, so zero-length buffers are valid too. */
    static long sizeClass(long bytes) {
        return Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
    }

    /**
     * A block of exactly {@code capacity} bytes (a {@link #sizeClass}) for {@code op}, which asked for
     * {@code elements} of {@code dtype} (the three are only formatted into an error).
     *
     * @throws IllegalStateException when the device cannot hold it even after reclaiming garbage
     */
    synchronized cl_mem take(long capacity, String op, long elements, DType dtype) {
        cl_mem cached = fromCache(capacity);
        if (cached != null) {
            return cached;
        }
        if (capacity > maxBufferBytes) {
            throw outOfMemory(op, elements, dtype, capacity, "larger than the largest buffer " + deviceName
                    + " allows (" + maxBufferBytes + " bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
        }
        if (capacity > limitBytes - allocatedBytes) {
            cached = reclaim(capacity, true);
            if (cached != null) {
                return cached;
            }
            if (capacity > limitBytes - allocatedBytes) {
                throw outOfMemory(op, elements, dtype, capacity,
                        "more than the memory limit allows even after reclaiming the buffers of unreachable tensors");
            }
        }
        cl_mem memory;
        try {
            memory = clCreateBuffer(context, CL_MEM_READ_WRITE, capacity, null, null);
        } catch (CLException refused) {
            if (!outOfMemory(refused.getStatus())) {
                throw refused;
            }
            cached = reclaim(capacity, false);
            if (cached != null) {
                return cached;
            }
            try {
                memory = clCreateBuffer(context, CL_MEM_READ_WRITE, capacity, null, null);
            } catch (CLException again) {
                if (!outOfMemory(again.getStatus())) {
                    throw again;
                }
                throw outOfMemory(op, elements, dtype, capacity, "the driver refused it (" + again.getMessage()
                        + ") even after reclaiming the buffers of unreachable tensors");
            }
        }
        allocatedBytes += capacity;
        peakBytes = Math.max(peakBytes, allocatedBytes);
        return memory;
    }

    /** Returns a block to the cache (called from any thread, including the Cleaner's). */
    synchronized void give(cl_mem memory, long capacity) {
        if (closed) { // a tensor collected after its backend closed: nothing will reuse the block
            clReleaseMemObject(memory);
            allocatedBytes -= capacity;
            return;
        }
        free.computeIfAbsent(capacity, key -> new ArrayDeque<>()).push(memory);
        cachedBytes += capacity;
        returns++;
        notifyAll();   // a reclaim may be waiting for the Cleaner
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

    /** Bytes held from the driver, bytes of them cached (free), the peak, the limit and the reuse counts. */
    synchronized String describe() {
        return allocatedBytes + " bytes allocated, " + cachedBytes + " cached, peak " + peakBytes + " of a "
                + limitBytes + "-byte limit, " + reuses + " reuses, " + reclaims + " reclaims";
    }

    /** The most bytes held from the driver at once so far. */
    synchronized long peakBytes() {
        return peakBytes;
    }

    private cl_mem fromCache(long capacity) {
        ArrayDeque<cl_mem> blocks = free.get(capacity);
        if (blocks == null || blocks.isEmpty()) {
            return null;
        }
        cachedBytes -= capacity;
        reuses++;
        return blocks.pop();
    }

    /**
     * Collects garbage so that the Cleaner returns the blocks of unreachable tensors, waits for them, and returns
     * one of {@code capacity} bytes if one came back; otherwise empties the cache (blocks of other sizes) and
     * returns null. It stops waiting once a block of that size is back, or ({@code underLimit}) once trimming the
     * cache would make room under the limit, or when the returns have stopped, and after at most
     * {@value #RECLAIM_WAIT_MILLIS} ms: the Cleaner thread may be slow to run on a busy machine. Waiting releases
     * this pool's lock, which the Cleaner's {@link #give} needs.
     */
    private cl_mem reclaim(long capacity, boolean underLimit) {
        reclaims++;
        long before = returns;
        System.gc();
        long start = System.nanoTime();
        long seen = returns;
        long quietSince = start;
        while (true) {
            ArrayDeque<cl_mem> blocks = free.get(capacity);
            if ((blocks != null && !blocks.isEmpty())
                    || (underLimit && capacity <= limitBytes - (allocatedBytes - cachedBytes))) {
                break;
            }
            long now = System.nanoTime();
            if (returns != seen) {
                seen = returns;
                quietSince = now;
            }
            if ((returns != before && (now - quietSince) / 1_000_000 >= RECLAIM_QUIET_MILLIS)
                    || (now - start) / 1_000_000 >= RECLAIM_WAIT_MILLIS) {
                break;
            }
            try {
                wait(RECLAIM_QUIET_MILLIS / 4);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        cl_mem returned = fromCache(capacity);
        if (returned == null) {
            trim();
        }
        return returned;
    }

    private static boolean outOfMemory(int status) {
        return status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
                || status == CL_OUT_OF_HOST_MEMORY || status == CL_INVALID_BUFFER_SIZE;
    }

    private IllegalStateException outOfMemory(String op, long elements, DType dtype, long capacity, String why) {
        return new IllegalStateException("opencl: out of device memory: " + op + " of " + elements + " " + dtype
                + " asks for " + capacity
                + " bytes on " + deviceName + ", " + why + "; in use " + (allocatedBytes - cachedBytes)
                + " bytes (" + cachedBytes + " more cached), limit " + limitBytes + " bytes (set "
                + OpenClBackend.MEMORY_LIMIT_PROPERTY + " to change it; close() tensors you no longer need)");
    }
}
