package dev.quiver.backend.opencl;

import dev.quiver.conformance.CompiledStepConformance;

/** The shared compiled-step conformance suite (core's test-jar) on the OpenCL backend. */
class OpenClCompiledStepConformanceTest extends CompiledStepConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }

    /** PoCL builds a program per fused kernel (~0.5 s): four random models keep the suite's time in bounds. */
    @Override
    protected int randomModels() {
        return 4;
    }
}
