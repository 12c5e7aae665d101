package dev.quiver.backend.cuda;

import dev.quiver.conformance.ScalarOperandConformance;

/** The shared scalar-operand conformance suite (core's test-jar) on the CUDA backend; skips without a GPU unless -Pgpu. */
class CudaScalarOperandConformanceTest extends ScalarOperandConformance {
    @Override
    protected String backendName() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return CudaTestSupport.gpuRequired();
    }
}
