package dev.quiver.spi;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The caching, bounded device-memory allocator every device backend shares: released blocks are kept by size class
 * and handed out again instead of calling the driver, because a training step allocates the same sizes every step;
 * and the bytes held from the driver never exceed a {@link Bounds#limitBytes() limit} (the device's memory, or a
 * backend's memory-limit property), nor does one block exceed the largest the device allows.
 *
 * <p>When a request would cross the limit, does not fit in the memory the driver reports free, or the driver
 * refuses it, the allocator reclaims before it gives up: it asks the garbage collector for the tensors nobody
 * references any more (their {@link java.lang.ref.Cleaner} gives their blocks back here), waits for those blocks,
 * takes a returned block of the right size if one came back, else empties the cache, and retries. Only then does it
 * fail, naming the op, the bytes asked, the bytes in use, the bytes free and the limit. So a training loop that
 * never calls {@code close()} stays flat at the limit instead of growing until the machine kills the process.
 *
 * <p>The backend supplies the driver calls as a {@link Device}; the handle type {@code M} is whatever the driver
 * uses ({@code cl_mem} for OpenCL, a {@code long} device pointer for CUDA). Stream/queue ordering makes reuse
 * safe: a block given back while kernels that read it are queued is only handed to work queued after them.
 *
 * <pre>{@code
 * CachingAllocator<Long> allocator = new CachingAllocator<>("cuda", "H200", device,
 *         CachingAllocator.Bounds.limit(CachingAllocator.sizeProperty("quiver.cuda.memoryLimit", Long.MAX_VALUE,
 *                 "cuda"), "quiver.cuda.memoryLimit"));
 * long capacity = CachingAllocator.sizeClass(4000);     // 4096
 * Long block = allocator.take(capacity, "add of 1000 float32");
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
    /** Longest wait for the Cleaner to return the blocks of collected tensors after a GC. */
    private static final long RECLAIM_WAIT_MILLIS = 1000;
    /** The Cleaner is done when no block came back for this long. */
    private static final long RECLAIM_QUIET_MILLIS = 20;

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

    /**
     * What the allocator may hold: at most {@code limitBytes} from the driver at once ({@code limitHint} says how a
     * user changes it), and no block over {@code maxBlockBytes} (what the device calls that bound, for messages).
     *
     * <pre>{@code
     * Bounds bounds = new Bounds(1L << 30, "set quiver.opencl.memoryLimit to change it",
     *         256L << 20, "CL_DEVICE_MAX_MEM_ALLOC_SIZE");
     * }</pre>
     */
    public record Bounds(long limitBytes, String limitHint, long maxBlockBytes, String maxBlockSource) {
        /** No bound but the memory the driver has. */
        public static final Bounds NONE = new Bounds(Long.MAX_VALUE, "", Long.MAX_VALUE, "");

        /** At most {@code limitBytes}, set by the system property {@code property}; blocks of any size. */
        public static Bounds limit(long limitBytes, String property) {
            return new Bounds(limitBytes, "set " + property + " to change it", Long.MAX_VALUE, "");
        }
    }

    private final String backend;
    private final String deviceName;
    private final Device<M> device;
    private final Bounds bounds;
    private final Map<Long, ArrayDeque<M>> free = new HashMap<>();
    private long cachedBytes;
    private long allocatedBytes;
    private long peakBytes;
    private long reuses;
    private long reclaims;
    private long returns;
    private boolean closed;

    /** An allocator bounded only by the memory the driver has. */
    public CachingAllocator(String backend, Device<M> device) {
        this(backend, backend, device, Bounds.NONE);
    }

    /**
     * @param backend    the backend's name, for error messages
     * @param deviceName the device's name, for error messages
     * @param device     the driver calls
     * @param bounds     the limit and the largest block
     */
    public CachingAllocator(String backend, String deviceName, Device<M> device, Bounds bounds) {
        this.backend = backend;
        this.deviceName = deviceName;
        this.device = device;
        this.bounds = bounds;
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
     * The size the system property {@code property} sets, in bytes or with a suffix {@code k}, {@code m}, {@code g}
     * ({@code 512m}), or {@code otherwise} when it is not set.
     *
     * @throws IllegalArgumentException naming the property when it is not a positive size
     */
    public static long sizeProperty(String property, long otherwise, String backend) {
        String text = System.getProperty(property, "").trim().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            return otherwise;
        }
        int shift = switch (text.charAt(text.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        try {
            long value = Long.parseLong(shift == 0 ? text : text.substring(0, text.length() - 1).trim());
            if (value <= 0 || value > Long.MAX_VALUE >> shift) {
                throw new NumberFormatException("out of range");
            }
            return value << shift;
        } catch (NumberFormatException malformed) {
            throw new IllegalArgumentException(backend + ": " + property + "='" + text + "' is not a positive size "
                    + "in bytes (e.g. 1073741824, 512m or 2g)", malformed);
        }
    }

    /**
     * A block of exactly {@code capacity} bytes (a {@link #sizeClass}): from the cache, else from the driver, else
     * after reclaiming garbage.
     *
     * @param op what the memory is for (e.g. {@code "add of 1000 float32"}), named in the error when there is none
     * @throws IllegalStateException when the device has no room even after reclaiming
     */
    public synchronized M take(long capacity, String op) {
        if (closed) {
            throw new IllegalStateException(backend + ": " + op + " allocates on a closed backend");
        }
        M block = fromCache(capacity);
        if (block != null) {
            return block;
        }
        if (capacity > bounds.maxBlockBytes()) {
            throw outOfMemory(op, capacity, "larger than the largest block " + deviceName + " allows ("
                    + bounds.maxBlockBytes() + " bytes, " + bounds.maxBlockSource() + ")");
        }
        boolean reclaimed = false;
        // Only the limit is checked up front; whether the device has room is the driver's answer below (a null),
        // not a free-memory query per cache miss, which would double the driver calls of every new block.
        if (capacity > bounds.limitBytes() - allocatedBytes) {
            block = reclaim(capacity);
            reclaimed = true;
            if (block != null) {
                return block;
            }
            if (capacity > bounds.limitBytes() - allocatedBytes) {
                throw outOfMemory(op, capacity,
                        "more than the memory limit allows even after reclaiming the buffers of unreachable tensors");
            }
        }
        M memory = device.allocate(capacity);
        if (memory == null && !reclaimed) {
            block = reclaim(capacity);
            if (block != null) {
                return block;
            }
            memory = device.allocate(capacity);
        }
        if (memory == null) {
            throw outOfMemory(op, capacity,
                    "the driver refused it even after reclaiming the buffers of unreachable tensors");
        }
        allocatedBytes += capacity;
        peakBytes = Math.max(peakBytes, allocatedBytes);
        return memory;
    }

    /** Returns a block to the cache; any thread, including the Cleaner's. After {@link #close()} it is freed. */
    public synchronized void give(M memory, long capacity) {
        if (closed) { // a tensor collected after its backend closed: nothing will reuse the block
            device.free(memory, capacity);
            allocatedBytes -= capacity;
            return;
        }
        free.computeIfAbsent(capacity, key -> new ArrayDeque<>()).push(memory);
        cachedBytes += capacity;
        returns++;
        notifyAll();   // a reclaim may be waiting for the Cleaner
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

    /** The backend's name, for error messages. */
    public String backend() {
        return backend;
    }

    /** Bytes held from the driver (in use or cached). */
    public synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    /** Bytes held in the cache, ready for reuse. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** The most bytes held from the driver at once so far. */
    public synchronized long peakBytes() {
        return peakBytes;
    }

    /** Bytes held from the driver, bytes of them cached, the peak, the limit, and the reuse and reclaim counts. */
    public synchronized String describe() {
        return allocatedBytes + " bytes allocated, " + cachedBytes + " cached, peak " + peakBytes
                + (bounds.limitBytes() == Long.MAX_VALUE ? "" : " of a " + bounds.limitBytes() + "-byte limit")
                + ", " + reuses + " reuses, " + reclaims + " reclaims";
    }

    private M fromCache(long capacity) {
        ArrayDeque<M> blocks = free.get(capacity);
        if (blocks == null || blocks.isEmpty()) {
            return null;
        }
        cachedBytes -= capacity;
        reuses++;
        return blocks.pop();
    }

    /** Whether the driver reports room for {@code capacity} bytes once {@code cached} bytes are freed (or cannot say). */
    private boolean fitsOnDevice(long capacity, long cached) {
        long available = device.freeBytes();
        return available < 0 || capacity <= available + cached;
    }

    /**
     * Collects garbage so that the Cleaner returns the blocks of unreachable tensors, waits for them, and returns
     * one of {@code capacity} bytes if one came back; otherwise empties the cache (blocks of other sizes) and
     * returns null. It stops waiting once a block of that size is back, or once trimming the cache would make room,
     * or when the returns have stopped, and after at most {@value #RECLAIM_WAIT_MILLIS} ms: the Cleaner thread may
     * be slow to run on a busy machine. Waiting releases this allocator's lock, which the Cleaner's {@link #give}
     * needs.
     */
    private M reclaim(long capacity) {
        reclaims++;
        long before = returns;
        System.gc();
        long start = System.nanoTime();
        long seen = returns;
        long quietSince = start;
        while (true) {
            ArrayDeque<M> blocks = free.get(capacity);
            if ((blocks != null && !blocks.isEmpty())
                    || (capacity <= bounds.limitBytes() - (allocatedBytes - cachedBytes)
                    && fitsOnDevice(capacity, cachedBytes))) {
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
        M returned = fromCache(capacity);
        if (returned == null) {
            trim();
        }
        return returned;
    }

    private IllegalStateException outOfMemory(String op, long capacity, String why) {
        long available = device.freeBytes();
        return new IllegalStateException(backend + ": out of device memory: " + op + " asks for a block of "
                + capacity + " bytes on " + deviceName + ", " + why + "; in use " + (allocatedBytes - cachedBytes)
                + " bytes (" + cachedBytes + " more cached)"
                + (available < 0 ? "" : ", " + available + " bytes free on the device")
                + (bounds.limitBytes() == Long.MAX_VALUE ? "" : ", limit " + bounds.limitBytes() + " bytes ("
                + bounds.limitHint() + ")") + "; close() tensors you no longer need, or make the batch smaller");
    }
}
