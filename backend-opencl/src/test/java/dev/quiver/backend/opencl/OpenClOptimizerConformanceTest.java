package dev.quiver.backend.opencl;

import dev.quiver.conformance.OptimizerConformance;

/** The shared optimizer conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClOptimizerConformanceTest extends OptimizerConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
