package dev.quiver.backend.cpu;

import dev.quiver.conformance.ReductionConformance;

/** The shared reduction conformance suite (core's test-jar) on the CPU backend. */
class CpuReductionConformanceTest extends ReductionConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
