package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.Losses;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.TestAccess;
import dev.quiver.TrainingStep;
import dev.quiver.Variable;
import dev.quiver.conformance.CompiledStepConformance;
import dev.quiver.optimizers.Nadam;
import dev.quiver.optimizers.SGD;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared compiled-step conformance suite (core's test-jar) on the CPU backend. */
class CpuCompiledStepConformanceTest extends CompiledStepConformance {
    @Override
    protected String backendName() {
        return "cpu";
    }

    /**
     * A warm replayed step allocates nothing on the heap: Nadam fitting a quadratic through a matmul (matmuls, a fused
     * reduction, the optimizer's scalar state, the update), and a linear regression that draws its batch (its draws
     * read the stream position from the device counter, so a replay passes the same views every step). (A run's
     * history adds its copies: a view per step.)
     */
    @Test
    void aWarmReplayedStepAllocatesNothingOnTheHeap() {
        RandomGenerator random = new RandomGenerator(42);
        Tensor x = random.uniform(Shape.of(12, 1), -10, 10, DType.FLOAT32);
        Tensor y = x.square().add(x.mul(2)).add(3);
        Tensor features = Tensor.concat(List.of(x.square(), x, Tensor.onesLike(x)), 1);
        Variable weights = new Variable(random.normal(Shape.of(3, 1)), "w");
        try (TrainingStep step = TrainingStep.compile(new Nadam(0.1), List.of(weights),
                () -> Losses.sumSquaredError(y, features.matmul(weights)))) {
            double perStep = bytesPerReplayedStep(step, 0.5);
            assertTrue(perStep < 1, "a replayed step allocated " + perStep + " bytes\n" + step.describe());
        }
        Variable w = new Variable(Tensor.scalar(10), "w");
        Variable b = new Variable(Tensor.scalar(1), "b");
        try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(w, b), () -> {
            Tensor batch = random.normal(Shape.of(32, 1));
            Tensor noise = random.normal(Shape.of(32, 1), 0, 1, DType.FLOAT32);
            return Losses.meanSquaredError(batch.mul(7.0).add(4.0).add(noise), batch.mul(w).add(b));
        })) {
            // 244 bytes when each drawn view moved its own copy of the draw, in a new array; 128 when a call kept its
            // moved draws; nothing since the position is read from the device counter
            double perStep = bytesPerReplayedStep(step, 0.5);
            assertTrue(perStep < 1, "a replayed step that draws allocated " + perStep + " bytes\n"
                    + step.describe());
        }
    }

    /**
     * The least heap bytes per replayed step over rounds of 1000 replays, until one is at most {@code enough}: C2 may
     * still be compiling early on, and later on a loaded machine, so rounds go on for up to 20 s (a bound on the
     * wait, not a timing assertion).
     */
    private static double bytesPerReplayedStep(TrainingStep step, double enough) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        int steps = 1000;
        step.run(3);
        double least = Double.MAX_VALUE;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (least > enough && System.nanoTime() < deadline) {
            long before = threads.getThreadAllocatedBytes(thread);
            TestAccess.replay(step, steps);
            least = Math.min(least, (threads.getThreadAllocatedBytes(thread) - before) / (double) steps);
        }
        return least;
    }
}
