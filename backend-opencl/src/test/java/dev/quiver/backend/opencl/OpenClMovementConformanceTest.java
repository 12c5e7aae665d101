package dev.quiver.backend.opencl;

import dev.quiver.conformance.MovementConformance;

/** The shared movement conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClMovementConformanceTest extends MovementConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
