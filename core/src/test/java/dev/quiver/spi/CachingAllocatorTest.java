package dev.quiver.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CachingAllocatorTest {

    /** A device of {@code total} bytes that hands out numbered blocks. */
    static final class FakeDevice implements CachingAllocator.Device<Long> {
        final long total;
        long used;
        long next;
        final List<Long> freed = new ArrayList<>();

        FakeDevice(long total) {
            this.total = total;
        }

        @Override
        public synchronized Long allocate(long bytes) {
            if (used + bytes > total) {
                return null;
            }
            used += bytes;
            return next++;
        }

        @Override
        public synchronized void free(Long memory, long bytes) {
            used -= bytes;
            freed.add(memory);
        }

        @Override
        public synchronized long freeBytes() {
            return total - used;
        }
    }

    @Test
    void sizeClassesAreGranulesBelowOneMebibyteAndEighthsOfAPowerOfTwoAbove() {
        assertEquals(256, CachingAllocator.sizeClass(0));
        assertEquals(256, CachingAllocator.sizeClass(1));
        assertEquals(512, CachingAllocator.sizeClass(257));
        assertEquals(1 << 20, CachingAllocator.sizeClass(1 << 20));
        // (1 MiB, 2 MiB] in steps of 128 KiB
        assertEquals((1 << 20) + (1 << 17), CachingAllocator.sizeClass((1 << 20) + 1));
        // 256M float32 = 1 GiB exactly stays 1 GiB; one byte more goes to the next eighth
        assertEquals(1L << 30, CachingAllocator.sizeClass(1L << 30));
        assertEquals((1L << 30) + (1L << 27), CachingAllocator.sizeClass((1L << 30) + 1));
        for (long bytes = 1; bytes < 1L << 34; bytes = bytes * 3 + 7) {
            long size = CachingAllocator.sizeClass(bytes);
            assertTrue(size >= bytes && size - bytes <= Math.max(CachingAllocator.GRANULE, bytes / 8),
                    bytes + " -> " + size);
            assertEquals(size, CachingAllocator.sizeClass(size), "a size class is its own class: " + size);
        }
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.sizeClass(-1));
    }

    @Test
    void aGivenBackBlockIsReusedForTheSameSizeClass() {
        FakeDevice device = new FakeDevice(1 << 20);
        CachingAllocator<Long> allocator = new CachingAllocator<>("test", device);
        Long first = allocator.take(4096, "a");
        allocator.give(first, 4096);
        assertSame(first, allocator.take(4096, "b"));
        assertEquals(4096, allocator.allocatedBytes());
        Long other = allocator.take(8192, "c");
        assertTrue(other != first.longValue());
        assertTrue(allocator.describe().contains("1 reuses"), allocator.describe());
    }

    @Test
    void aRequestThatDoesNotFitEmptiesTheCacheFirst() {
        FakeDevice device = new FakeDevice(8192);
        CachingAllocator<Long> allocator = new CachingAllocator<>("test", device);
        allocator.give(allocator.take(4096, "a"), 4096);
        allocator.give(allocator.take(2048, "b"), 2048);
        Long big = allocator.take(8192, "c");   // only fits once both cached blocks went back to the driver
        assertEquals(2, device.freed.size());
        assertEquals(0, allocator.cachedBytes());
        assertEquals(8192, allocator.allocatedBytes());
        allocator.give(big, 8192);
    }

    @Test
    void garbageIsReclaimedThroughTheCleanerUnderPressure() {
        FakeDevice device = new FakeDevice(4 * 4096);
        CachingAllocator<Long> allocator = new CachingAllocator<>("test", device);
        Cleaner cleaner = Cleaner.create();
        for (int i = 0; i < 4; i++) {
            holdUntilCollected(allocator, cleaner);   // the holders become garbage at once
        }
        // the device is full of unreachable tensors' blocks: the allocator must collect them to serve this
        Long block = allocator.take(4096, "step 5");
        assertTrue(block >= 0);
        assertTrue(allocator.describe().contains("reclaims"), allocator.describe());
    }

    private static void holdUntilCollected(CachingAllocator<Long> allocator, Cleaner cleaner) {
        PooledBuffer<Long> buffer = new PooledBuffer<>(allocator, allocator.take(4096, "step"), 4096, DType.FLOAT32,
                1024);
        Object tensor = new Object();
        cleaner.register(tensor, buffer::release);
    }

    @Test
    void aRealOutOfMemoryNamesTheOpTheBytesInUseAndFree() {
        FakeDevice device = new FakeDevice(10_000);
        CachingAllocator<Long> allocator = new CachingAllocator<>("cuda", device);
        Long kept = allocator.take(8192, "keep");
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> allocator.take(4096, "matmul float32 (64, 64)"));
        assertEquals("cuda: out of device memory: matmul float32 (64, 64) asks for a block of 4096 bytes on cuda, "
                + "the driver refused it even after reclaiming the buffers of unreachable tensors; in use 8192 bytes "
                + "(0 more cached), 1808 bytes free on the device; close() tensors you no longer need, or make the "
                + "batch smaller", error.getMessage());
        allocator.give(kept, 8192);
    }

    @Test
    void theLimitBoundsWhatIsHeldAndTheLargestBlockIsRefusedUpFront() {
        FakeDevice device = new FakeDevice(1 << 20);
        CachingAllocator<Long> allocator = new CachingAllocator<>("opencl", "pthread-cpu", device,
                new CachingAllocator.Bounds(8192, "set quiver.opencl.memoryLimit to change it", 4096,
                        "CL_DEVICE_MAX_MEM_ALLOC_SIZE"));
        IllegalStateException tooLarge = assertThrows(IllegalStateException.class,
                () -> allocator.take(8192, "upload of 2048 float32"));
        assertTrue(tooLarge.getMessage().startsWith("opencl: out of device memory: upload of 2048 float32 asks for "
                + "a block of 8192 bytes on pthread-cpu, larger than the largest block pthread-cpu allows (4096 "
                + "bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE)"), tooLarge.getMessage());
        assertEquals(0, device.used, "refused before asking the driver");
        Long first = allocator.take(4096, "a");
        Long second = allocator.take(4096, "b");
        IllegalStateException overLimit = assertThrows(IllegalStateException.class, () -> allocator.take(256, "c"));
        assertTrue(overLimit.getMessage().contains("more than the memory limit allows even after reclaiming")
                && overLimit.getMessage().contains("in use 8192 bytes")
                && overLimit.getMessage().contains("limit 8192 bytes (set quiver.opencl.memoryLimit to change it)"),
                overLimit.getMessage());
        allocator.give(first, 4096);
        assertEquals(256, allocator.sizeClass(256));
        Long third = allocator.take(256, "d");   // over the limit until the cached block goes back to the driver
        assertEquals(4096 + 256, allocator.allocatedBytes());
        assertEquals(8192, allocator.peakBytes());
        assertTrue(allocator.describe().contains("peak 8192 of a 8192-byte limit"), allocator.describe());
        allocator.give(second, 4096);
        allocator.give(third, 256);
    }

    @Test
    void theSizePropertyTakesBytesOrASuffixAndNamesItselfWhenMalformed() {
        String property = "quiver.test.memoryLimit";
        try {
            assertEquals(77, CachingAllocator.sizeProperty(property, 77, "cuda"), "unset: the default");
            System.setProperty(property, "3g");
            assertEquals(3L << 30, CachingAllocator.sizeProperty(property, 77, "cuda"));
            System.setProperty(property, "-5");
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> CachingAllocator.sizeProperty(property, 77, "cuda"));
            assertEquals("cuda: quiver.test.memoryLimit='-5' is not a positive size in bytes (e.g. 1073741824, 512m "
                    + "or 2g)", error.getMessage());
        } finally {
            System.clearProperty(property);
        }
    }

    @Test
    void aReleasedBufferRefusesUseAndGoesBackOnce() {
        FakeDevice device = new FakeDevice(1 << 20);
        CachingAllocator<Long> allocator = new CachingAllocator<>("test", device);
        PooledBuffer<Long> buffer = new PooledBuffer<>(allocator, allocator.take(512, "a"), 512, DType.INT32, 100);
        assertEquals(0L, buffer.memory("add"));
        buffer.release();
        buffer.release();
        assertEquals(512, allocator.cachedBytes());
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> buffer.memory("exp"));
        assertEquals("test: exp uses a released int32 buffer of 100 elements", error.getMessage());
    }

    @Test
    void afterCloseBlocksGoStraightBackToTheDriver() {
        FakeDevice device = new FakeDevice(1 << 20);
        CachingAllocator<Long> allocator = new CachingAllocator<>("test", device);
        Long block = allocator.take(1024, "a");
        allocator.close();
        allocator.give(block, 1024);
        assertEquals(List.of(block), device.freed);
        assertEquals(0, device.used);
        assertThrows(IllegalStateException.class, () -> allocator.take(1024, "late"));
    }
}
