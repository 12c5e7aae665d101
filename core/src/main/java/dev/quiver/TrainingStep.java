package dev.quiver;

import dev.quiver.optimizers.Optimizer;
import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A training step (forward pass, the tape's gradients, the optimizer's update) traced once and replayed on the device:
 * what {@code tf.function}, {@code jax.jit} and {@code torch.compile} with CUDA graphs do for a Python training loop.
 * The loss function is ordinary eager Quiver code; the first step runs eagerly (it makes the optimizer's state), the
 * second is traced while it runs, and every later step replays the compiled program: the recorded backend calls,
 * fused into fewer kernels where the backend runs fused kernels, over buffers planned once (a replay allocates
 * nothing), with no validation, no tape and no host decision per step. Random numbers drawn inside the step with a
 * {@link RandomGenerator} continue the stream at every replay, as in the eager loop.
 *
 * <p>The numbers are eager Quiver's: the same as the eager loop bit for bit without fusion, and within float rounding
 * with it (a fused sum may add in another order). What cannot be replayed is refused while tracing, naming the
 * method: reading a value to the host inside the step, making a variable inside it, using two backends. Java values
 * the step reads (numbers, arrays made tensors inside it) are constants of the program, as in {@code tf.function}.
 *
 * <pre>{@code
 * Variable w = Variable.of(10.0f), b = Variable.of(1.0f);
 * RandomGenerator random = new RandomGenerator(7);
 * try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(w, b), () -> {
 *     Tensor x = random.normal(64, 1);                                  // drawn on the device, inside the step
 *     Tensor y = x.mul(7.0).add(4.0).add(random.normal(64, 1).mul(0.1));
 *     return Losses.meanSquaredError(y, x.mul(w).add(b));
 * })) {
 *     TrainingStep.History history = step.run(100, w, b);               // one submission; w and b kept every step
 *     float[] ws = history.of(w).toFloatArray();                        // read once, at the end
 * }
 * }</pre>
 *
 * Named after Keras' {@code train_step}; "compile" as in {@code torch.compile}: the result is a program, not a graph
 * the user edits.
 */
public final class TrainingStep implements AutoCloseable {
    private final Optimizer optimizer;
    private final List<Variable> variables;
    private final Supplier<Tensor> loss;
    private final boolean fuse;
    private Program program;
    private StridedView tracedLoss;
    private Tensor lossShape; // the traced loss's shape and dtype
    private boolean warmedUp;
    private boolean closed;

    private TrainingStep(Optimizer optimizer, List<? extends Variable> variables, Supplier<Tensor> loss, boolean fuse) {
        this.optimizer = Errors.notNull(optimizer, "TrainingStep.compile", "optimizer");
        Errors.notNull(variables, "TrainingStep.compile", "variables");
        if (variables.isEmpty()) {
            throw new IllegalArgumentException("TrainingStep.compile: no variables to train");
        }
        for (int i = 0; i < variables.size(); i++) {
            Errors.notNull(variables.get(i), "TrainingStep.compile", "variable " + i).checkOpen("TrainingStep.compile");
        }
        this.variables = List.copyOf(variables);
        this.loss = Errors.notNull(loss, "TrainingStep.compile", "loss");
        this.fuse = fuse;
    }

    /**
     * A step that minimizes {@code loss} over {@code variables} with {@code optimizer}, fused where the backend runs
     * fused kernels. Nothing runs until {@link #run}.
     */
    public static TrainingStep compile(Optimizer optimizer, List<? extends Variable> variables, Supplier<Tensor> loss) {
        return new TrainingStep(optimizer, variables, loss, true);
    }

    /**
     * As {@link #compile(Optimizer, List, Supplier)}, choosing whether to fuse: without fusion a replay gives the
     * eager loop's bits exactly, also where a fused sum would add in another order.
     */
    public static TrainingStep compile(Optimizer optimizer, List<? extends Variable> variables, Supplier<Tensor> loss,
                                       boolean fuse) {
        return new TrainingStep(optimizer, variables, loss, fuse);
    }

    /**
     * The values a {@link #run} kept on the device at every step, read when asked for: the loss, shape
     * {@code (steps, ...loss shape)}, and each recorded variable, shape {@code (steps, ...its shape)}.
     *
     * <pre>{@code
     * History history = step.run(100, w);
     * float[] losses = history.losses().toFloatArray();
     * float[] ws = history.of(w).toFloatArray();
     * }</pre>
     */
    public static final class History {
        private final Tensor losses;
        private final Map<Variable, Tensor> values;

        History(Tensor losses, Map<Variable, Tensor> values) {
            this.losses = losses;
            this.values = values;
        }

        /** The loss of every step. */
        public Tensor losses() {
            return losses;
        }

        /** The value of {@code variable} after every step. */
        public Tensor of(Variable variable) {
            Tensor history = values.get(variable);
            if (history == null) {
                throw new IllegalArgumentException("History.of: variable '" + (variable == null ? null
                        : variable.name()) + "' was not recorded; pass it to run(steps, variables...)");
            }
            return history;
        }
    }

    /**
     * Takes {@code steps} training steps and keeps the loss and the {@code recorded} variables of every step in device
     * buffers (read them from the returned {@link History}). The host waits for nothing until a value is read.
     */
    public History run(int steps, Variable... recorded) {
        checkOpen("run");
        if (steps < 0) {
            throw new IllegalArgumentException("TrainingStep.run: steps must be >= 0, got " + steps);
        }
        Backend backend = variables.getFirst().backend();
        Map<Variable, Tensor> values = new LinkedHashMap<>();
        for (Variable variable : recorded) {
            Errors.notNull(variable, "TrainingStep.run", "recorded variable").checkOpen("TrainingStep.run");
            int[] dims = new int[variable.rank() + 1];
            dims[0] = steps;
            System.arraycopy(variable.shape().dims(), 0, dims, 1, variable.rank());
            values.put(variable, Tensor.allocate("TrainingStep.run", backend, Shape.of(dims), variable.dtype()));
        }
        Tensor[] losses = new Tensor[1];
        int step = 0;
        if (!warmedUp && step < steps) {
            // the eager first step makes the optimizer's state, which a trace must find already there
            Tensor value = optimizer.minimize(loss, variables);
            warmedUp = true;
            record(backend, value.view(), step++, steps, losses, values);
        }
        if (program == null && step < steps) {
            trace(backend);
            record(backend, Tracer.real(tracedLoss), step++, steps, losses, values);
            compileTrace();
        }
        if (step < steps) {
            int first = step;
            StridedView lossView = program.planned(tracedLoss);
            program.replay(new DeviceBuffer[0], steps - step,
                    replayed -> record(backend, lossView, first + (int) replayed, steps, losses, values));
        }
        if (losses[0] == null) {
            losses[0] = Tensor.zeros(Shape.of(0), variables.getFirst().dtype());
        }
        return new History(losses[0], values);
    }

    private Tracer tracer;
    private Set<DeviceBuffer> liveOut;

    private void trace(Backend backend) {
        tracer = Tracer.start(backend);
        Tensor value;
        try {
            value = optimizer.minimize(loss, variables);
        } catch (RuntimeException failure) {
            tracer.stop();
            tracer = null;
            throw new IllegalStateException("TrainingStep: tracing the step failed: " + failure.getMessage(), failure);
        } finally {
            if (tracer != null) {
                tracer.stop();
            }
        }
        if (value.isHostScalar() || !(value.storage.buffer instanceof Tracer.Traced)) {
            throw new IllegalStateException("TrainingStep: the loss (" + value.dtype() + " " + value.shape()
                    + ") was not computed inside the step; return a tensor computed from the variables");
        }
        tracedLoss = value.view();
        lossShape = value;
        liveOut = Collections.newSetFromMap(new IdentityHashMap<>());
        liveOut.add(value.storage.buffer);
    }

    private void compileTrace() {
        program = Program.compile(tracer, new DeviceBuffer[0], liveOut, fuse);
        tracer = null;
    }

    /** Copies the step's loss and the recorded variables into row {@code step} of the history buffers. */
    private static void record(Backend backend, StridedView lossView, int step, int steps, Tensor[] losses,
                               Map<Variable, Tensor> values) {
        if (losses[0] == null) {
            int[] dims = new int[lossView.rank() + 1];
            dims[0] = steps;
            System.arraycopy(lossView.shape(), 0, dims, 1, lossView.rank());
            losses[0] = Tensor.allocate("TrainingStep.run", backend, Shape.of(dims), lossView.dtype());
        }
        copyInto(backend, lossView, losses[0], step);
        for (Map.Entry<Variable, Tensor> entry : values.entrySet()) {
            copyInto(backend, entry.getKey().view(), entry.getValue(), step);
        }
    }

    private static void copyInto(Backend backend, StridedView source, Tensor history, int row) {
        long size = source.size();
        long[] strides = Shape.of(source.shape()).contiguousStrides();
        backend.copy(source, new StridedView(history.storage.buffer, source.shape(), strides, row * size));
    }

    /** Backend calls per replayed step, and the eager step's, for comparison ({@code ./quiver compare}). */
    public int callsPerStep() {
        requireCompiled("callsPerStep");
        return program.callsPerStep();
    }

    /** Backend calls the traced (eager) step made. */
    public int eagerCallsPerStep() {
        requireCompiled("eagerCallsPerStep");
        return program.tracedCalls();
    }

    /**
     * The traced step's backend calls and the compiled program's, one per line, with the memory plan's size: what
     * fusion did to this step.
     */
    public String describe() {
        requireCompiled("describe");
        return "traced step: " + program.tracedCalls() + " backend calls, " + program.intermediateBytes()
                + " bytes of intermediates\n" + program.describe(false) + "compiled: " + program.callsPerStep()
                + " calls per step, memory plan " + program.plannedBytes() + " bytes\n" + program.describe(true);
    }

    private void requireCompiled(String method) {
        checkOpen(method);
        if (program == null) {
            throw new IllegalStateException("TrainingStep." + method + ": not compiled yet; run at least 2 steps");
        }
    }

    private void checkOpen(String method) {
        if (closed) {
            throw new IllegalStateException("TrainingStep." + method + ": the step was closed");
        }
    }

    /** Releases the program's memory; the variables and the optimizer stay as they are. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (program != null) {
                program.close();
            }
        }
    }
}
