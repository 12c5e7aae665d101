package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How compare judges a compiled run's printout against the eager one. */
class BackendComparisonTest {
    @Test
    void identicalPrintoutsAreExact() {
        BackendComparison.Agreement same = BackendComparison.agreement(List.of("At iter 0, w=10.000"),
                List.of("At iter 0, w=10.000"));
        assertTrue(same.exact() && same.withinRounding(), same.toString());
    }

    @Test
    void numbersWithinRoundingOrOneLastPrintedDigitAgree() {
        // printed rounding: 7.0125 may print 7.012 one way and 7.013 the other
        BackendComparison.Agreement printed = BackendComparison.agreement(List.of("w=7.012, loss 1.25000e-05"),
                List.of("w=7.013, loss 1.25001e-05"));
        assertTrue(!printed.exact() && printed.withinRounding(), printed.toString());
        // a float printed in full: relative 1e-4 at most
        assertTrue(BackendComparison.agreement(List.of("[1.0, 2.0000002, 3.0]"), List.of("[1.0, 2.0, 3.0]"))
                .withinRounding());
        BackendComparison.Agreement apart = BackendComparison.agreement(List.of("[1.0, 2.0, 3.0]"),
                List.of("[1.0, 2.0100002, 3.0]"));
        assertFalse(apart.withinRounding(), apart.toString());
        assertEquals(0.0100002 / 2.0100002, apart.largestRelativeDifference(), 1e-12);
    }

    @Test
    void backendsMayDifferInALossAtFloatRoundingLevelButNotInResults() {
        List<String> cpu = List.of("step 1500: loss 2.96723e-11", "Final coefficients: [1.0, 2.0, 3.0000012]");
        List<String> opencl = List.of("step 1500: loss 4.49063e-11", "Final coefficients: [1.0, 2.0, 3.0000014]");
        assertFalse(BackendComparison.agreement(cpu, opencl).withinRounding(), "relative: 50% apart");
        assertTrue(BackendComparison.agreement(cpu, opencl, BackendComparison.ACROSS_BACKENDS_ABSOLUTE)
                .withinRounding());
        assertFalse(BackendComparison.agreement(List.of("w=7.0379"), List.of("w=7.0391"),
                BackendComparison.ACROSS_BACKENDS_ABSOLUTE).withinRounding(), "a different result still differs");
    }

    @Test
    void differentTextOrLineCountsDisagree() {
        assertFalse(BackendComparison.agreement(List.of("A = 1.0"), List.of("B = 1.0")).withinRounding());
        assertFalse(BackendComparison.agreement(List.of("A = 1.0"), List.of("A = 1.0", "B = 2.0")).withinRounding());
    }

    @Test
    void aCompiledStepSaysWhenItsFusedCallsRunOpByOp() {
        Tensor losses = Tensor.zeros(3);
        CompiledTraining.Run opByOp = new CompiledTraining.Run(losses, Map.of(), null, 9, 3, 24, 0.041,
                ExampleArgs.Execution.COMPILED, false, "call by call: no graphs");
        assertEquals("Compiled step (compiled): 9 backend calls per replayed step (+3 history copies), 24 per eager "
                + "step; the first 2 steps (eager, then traced and compiled) took 41.0 ms; this backend has no fused "
                + "kernels yet: a fused call runs its ops one by one", opByOp.describe());
        CompiledTraining.Run fused = new CompiledTraining.Run(losses, Map.of(), null, 3, 1, 24, 0.041,
                ExampleArgs.Execution.COMPILED, true, "call by call: no graphs");
        assertTrue(fused.describe().endsWith("(+1 history copy), 24 per eager step; the first 2 steps (eager, then "
                + "traced and compiled) took 41.0 ms"), fused.describe());
        // unfused on purpose: nothing to say about fused kernels
        CompiledTraining.Run unfused = new CompiledTraining.Run(losses, Map.of(), null, 24, 1, 24, 0.041,
                ExampleArgs.Execution.COMPILED_UNFUSED, false, "call by call: unfused");
        assertTrue(unfused.describe().startsWith("Compiled step (compiled, unfused): 24 backend calls")
                && unfused.describe().endsWith(" ms"), unfused.describe());
        CompiledTraining.Run captured = new CompiledTraining.Run(losses, Map.of(), null, 2, 3, 25, 0.041,
                ExampleArgs.Execution.COMPILED, true, "captured: one graph launch per step (cuda)");
        assertTrue(captured.describe().startsWith("Compiled step (compiled): 2 backend calls per replayed step, "
                + "captured as one graph (+3 history copies)"), captured.describe());
    }

    @Test
    void lastDigitIsOneUnitOfTheLastPrintedPlace() {
        assertEquals(0.001, BackendComparison.lastDigit("7.013"), 1e-15);
        assertEquals(1e-10, BackendComparison.lastDigit("1.25000e-05"), 1e-20);
        assertEquals(1, BackendComparison.lastDigit("-12"));
        assertEquals(100, BackendComparison.lastDigit("1E2"));
    }
}
