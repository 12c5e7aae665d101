package dev.quiver.backend.cpu;

import dev.quiver.conformance.OptimizerConformance;

/** The shared optimizer conformance suite (core's test-jar) on the CPU backend. */
class CpuOptimizerConformanceTest extends OptimizerConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
