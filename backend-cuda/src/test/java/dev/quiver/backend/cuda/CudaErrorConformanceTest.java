package dev.quiver.backend.cuda;

import dev.quiver.conformance.ErrorConformance;

/** The shared error conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaErrorConformanceTest extends ErrorConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
