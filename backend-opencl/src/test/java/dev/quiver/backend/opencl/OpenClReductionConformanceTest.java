package dev.quiver.backend.opencl;

import dev.quiver.conformance.ReductionConformance;

/** The shared reduction conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClReductionConformanceTest extends ReductionConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
