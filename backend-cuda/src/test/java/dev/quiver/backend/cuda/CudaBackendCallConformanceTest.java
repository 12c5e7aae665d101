package dev.quiver.backend.cuda;

import dev.quiver.conformance.BackendCallConformance;

/** The shared backend-call counts (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaBackendCallConformanceTest extends BackendCallConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
