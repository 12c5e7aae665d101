package dev.quiver.spi;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching device-memory allocator that any device backend can share: released blocks are kept by size class and
 * handed out again instead of calling the driver, because a training step allocates the same sizes every step.
 * It knows how much memory the device has free; when a request does not fit, it reclaims garbage before it gives up:
 * it empties its cache, then asks the JVM to collect (tensors nobody references give their buffers back through
 * core's {@link java.lang.ref.Cleaner}), waits for those blocks, empties the cache again and retries. A real
 * out-of-memory is an error naming the op, the bytes asked, the bytes in use and the bytes free.
 *
 * <p>The backend supplies the driver calls as a {@link Device}; the handle type {@code M} is whatever the driver
 * uses ({@code cl_mem} for OpenCL, a {@code long} device pointer for CUDA). Stream/queue ordering makes reuse
 * safe: a block given back while kernels that read it are queued is only handed to work queued after them.
 *
 * <pre>{@code
 * CachingAllocator<Long> allocator = new CachingAllocator<>("cuda", device);
 * long capacity = CachingAllocator.sizeClass(4000);     // 4096
 * Long block = allocator.take(capacity, "add float32 (1000,)");
 * allocator.give(block, capacity);                      // the next take(4096) gets it back
 * }</pre>
 *
 * @param <M> the driver's handle of one block of device memory
 */
public final class CachingAllocator<M> {
    /** Size classes below {@value #LARGE} bytes are multiples of this. */
    public static final long GRANULE = 256;
    /** From this size on, each power of two is split into {@value #CLASSES_PER_DOUBLING} classes. */
    public static final long LARGE = 1L << 20;
    static final int CLASSES_PER_DOUBLING = 8;
    /** How often a request that does not fit collects garbage and waits for the Cleaner before it fails. */
    private static final int COLLECTIONS = 3;
    private static final long CLEANER_WAIT_MILLIS = 50;

    /**
     * The driver calls behind the allocator.
     *
     * @param <M> the driver's handle of a block
     */
    public interface Device<M> {
        /** A new block of exactly {@code bytes}, or {@code null} when the device is out of memory. */
        M allocate(long bytes);

        /** Gives a block back to the driver (called from the backend's thread or, after close, any thread). */
        void free(M memory, long bytes);

        /** Free device memory as the driver reports it, or {@code -1} when the driver cannot say. */
        long freeBytes();
    }

    private final String backend;
    private final Device<M> device;
    private final Map<Long, ArrayDeque<M>> free = new HashMap<>();
    private long cachedBytes;
    private long allocatedBytes;
    private long reuses;
    private long reclaims;
    private boolean closed;

    /**
     * @param backend the backend's name, for error messages
     * @param device  the driver calls
     */
    public CachingAllocator(String backend, Device<M> device) {
        this.backend = backend;
        this.device = device;
    }

    /**
     * The size class of a request: at least one granule (so zero-length buffers are valid); multiples of
     * {@value #GRANULE} bytes below {@value #LARGE}; above, the next of 8 steps per power of two, so a block wastes at
     * most 1/8 of its size while nearby large sizes still share blocks.
     */
    public static long sizeClass(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocator: negative size " + bytes);
        }
        if (bytes <= LARGE) {
            return Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
        }
        long step = Long.highestOneBit(bytes - 1) / CLASSES_PER_DOUBLING;
        return (bytes + step - 1) / step * step;
    }

    /**
     * A block of exactly {@code capacity} bytes (a {@link #sizeClass}): from the cache, else from the driver, else
     * after reclaiming garbage.
     *
     * @param op what the memory is for, named in the error when there is none
     * @throws IllegalStateException when the device has no room even after reclaiming
     */
    public synchronized M take(long capacity, String op) {
        if (closed) {
            throw new IllegalStateException(backend + ": " + op + " allocates on a closed backend");
        }
        ArrayDeque<M> blocks = free.get(capacity);
        if (blocks != null && !blocks.isEmpty()) {
            cachedBytes -= capacity;
            reuses++;
            return blocks.pop();
        }
        M memory = fits(capacity) ? device.allocate(capacity) : null;
        for (int round = 0; memory == null && round <= COLLECTIONS; round++) {
            reclaims++;
            if (round > 0) {
                collectGarbage(round);
            }
            trim();
            memory = device.allocate(capacity);
        }
        if (memory == null) {
            long available = device.freeBytes();
            throw new IllegalStateException(backend + ": out of device memory in " + op + ": asked " + capacity
                    + " bytes, " + (allocatedBytes - cachedBytes) + " bytes in use by live buffers, "
                    + (available < 0 ? "free memory unknown" : available + " bytes free on the device")
                    + " (after emptying the cache and " + COLLECTIONS + " garbage collections; close tensors "
                    + "you no longer need, or make the batch smaller)");
        }
        allocatedBytes += capacity;
        return memory;
    }

    /** Whether the driver reports room for {@code capacity} bytes (or cannot say). */
    private boolean fits(long capacity) {
        long available = device.freeBytes();
        return available < 0 || capacity <= available;
    }

    /** Asks the JVM to collect and waits a little for the Cleaner to give unreachable tensors' blocks back. */
    private void collectGarbage(int round) {
        long before = cachedBytes;
        System.gc();
        long deadline = System.nanoTime() + CLEANER_WAIT_MILLIS * round * 1_000_000L;
        try {
            // wait() releases this lock, so the Cleaner thread's give() can run and notify
            while (cachedBytes == before && System.nanoTime() < deadline) {
                wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Returns a block to the cache; any thread, including the Cleaner's. After {@link #close()} it is freed. */
    public synchronized void give(M memory, long capacity) {
        if (closed) { // a tensor collected after its backend closed: nothing will reuse the block
            device.free(memory, capacity);
            return;
        }
        free.computeIfAbsent(capacity, key -> new ArrayDeque<>()).push(memory);
        cachedBytes += capacity;
        notifyAll();
    }

    /** Gives every cached block back to the driver. */
    public synchronized void trim() {
        for (Map.Entry<Long, ArrayDeque<M>> entry : free.entrySet()) {
            for (M memory : entry.getValue()) {
                device.free(memory, entry.getKey());
                allocatedBytes -= entry.getKey();
            }
        }
        free.clear();
        cachedBytes = 0;
    }

    /** Empties the cache; blocks given back from now on go straight to the driver. */
    public synchronized void close() {
        trim();
        closed = true;
    }

    /** Bytes held from the driver (in use or cached). */
    public synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    /** Bytes held in the cache, ready for reuse. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Bytes held from the driver, how many of them are cached, and how often the cache served or reclaimed. */
    public synchronized String describe() {
        return allocatedBytes + " bytes allocated, " + cachedBytes + " cached, " + reuses + " reuses, " + reclaims
                + " reclaims";
    }
}
