package dev.quiver.backend.cpu;

import dev.quiver.conformance.AxisOpsConformance;

/** The shared suite of softmax, argmax, cumsum, reduceProd... (core's test-jar) on the CPU backend. */
class CpuAxisOpsConformanceTest extends AxisOpsConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
