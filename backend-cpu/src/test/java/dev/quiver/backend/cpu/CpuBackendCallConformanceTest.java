package dev.quiver.backend.cpu;

import dev.quiver.conformance.BackendCallConformance;

/** The shared backend-call counts (core's test-jar) on the CPU backend. */
class CpuBackendCallConformanceTest extends BackendCallConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
