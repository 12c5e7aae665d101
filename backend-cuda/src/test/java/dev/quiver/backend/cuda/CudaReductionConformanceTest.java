package dev.quiver.backend.cuda;

import dev.quiver.conformance.ReductionConformance;

/** The shared reduction conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaReductionConformanceTest extends ReductionConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
