package dev.quiver.backend.opencl;

import dev.quiver.conformance.CompiledStepConformance;

/** The shared compiled-step conformance suite (core's test-jar) on the OpenCL backend. */
class OpenClCompiledStepConformanceTest extends CompiledStepConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
