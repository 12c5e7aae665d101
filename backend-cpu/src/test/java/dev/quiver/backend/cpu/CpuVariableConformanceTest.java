package dev.quiver.backend.cpu;

import dev.quiver.conformance.VariableConformance;

/** The shared variable conformance suite (core's test-jar) on the CPU backend. */
class CpuVariableConformanceTest extends VariableConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
