package dev.quiver.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CompileTargetTest {
    private static final int[] NVRTC_13_ARCHS = {75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121};

    @Test
    void aKnownArchitectureGetsCubinForExactlyThatArchitecture() {
        // NVRTC 13.3 on a 13.0 driver: its PTX would be rejected, its CUBIN is what the H100/H200 machines load
        CompileTarget target = CompileTarget.choose(90, NVRTC_13_ARCHS, 13_030, 13_000);
        assertEquals(new CompileTarget(true, 90), target);
        assertEquals("--gpu-architecture=sm_90", target.option());
    }

    @Test
    void anUnknownArchitectureGetsPtxOnlyFromAnNvrtcNoNewerThanTheDriver() {
        CompileTarget ptx = CompileTarget.choose(130, NVRTC_13_ARCHS, 13_000, 13_050);
        assertEquals(new CompileTarget(false, 121), ptx);
        assertEquals("--gpu-architecture=compute_121", ptx.option());
        IllegalStateException newer = assertThrows(IllegalStateException.class,
                () -> CompileTarget.choose(130, NVRTC_13_ARCHS, 13_030, 13_000));
        assertTrue(newer.getMessage().contains("NVRTC 13.3 does not know sm_130")
                && newer.getMessage().contains("driver (CUDA 13.0)"), newer.getMessage());
        IllegalStateException older = assertThrows(IllegalStateException.class,
                () -> CompileTarget.choose(70, NVRTC_13_ARCHS, 13_000, 13_000));
        assertTrue(older.getMessage().contains("cannot compile for sm_70"), older.getMessage());
    }

    @Test
    void theDiskCacheKeyChangesWithSourceOptionsArchitectureAndNvrtcVersion() {
        CompileTarget sm90 = new CompileTarget(true, 90);
        String name = sm90.cacheFileName("KERNEL void f() {}", "-DT=q_f32", 13_030);
        assertTrue(name.matches("[0-9a-f]{32}-sm_90-nvrtc13\\.3\\.cubin"), name);
        assertEquals(name, sm90.cacheFileName("KERNEL void f() {}", "-DT=q_f32", 13_030), "stable");
        assertNotEquals(name, sm90.cacheFileName("KERNEL void g() {}", "-DT=q_f32", 13_030));
        assertNotEquals(name, sm90.cacheFileName("KERNEL void f() {}", "-DT=q_f64", 13_030));
        assertNotEquals(name, new CompileTarget(true, 80).cacheFileName("KERNEL void f() {}", "-DT=q_f32", 13_030));
        assertNotEquals(name, sm90.cacheFileName("KERNEL void f() {}", "-DT=q_f32", 13_000));
        assertTrue(new CompileTarget(false, 90).cacheFileName("x", "", 13_000).endsWith("-compute_90-nvrtc13.0.ptx"));
    }
}
