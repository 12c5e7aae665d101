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
}
