package dev.quiver.backend.opencl;

import dev.quiver.conformance.BackendCallConformance;

/** The shared backend-call counts (core's test-jar) on the OpenCL backend. */
class OpenClBackendCallConformanceTest extends BackendCallConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
