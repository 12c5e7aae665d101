package dev.quiver.backend.opencl;

import dev.quiver.conformance.ElementwiseConformance;

/** The shared elementwise conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClElementwiseConformanceTest extends ElementwiseConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
