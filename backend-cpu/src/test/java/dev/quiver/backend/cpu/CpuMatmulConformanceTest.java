package dev.quiver.backend.cpu;

import dev.quiver.conformance.MatmulConformance;

/** The shared matmul conformance suite (core's test-jar) on the CPU backend. */
class CpuMatmulConformanceTest extends MatmulConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
