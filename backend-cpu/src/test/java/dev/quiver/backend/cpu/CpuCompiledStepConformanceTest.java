package dev.quiver.backend.cpu;

import dev.quiver.conformance.CompiledStepConformance;

/** The shared compiled-step conformance suite (core's test-jar) on the CPU backend. */
class CpuCompiledStepConformanceTest extends CompiledStepConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
