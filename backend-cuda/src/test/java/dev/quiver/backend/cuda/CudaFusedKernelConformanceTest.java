package dev.quiver.backend.cuda;

import dev.quiver.conformance.FusedKernelConformance;

/** The shared fused-kernel suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaFusedKernelConformanceTest extends FusedKernelConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
