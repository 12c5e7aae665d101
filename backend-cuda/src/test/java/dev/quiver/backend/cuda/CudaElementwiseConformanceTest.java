package dev.quiver.backend.cuda;

import dev.quiver.conformance.ElementwiseConformance;

/** The shared elementwise conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaElementwiseConformanceTest extends ElementwiseConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
