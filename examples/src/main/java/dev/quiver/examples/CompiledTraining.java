package dev.quiver.examples;

import dev.quiver.Tensor;
import dev.quiver.TrainingStep;
import dev.quiver.Variable;
import dev.quiver.optimizers.Optimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A tutorial's training run through a {@link TrainingStep} ({@code --compiled}): the loss function the eager loop
 * evaluates, traced once and replayed on the device, with the loss and the recorded variables of every step kept in
 * device buffers and read after the run.
 *
 * <p>The run is taken in two parts so that the time per step means the same thing as the eager loop's: the first
 * {@value #FIRST_STEPS} steps (the eager step that makes the optimizer's state, then the step that is traced and
 * compiled) are timed apart, and the {@link TrainingLoop} measures the replays only. The two parts' histories are
 * joined on the device.
 *
 * <pre>{@code
 * CompiledTraining.Run run = CompiledTraining.train("linear-regression", ExampleArgs.Execution.COMPILED,
 *         new SGD(0.03), List.of(w, b), loss, 100, w, b);
 * float[] ws = run.of(w).toFloatArray();   // w after each of the 100 steps
 * run.describe();   // "Compiled step (compiled): 9 backend calls per replayed step (+3 history copies), 24 per
 *                  //  eager step; the first 2 steps (eager, then traced and compiled) took 41.0 ms"
 * }</pre>
 */
public final class CompiledTraining {
    /** The eager first step and the traced second: every later step is a replay. */
    static final int FIRST_STEPS = 2;

    private CompiledTraining() {
    }

    /**
     * What a compiled run kept and cost.
     *
     * @param losses             the loss of every step, shape {@code (steps, ...)}, on the device
     * @param history            each recorded variable's value after every step, shape {@code (steps, ...its shape)}
     * @param loop               the replayed steps' time and host transfers
     * @param callsPerStep       backend calls of one replayed step (without the history copies)
     * @param historyCopies      backend calls per step that copy the loss and the recorded variables into the history
     * @param eagerCallsPerStep  backend calls of the same step run eagerly (the traced step)
     * @param firstStepsSeconds  wall time of the first {@value #FIRST_STEPS} steps: eager, then traced and compiled
     * @param execution          fused or not
     * @param fusedKernels       whether the backend runs a fused call as one kernel; if not, a fused call still
     *                           counts as one backend call but runs its ops one by one
     * @param replayMode         how the replayed steps ran ({@link TrainingStep#replayMode()}): captured as one graph
     *                           per step (CUDA), or call by call and why
     */
    public record Run(Tensor losses, Map<Variable, Tensor> history, TrainingLoop loop, int callsPerStep,
                      int historyCopies, int eagerCallsPerStep, double firstStepsSeconds,
                      ExampleArgs.Execution execution, boolean fusedKernels, String replayMode) {

        /** Whether the replayed steps were one graph launch each (their calls captured as a CUDA graph). */
        public boolean captured() {
            return replayMode.startsWith("captured");
        }
        /**
         * The value of {@code variable} after every step.
         *
         * @param variable one of the variables the run recorded
         * @return its values, shape {@code (steps, ...its shape)}, on the device
         */
        public Tensor of(Variable variable) {
            Tensor values = history.get(variable);
            if (values == null) {
                throw new IllegalArgumentException("CompiledTraining.Run.of: variable '" + variable.name()
                        + "' was not recorded; recorded: " + history.keySet().stream().map(Variable::name).toList());
            }
            return values;
        }

        /**
         * The line the tutorials print about the compiled step (not a result: compare leaves it out).
         *
         * @return calls per replayed and per eager step, and the time of the first steps
         */
        public String describe() {
            return String.format(Locale.ROOT, "Compiled step (%s): %d backend calls per replayed step%s (+%d history "
                    + "cop%s), %d per eager step; the first %d steps (eager, then traced and compiled) took %.1f ms%s",
                    execution.label(), callsPerStep, captured() ? ", captured as one graph" : "", historyCopies,
                    historyCopies == 1 ? "y" : "ies",
                    eagerCallsPerStep, FIRST_STEPS, firstStepsSeconds * 1e3, fusedKernels || !execution.fuse() ? ""
                            : "; this backend has no fused kernels yet: a fused call runs its ops one by one");
        }
    }

    /**
     * Takes {@code steps} steps of {@code loss} with {@code optimizer} compiled as {@code execution} says, keeping the
     * loss and the {@code recorded} variables of every step on the device.
     *
     * @param tutorial the name the replay's time is counted under ({@code --compiled} is added to it, so compiled
     *                 and eager runs are cold or warm apart)
     * @param steps    more than {@value #FIRST_STEPS}
     */
    static Run train(String tutorial, ExampleArgs.Execution execution, Optimizer optimizer, List<Variable> variables,
                     Supplier<Tensor> loss, int steps, Variable... recorded) {
        if (!execution.compiled()) {
            throw new IllegalArgumentException("CompiledTraining.train(" + tutorial + "): execution " + execution
                    + " is not compiled");
        }
        if (steps <= FIRST_STEPS) {
            throw new IllegalArgumentException("CompiledTraining.train(" + tutorial + "): " + steps
                    + " steps leave nothing to replay; give more than " + FIRST_STEPS);
        }
        try (TrainingStep step = TrainingStep.compile(optimizer, variables, loss, execution.fuse())) {
            long start = System.nanoTime();
            TrainingStep.History first = step.run(FIRST_STEPS, recorded);
            variables.getFirst().backend().synchronize();
            double firstSeconds = (System.nanoTime() - start) / 1e9;

            TrainingLoop.Meter meter = TrainingLoop.start(tutorial + " --compiled");
            TrainingStep.History replayed = step.run(steps - FIRST_STEPS, recorded);
            TrainingLoop loop = meter.finish(steps - FIRST_STEPS);

            Map<Variable, Tensor> history = new LinkedHashMap<>();
            for (Variable variable : recorded) {
                history.put(variable, Tensor.concat(List.of(first.of(variable), replayed.of(variable)), 0));
            }
            Tensor losses = Tensor.concat(List.of(first.losses(), replayed.losses()), 0);
            // TrainingStep.run copies the loss and each recorded variable into the history once per step
            return new Run(losses, history, loop, step.callsPerStep(), 1 + recorded.length,
                    step.eagerCallsPerStep(), firstSeconds, execution,
                    variables.getFirst().backend().runsFusedKernels(), step.replayMode());
        }
    }
}
