package dev.quiver.backend.cuda;

import dev.quiver.conformance.CreationConformance;

/** The shared creation conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaCreationConformanceTest extends CreationConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
