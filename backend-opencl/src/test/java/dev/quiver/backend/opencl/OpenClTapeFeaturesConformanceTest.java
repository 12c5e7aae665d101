package dev.quiver.backend.opencl;

import dev.quiver.conformance.TapeFeaturesConformance;

/** The shared tape-features conformance suite (core's test-jar) on the OpenCL backend; on PoCL in CI. */
class OpenClTapeFeaturesConformanceTest extends TapeFeaturesConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
