package dev.quiver.backend.opencl;

import dev.quiver.conformance.FusedKernelConformance;

/** The shared fused-kernel suite (core's test-jar) on the OpenCL backend: one rendered kernel per chain. */
class OpenClFusedKernelConformanceTest extends FusedKernelConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
