package dev.quiver.backend.cpu;

import dev.quiver.conformance.CreationConformance;

/** The shared creation conformance suite (core's test-jar) on the CPU backend. */
class CpuCreationConformanceTest extends CreationConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
