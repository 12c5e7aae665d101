package dev.quiver.backend.cpu;

import dev.quiver.conformance.ScalarOperandConformance;

/** The shared scalar-operand conformance suite (core's test-jar) on the CPU backend. */
class CpuScalarOperandConformanceTest extends ScalarOperandConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
