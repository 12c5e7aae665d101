package dev.quiver.backend.cpu;

import dev.quiver.conformance.ElementwiseConformance;

/** The shared elementwise conformance suite (core's test-jar) on the CPU backend. */
class CpuElementwiseConformanceTest extends ElementwiseConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
