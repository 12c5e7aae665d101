package dev.quiver.backend.cpu;

import dev.quiver.conformance.GradientConformance;

/** The shared gradient conformance suite (core's test-jar) on the CPU backend. */
class CpuGradientConformanceTest extends GradientConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
