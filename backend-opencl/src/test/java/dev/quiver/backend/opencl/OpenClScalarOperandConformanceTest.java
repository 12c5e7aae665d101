package dev.quiver.backend.opencl;

import dev.quiver.conformance.ScalarOperandConformance;

/** The shared scalar-operand conformance suite (core's test-jar) on the OpenCL backend. */
class OpenClScalarOperandConformanceTest extends ScalarOperandConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
