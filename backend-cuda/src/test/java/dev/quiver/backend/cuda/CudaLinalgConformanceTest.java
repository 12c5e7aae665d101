package dev.quiver.backend.cuda;

import dev.quiver.conformance.LinalgConformance;

/** The shared linear-algebra conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaLinalgConformanceTest extends LinalgConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
