package dev.quiver.backend.cuda;

import dev.quiver.conformance.MovementConformance;

/** The shared movement conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaMovementConformanceTest extends MovementConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
