package dev.quiver.backend.cuda;

import dev.quiver.conformance.TapeFeaturesConformance;

/** The shared tape-features conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaTapeFeaturesConformanceTest extends TapeFeaturesConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
