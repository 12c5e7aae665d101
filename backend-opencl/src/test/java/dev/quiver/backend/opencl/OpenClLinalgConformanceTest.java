package dev.quiver.backend.opencl;

import dev.quiver.conformance.LinalgConformance;

/** The shared linear-algebra conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClLinalgConformanceTest extends LinalgConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
