package dev.quiver.backend.opencl;

import dev.quiver.conformance.VariableConformance;

/** The shared variable conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClVariableConformanceTest extends VariableConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
