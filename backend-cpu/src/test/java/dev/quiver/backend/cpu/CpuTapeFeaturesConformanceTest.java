package dev.quiver.backend.cpu;

import dev.quiver.conformance.TapeFeaturesConformance;

/** The shared tape-features conformance suite (core's test-jar) on the CPU backend. */
class CpuTapeFeaturesConformanceTest extends TapeFeaturesConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
