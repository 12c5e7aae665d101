package dev.quiver.backend.cuda;

import dev.quiver.conformance.AxisOpsConformance;

/**
 * The shared suite of softmax, argmax, cumsum, reduceProd... (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu.
 */
class CudaAxisOpsConformanceTest extends AxisOpsConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
