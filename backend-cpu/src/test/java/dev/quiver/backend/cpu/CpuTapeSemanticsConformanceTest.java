package dev.quiver.backend.cpu;

import dev.quiver.conformance.TapeSemanticsConformance;

/** The shared tapesemantics conformance suite (core's test-jar) on the CPU backend. */
class CpuTapeSemanticsConformanceTest extends TapeSemanticsConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
