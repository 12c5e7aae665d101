package dev.quiver.backend.opencl;

import dev.quiver.conformance.ErrorConformance;

/** The shared error conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClErrorConformanceTest extends ErrorConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
