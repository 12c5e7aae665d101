package dev.quiver.backend.cpu;

import dev.quiver.conformance.MovementConformance;

/** The shared movement conformance suite (core's test-jar) on the CPU backend. */
class CpuMovementConformanceTest extends MovementConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
