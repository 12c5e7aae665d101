package dev.quiver.backend.opencl;

import dev.quiver.conformance.CreationConformance;

/** The shared creation conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClCreationConformanceTest extends CreationConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
