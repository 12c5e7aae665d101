package dev.quiver.backend.cpu;

import dev.quiver.conformance.LinalgConformance;

/** The shared linear-algebra conformance suite (core's test-jar) on the CPU backend. */
class CpuLinalgConformanceTest extends LinalgConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
