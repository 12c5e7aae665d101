package dev.quiver.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CudaDeviceTest {
    private static final CudaDevice H200 = new CudaDevice(0, "NVIDIA H200", 9, 0, 132, 1024, 150_000_000_000L);
    private static final CudaDevice L4 = new CudaDevice(1, "NVIDIA L4", 8, 9, 58, 1024, 24_000_000_000L);

    @Test
    void theFirstGpuUnlessThePropertyNamesAnIndex() {
        assertEquals(H200, CudaDevice.choose(List.of(H200, L4), null).device());
        assertEquals(H200, CudaDevice.choose(List.of(H200, L4), " ").device());
        assertEquals(L4, CudaDevice.choose(List.of(H200, L4), "1").device());
        CudaDevice.Choice missing = CudaDevice.choose(List.of(H200, L4), "2");
        assertNull(missing.device());
        assertTrue(missing.reason().startsWith("quiver.cuda.device='2' is not the index of one of [#0 NVIDIA H200"),
                missing.reason());
        assertNull(CudaDevice.choose(List.of(H200), "H200").device(), "an index, not a name");
        assertEquals("the driver reports no CUDA device", CudaDevice.choose(List.of(), null).reason());
    }

    @Test
    void describesNameArchitectureMultiprocessorsAndMemory() {
        assertEquals("#0 NVIDIA H200 (sm_90, 132 SMs, 139.7 GiB)", H200.toString());
        assertEquals(89, L4.arch());
        assertEquals(58, L4.limits().computeUnits());
        assertTrue(L4.limits().float64());
    }

    @Test
    void diagnoseListsDriverRuntimeNvrtcAndCublasVersions() {
        CudaVersions versions = new CudaVersions(13_000, 13_000, 13_030, new int[] {75, 90}, 130_100);
        assertEquals("driver CUDA 13.0, runtime 13.0, NVRTC 13.3 (sm [75, 90]), cuBLAS 13.1.0", versions.toString());
        CudaLibraries.Probe probe = new CudaLibraries.Probe(null, 13_000,
                new java.util.LinkedHashMap<>(java.util.Map.of("libcuda.so.1", "system library path")));
        assertEquals("libcuda.so.1 from system library path", CudaLibraries.describe(probe));
    }
}
