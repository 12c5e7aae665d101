package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.Quiver;
import dev.quiver.Tensor;
import org.junit.jupiter.api.Test;

/** The caching allocator: reuse of large arrays, no pooling of small ones, the byte bound, and ops over reused memory. */
class CpuBufferPoolTest {
    private static final int LARGE = CpuBufferPool.MIN_POOLED_LENGTH + 3;

    @Test
    void largeArraysAreReusedAfterRelease() {
        CpuBufferPool pool = new CpuBufferPool(1L << 30);
        CpuBuffer first = pool.allocate(DType.FLOAT32, LARGE);
        Object array = first.array();
        assertFalse(first.reclaimedByGarbageCollector(), "a pooled buffer must come back through release()");
        first.release();
        first.release(); // idempotent: the array goes back once
        assertEquals(4L * LARGE, pool.pooledBytes());
        CpuBuffer second = pool.allocate(DType.FLOAT32, LARGE);
        assertSame(array, second.array());
        assertEquals(0, pool.pooledBytes());
        assertThrows(IllegalStateException.class, first::array, "the released wrapper still fails loudly");
        assertNotSame(array, pool.allocate(DType.FLOAT32, LARGE).array(), "an array is handed out once");
        assertNotSame(array, pool.allocate(DType.FLOAT64, LARGE).array(), "dtype is part of the key");
    }

    @Test
    void smallArraysAreNotPooledAndNeedNoCleaner() {
        CpuBufferPool pool = new CpuBufferPool(1L << 30);
        CpuBuffer small = pool.allocate(DType.FLOAT32, 17);
        assertTrue(small.reclaimedByGarbageCollector());
        small.release();
        assertEquals(0, pool.pooledBytes());
        assertThrows(IllegalStateException.class, small::array);
    }

    @Test
    void thePoolKeepsNoMoreThanItsCapacity() {
        CpuBufferPool pool = new CpuBufferPool(4L * LARGE + 1);
        CpuBuffer a = pool.allocate(DType.FLOAT32, LARGE);
        CpuBuffer b = pool.allocate(DType.FLOAT32, LARGE);
        a.release();
        b.release();
        assertEquals(4L * LARGE, pool.pooledBytes());
        CpuBufferPool off = new CpuBufferPool(0);
        CpuBuffer c = off.allocate(DType.FLOAT32, LARGE);
        assertTrue(c.reclaimedByGarbageCollector(), "with pooling off a buffer is an ordinary array");
    }

    @Test
    void opsOverReusedMemoryWriteEveryElement() {
        Quiver.use("cpu");
        int n = LARGE;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1);
        Tensor x = Tensor.constant(ones);
        float[] expected = new float[n];
        for (int round = 0; round < 3; round++) {
            // each round's results reuse the previous round's closed arrays (full of other values)
            try (Tensor doubled = x.add(x); Tensor scaled = doubled.mul(x.add(round))) {
                java.util.Arrays.fill(expected, 2f * (1 + round));
                assertArrayEquals(expected, scaled.toFloatArray());
            }
        }
    }
}
