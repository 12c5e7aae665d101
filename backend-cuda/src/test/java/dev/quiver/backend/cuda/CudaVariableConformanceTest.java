package dev.quiver.backend.cuda;

import dev.quiver.conformance.VariableConformance;

/** The shared variable conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaVariableConformanceTest extends VariableConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
