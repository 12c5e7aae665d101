package dev.quiver.backend.opencl;

import dev.quiver.conformance.AxisOpsConformance;

/**
 * The shared suite of softmax, argmax, cumsum, reduceProd... (core's test-jar) on the OpenCL backend, on PoCL in CI.
 */
class OpenClAxisOpsConformanceTest extends AxisOpsConformance {
    @Override
    protected String backendName() {
        return "opencl";
    }
}
