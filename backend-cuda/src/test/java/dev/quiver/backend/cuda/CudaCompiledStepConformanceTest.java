package dev.quiver.backend.cuda;

import dev.quiver.conformance.CompiledStepConformance;

/** The shared compiled-step conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaCompiledStepConformanceTest extends CompiledStepConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
