package dev.quiver.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.Quiver;
import dev.quiver.conformance.FusedKernelConformance;
import org.junit.jupiter.api.Test;

/** The shared fused-kernel suite (core's test-jar) on the OpenCL backend: one rendered kernel per chain. */
class OpenClFusedKernelConformanceTest extends FusedKernelConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }

    /** The suite compares real fused kernels here, not the unfused defaults with themselves. */
    @Test
    void openClRunsFusedKernels() {
        assertTrue(Quiver.backend().runsFusedKernels(), Quiver.backend().name());
    }
}
