package dev.quiver.backend.cuda;

import dev.quiver.conformance.OptimizerConformance;

/** The shared optimizer conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaOptimizerConformanceTest extends OptimizerConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
