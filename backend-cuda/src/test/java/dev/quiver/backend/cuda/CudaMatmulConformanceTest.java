package dev.quiver.backend.cuda;

import dev.quiver.conformance.MatmulConformance;

/** The shared matmul conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaMatmulConformanceTest extends MatmulConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
