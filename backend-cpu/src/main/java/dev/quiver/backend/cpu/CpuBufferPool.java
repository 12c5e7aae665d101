package dev.quiver.backend.cpu;

import dev.quiver.DType;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps the arrays of released large buffers for reuse: the CPU backend's caching allocator.
 *
 * <p>Why: a fresh Java array is zeroed by the JVM, and a large one is a "humongous" G1 allocation. For a 16M-element
 * add that zeroing is a fourth pass over memory on top of the op's three (two reads, one write), and the garbage it
 * leaves costs collections: measured, the add ran at half the plain-Java triad bandwidth. A released array is
 * handed out again without zeroing ({@link dev.quiver.spi.Backend#allocate} promises no contents). Small arrays are
 * not pooled: the JVM allocates them from its thread-local buffers faster than any pool could.
 *
 * <p>Arrays come back when their tensor is closed, or through core's {@link java.lang.ref.Cleaner} when it is
 * collected (which is why pooled buffers keep one), so this is thread-safe. The pool is bounded in bytes.
 *
 * <pre>{@code
 * CpuBufferPool pool = new CpuBufferPool(256L << 20);
 * CpuBuffer a = pool.allocate(DType.FLOAT32, 1 << 20);   // new float[1 << 20]
 * a.release();                                           // back to the pool
 * CpuBuffer b = pool.allocate(DType.FLOAT32, 1 << 20);   // the same array, not zeroed
 * }</pre>
 */
final class CpuBufferPool {
    /** Buffers of at least this many elements are pooled (256 KiB of float32): below it allocation is cheap. */
    static final int MIN_POOLED_LENGTH = 1 << 16;
    /** At most this many arrays of one (dtype, length) are kept. */
    private static final int MAX_PER_SIZE = 4;

    private final long capacityBytes;
    private final Map<Long, ArrayDeque<Object>> free = new HashMap<>();
    private long pooledBytes;

    /** @param capacityBytes the most memory kept for reuse; 0 turns pooling off */
    CpuBufferPool(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** The default: an eighth of the maximum heap, at most 1 GiB. */
    static CpuBufferPool withDefaultCapacity() {
        return new CpuBufferPool(Math.min(Runtime.getRuntime().maxMemory() / 8, 1L << 30));
    }

    /** A buffer of {@code length} elements; zero-filled when new, unspecified when reused. */
    CpuBuffer allocate(DType dtype, long length) {
        if (length >= MIN_POOLED_LENGTH && capacityBytes > 0 && length <= CpuBuffer.MAX_LENGTH) {
            Object array = take(dtype, (int) length);
            if (array == null) {
                array = CpuBuffer.newArray(dtype, length);
            }
            return new CpuBuffer(dtype, array, (int) length, this);
        }
        return CpuBuffer.allocate(dtype, length);
    }

    private synchronized Object take(DType dtype, int length) {
        ArrayDeque<Object> arrays = free.get(key(dtype, length));
        Object array = arrays == null ? null : arrays.pollFirst();
        if (array != null) {
            pooledBytes -= (long) length * dtype.byteSize();
        }
        return array;
    }

    /** Called by {@link CpuBuffer#release()}: keeps the array when there is room, else lets the GC have it. */
    synchronized void give(DType dtype, Object array, int length) {
        long bytes = (long) length * dtype.byteSize();
        if (pooledBytes + bytes > capacityBytes) {
            return;
        }
        ArrayDeque<Object> arrays = free.computeIfAbsent(key(dtype, length), k -> new ArrayDeque<>());
        if (arrays.size() < MAX_PER_SIZE) {
            arrays.addFirst(array); // most recently used first: likeliest still in cache
            pooledBytes += bytes;
        }
    }

    /** Bytes held for reuse now (for tests). */
    synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** Drops every kept array. */
    synchronized void clear() {
        free.clear();
        pooledBytes = 0;
    }

    private static long key(DType dtype, int length) {
        return ((long) dtype.ordinal() << 32) | length;
    }
}
