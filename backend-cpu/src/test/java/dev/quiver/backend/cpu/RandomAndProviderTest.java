package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.TestSupport.ALL;
import static dev.quiver.backend.cpu.TestSupport.contiguous;
import static dev.quiver.backend.cpu.TestSupport.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Backend;
import dev.quiver.spi.BackendProvider;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Philox;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import dev.quiver.spi.TransferStats;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Philox streams, provider discovery, settings, transfers and buffer errors. */
class RandomAndProviderTest {
    // crosses the 2^32 boundary of the counter's low word
    private static final long COUNTER = (1L << 32) - 3;

    @Test
    void randomEqualsThePhiloxReferenceBitForBit() {
        long seed = 0x1234_5678_9ABC_DEF0L;
        int n = 1000;
        try (CpuBackend threaded = new CpuBackend(0, 2)) {
            for (Backend backend : java.util.List.of(ALL.get(0), ALL.get(ALL.size() - 1), threaded)) {
                CpuBuffer f64 = CpuBuffer.allocate(DType.FLOAT64, n);
                CpuBuffer f32 = CpuBuffer.allocate(DType.FLOAT32, n);
                backend.random(RandomDistribution.UNIFORM, seed, COUNTER, -2, 3, contiguous(f64, n));
                backend.random(RandomDistribution.UNIFORM, seed, COUNTER, -2, 3, contiguous(f32, n));
                for (int i = 0; i < n; i++) {
                    assertEquals(Philox.sampleDouble(RandomDistribution.UNIFORM, seed, COUNTER + i, -2, 3),
                            ((double[]) f64.array())[i]);
                    assertEquals(Philox.sampleFloat(RandomDistribution.UNIFORM, seed, COUNTER + i, -2, 3),
                            ((float[]) f32.array())[i]);
                }
                backend.random(RandomDistribution.NORMAL, seed, COUNTER, 1.5, 0.5, contiguous(f64, n));
                backend.random(RandomDistribution.NORMAL, seed, COUNTER, 1.5, 0.5, contiguous(f32, n));
                for (int i = 0; i < n; i++) {
                    assertEquals(Philox.sampleDouble(RandomDistribution.NORMAL, seed, COUNTER + i, 1.5, 0.5),
                            ((double[]) f64.array())[i]);
                    assertEquals(Philox.sampleFloat(RandomDistribution.NORMAL, seed, COUNTER + i, 1.5, 0.5),
                            ((float[]) f32.array())[i]);
                }
            }
        }
    }

    @Test
    void randomStatistics() {
        int n = 100_000;
        try (CpuBackend backend = new CpuBackend(CpuBackend.hardwareSimdBits(), 2)) {
            CpuBuffer normal = CpuBuffer.allocate(DType.FLOAT64, n);
            backend.random(RandomDistribution.NORMAL, 7, 0, 0, 1, contiguous(normal, n));
            double sum = 0;
            double squares = 0;
            for (double v : (double[]) normal.array()) {
                sum += v;
                squares += v * v;
            }
            double mean = sum / n;
            double std = Math.sqrt(squares / n - mean * mean);
            assertTrue(Math.abs(mean) < 0.02, "normal mean " + mean);
            assertTrue(Math.abs(std - 1) < 0.02, "normal std " + std);

            CpuBuffer uniform = CpuBuffer.allocate(DType.FLOAT32, n);
            backend.random(RandomDistribution.UNIFORM, 7, 0, -1, 2, contiguous(uniform, n));
            double uniformSum = 0;
            for (float v : (float[]) uniform.array()) {
                assertTrue(v >= -1 && v < 2, "uniform value " + v);
                uniformSum += v;
            }
            assertTrue(Math.abs(uniformSum / n - 0.5) < 0.02, "uniform mean " + uniformSum / n);

            // a strided output receives the same stream as a contiguous one
            CpuBuffer strided = CpuBuffer.allocate(DType.FLOAT32, 20);
            backend.random(RandomDistribution.UNIFORM, 7, 0, -1, 2, new StridedView(strided, new int[] {10}, new long[] {2}, 0));
            for (int i = 0; i < 10; i++) {
                assertEquals(((float[]) uniform.array())[i], ((float[]) strided.array())[2 * i]);
            }
        }
    }

    @Test
    void providerIsFoundAndDescribesTheMachine() {
        BackendProvider found = null;
        for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
            if (provider.name().equals("cpu")) {
                found = provider;
            }
        }
        assertTrue(found != null, "ServiceLoader did not find the cpu provider");
        assertEquals(10, found.priority());
        BackendProvider.Availability availability = found.availability();
        assertTrue(availability.available());
        assertTrue(availability.detail().contains("thread") && availability.detail().contains("SIMD"), availability.detail());
        try (Backend backend = found.create()) {
            assertEquals("cpu", backend.name());
            System.out.println("cpu backend: " + backend.deviceDescription());
        }
    }

    @Test
    void settingsAreValidatedAndCapped() {
        assertThrows(IllegalArgumentException.class, () -> new CpuBackend(100, 1));
        assertThrows(IllegalArgumentException.class, () -> new CpuBackend(256, 0));
        try (CpuBackend wide = new CpuBackend(512, 1)) {
            assertEquals(Math.min(512, CpuBackend.hardwareSimdBits()), wide.simdBits());
        }
        try (CpuBackend off = new CpuBackend(0, 3)) {
            assertEquals(0, off.simdBits());
            assertTrue(off.deviceDescription().contains("SIMD off") && off.deviceDescription().contains("3 threads"),
                    off.deviceDescription());
        }
    }

    @Test
    void transfersAreCountedAndBuffersCheckTheirUse() {
        try (CpuBackend backend = new CpuBackend(0, 1)) {
            TransferStats before = backend.transfers();
            DeviceBuffer buffer = backend.upload(new double[] {1, 2, 3, 4});
            double[] part = (double[]) backend.download(buffer, 1, 2);
            assertEquals(2.0, part[0]);
            assertEquals(new TransferStats(1, 32, 1, 16), backend.transfers().minus(before));
            backend.upload(new boolean[] {true});
            assertEquals(1, backend.transfers().minus(before).uploadBytes() - 32);

            assertThrows(IndexOutOfBoundsException.class, () -> backend.download(buffer, 3, 2));
            IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class, () -> backend.upload(new short[2]));
            assertTrue(wrongType.getMessage().contains("cpu"));
            IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                    () -> backend.allocate(DType.FLOAT32, Integer.MAX_VALUE));
            assertTrue(tooLarge.getMessage().contains("float32") && tooLarge.getMessage().contains("cpu"), tooLarge.getMessage());

            buffer.release();
            buffer.release();   // idempotent
            IllegalStateException released = assertThrows(IllegalStateException.class,
                    () -> backend.fill(StridedView.contiguous(buffer, 4), 0));
            assertTrue(released.getMessage().contains("release"), released.getMessage());
        }
    }

    @Test
    void everyWidthIsNamedInTheTests() {
        for (CpuBackend backend : ALL) {
            assertTrue(name(backend).startsWith("s"));
        }
    }
}
