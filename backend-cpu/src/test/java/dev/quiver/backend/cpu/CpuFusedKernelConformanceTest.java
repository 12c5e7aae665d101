package dev.quiver.backend.cpu;

import dev.quiver.conformance.FusedKernelConformance;

/** The shared fused-kernel suite (core's test-jar) on the CPU backend. */
class CpuFusedKernelConformanceTest extends FusedKernelConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
