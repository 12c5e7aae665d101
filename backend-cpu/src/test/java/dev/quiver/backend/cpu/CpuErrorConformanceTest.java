package dev.quiver.backend.cpu;

import dev.quiver.conformance.ErrorConformance;

/** The shared error conformance suite (core's test-jar) on the CPU backend. */
class CpuErrorConformanceTest extends ErrorConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
