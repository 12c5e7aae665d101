package dev.quiver.backend.opencl;

import dev.quiver.conformance.TapeSemanticsConformance;

/** The shared tape-semantics conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClTapeSemanticsConformanceTest extends TapeSemanticsConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
