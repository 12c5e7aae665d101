package dev.quiver.backend.cuda;

import dev.quiver.conformance.TapeSemanticsConformance;

/** The shared tape-semantics conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaTapeSemanticsConformanceTest extends TapeSemanticsConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
