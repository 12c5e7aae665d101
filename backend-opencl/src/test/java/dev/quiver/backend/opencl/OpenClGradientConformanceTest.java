package dev.quiver.backend.opencl;

import dev.quiver.conformance.GradientConformance;

/** The shared gradient conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClGradientConformanceTest extends GradientConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
