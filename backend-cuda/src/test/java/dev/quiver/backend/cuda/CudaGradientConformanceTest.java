package dev.quiver.backend.cuda;

import dev.quiver.conformance.GradientConformance;

/** The shared gradient conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaGradientConformanceTest extends GradientConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
