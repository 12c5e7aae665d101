package dev.quiver.backend.opencl;

import dev.quiver.conformance.MatmulConformance;

/** The shared matmul conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClMatmulConformanceTest extends MatmulConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
