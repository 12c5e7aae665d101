package dev.quiver;

import dev.quiver.optimizers.Optimizer;
import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import java.util.HashMap;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
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
    private final Function<List<Tensor>, Tensor> loss;
    private final boolean fuse;
    // one program per input signature (none for a step without inputs)
    private final Map<String, Compiled> programs = new HashMap<>();
    private Compiled last;
    private boolean warmedUp;
    private boolean closed;

    private record Compiled(Program program, StridedView loss) {
    }

    private TrainingStep(Optimizer optimizer, List<? extends Variable> variables, Function<List<Tensor>, Tensor> loss,
                         boolean fuse) {
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
        return compile(optimizer, variables, loss, true);
    }

    /**
     * As {@link #compile(Optimizer, List, Supplier)}, choosing whether to fuse: without fusion a replay gives the
     * eager loop's bits exactly, also where a fused sum would add in another order.
     */
    public static TrainingStep compile(Optimizer optimizer, List<? extends Variable> variables, Supplier<Tensor> loss,
                                       boolean fuse) {
        Errors.notNull(loss, "TrainingStep.compile", "loss");
        return new TrainingStep(optimizer, variables, batch -> loss.get(), fuse);
    }

    /**
     * A step that takes a batch: {@link #step(List)} binds the given tensors as the inputs of {@code loss}, tracing
     * once per input signature (dtypes, shapes), like {@code tf.function}. For data fed from the host or from a
     * dataset on the device.
     *
     * <pre>{@code
     * TrainingStep step = TrainingStep.compile(new SGD(0.1), List.of(w, b),
     *         batch -> Losses.meanSquaredError(batch.get(1), batch.get(0).mul(w).add(b)), true);
     * Tensor loss = step.step(xBatch, yBatch);
     * }</pre>
     */
    public static TrainingStep compile(Optimizer optimizer, List<? extends Variable> variables,
                                       Function<List<Tensor>, Tensor> loss, boolean fuse) {
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
        long[][] lossRow = new long[1][];   // a row's strides in the losses, worked out once: a replay allocates nothing
        Variable[] kept = values.keySet().toArray(new Variable[0]);
        Tensor[] histories = values.values().toArray(new Tensor[0]);
        take(List.of(), steps, (lossView, row) -> record(backend, lossView, row, steps, losses, lossRow, kept,
                histories));
        if (losses[0] == null) {
            losses[0] = Tensor.zeros(Shape.of(0), variables.getFirst().dtype());
        }
        return new History(losses[0], values);
    }

    /** Receives the loss of step {@code row} of a run, as a view of device memory valid during the call. */
    private interface LossSink {
        void accept(StridedView loss, int row);
    }

    /**
     * One step on {@code batch} (the inputs of a step made with a loss function of a batch), tracing it first for a
     * new input signature; returns its loss as a new tensor. The host waits for nothing.
     */
    public Tensor step(Tensor... batch) {
        return step(List.of(Errors.notNull(batch, "TrainingStep.step", "batch")));
    }

    /** {@link #step(Tensor...)} for a list. */
    public Tensor step(List<Tensor> batch) {
        checkOpen("step");
        Errors.notNull(batch, "TrainingStep.step", "batch");
        Tensor[] loss = new Tensor[1];
        Backend backend = variables.getFirst().backend();
        take(batch, 1, (lossView, row) -> {
            loss[0] = Tensor.allocate("TrainingStep.step", backend, Shape.of(lossView.shape()), lossView.dtype());
            backend.copy(lossView, loss[0].view());
        });
        return loss[0];
    }

    /** Takes {@code steps} steps on {@code batch}: eager first, then traced, then replayed; {@code sink} gets each loss. */
    private void take(List<Tensor> batch, int steps, LossSink sink) {
        Backend backend = variables.getFirst().backend();
        Program.Inputs bound = Program.Inputs.of("TrainingStep.step", backend, batch);
        List<Tensor> inputs = bound.dense();
        DeviceBuffer[] buffers = bound.buffers();
        int row = 0;
        if (!warmedUp && row < steps) {
            // the eager first step makes the optimizer's state, which a trace must find already there
            Tensor value = optimizer.minimize(() -> loss.apply(List.copyOf(inputs)), variables);
            warmedUp = true;
            sink.accept(value.view(), row++);
        }
        Compiled compiled = programs.get(bound.signature());
        if (compiled == null && row < steps) {
            compiled = trace(backend, inputs, buffers, sink, row++);
            programs.put(bound.signature(), compiled);
        }
        if (row < steps) {
            int first = row;
            StridedView lossView = compiled.program.planned(compiled.loss);
            compiled.program.replay(buffers, steps - row, replayed -> sink.accept(lossView, first + (int) replayed));
        }
        if (compiled != null) {
            last = compiled;
        }
        java.lang.ref.Reference.reachabilityFence(inputs);
    }

    /** Traces one step (which runs), hands its loss to {@code sink}, and compiles it. */
    private Compiled trace(Backend backend, List<Tensor> inputs, DeviceBuffer[] buffers, LossSink sink, int row) {
        Tracer tracer = Tracer.start(backend);
        Tensor value;
        try {
            value = optimizer.minimize(() -> loss.apply(List.copyOf(inputs)), variables);
        } catch (RuntimeException failure) {
            throw new IllegalStateException("TrainingStep: tracing the step failed: " + failure.getMessage(), failure);
        } finally {
            tracer.stop();
        }
        if (!(value.storage.buffer instanceof Tracer.Traced traced) || traced.constant) {
            throw new IllegalStateException("TrainingStep: the loss (" + value.dtype() + " " + value.shape()
                    + ") was not computed inside the step; return a tensor computed from the variables");
        }
        sink.accept(Tracer.real(value.view()), row);
        Set<DeviceBuffer> liveOut = Collections.newSetFromMap(new IdentityHashMap<>());
        liveOut.add(value.storage.buffer);
        return new Compiled(Program.compile(tracer, buffers, liveOut, fuse), value.view());
    }

    /** Copies the step's loss and the recorded variables into row {@code step} of the history buffers. */
    private static void record(Backend backend, StridedView lossView, int step, int steps, Tensor[] losses,
                               long[][] lossRow, Variable[] recorded, Tensor[] histories) {
        if (losses[0] == null) {
            int[] dims = new int[lossView.rank() + 1];
            dims[0] = steps;
            System.arraycopy(lossView.shape(), 0, dims, 1, lossView.rank());
            losses[0] = Tensor.allocate("TrainingStep.run", backend, Shape.of(dims), lossView.dtype());
            lossRow[0] = Shape.of(lossView.shape()).contiguousStrides();
        }
        copyInto(backend, lossView, lossRow[0], losses[0], step);
        for (int i = 0; i < recorded.length; i++) {   // arrays, not the map: no iterator per step
            StridedView value = recorded[i].view();
            copyInto(backend, value, Shape.of(value.shape()).contiguousStrides(), histories[i], step);
        }
    }

    /** Copies {@code source} into row {@code row} of {@code history}, a row being contiguous with {@code strides}. */
    private static void copyInto(Backend backend, StridedView source, long[] strides, Tensor history, int row) {
        long size = source.size();
        backend.copy(source, new StridedView(history.storage.buffer, source.shape(), strides, row * size));
    }

    /** The program compiled last (null before the second step), for the tests in this package. */
    Program lastProgram() {
        return last == null ? null : last.program;
    }

    /** Backend calls per replayed step, and the eager step's, for comparison ({@code ./quiver compare}). */
    public int callsPerStep() {
        requireCompiled("callsPerStep");
        return last.program.callsPerStep();
    }

    /**
     * How the replayed steps run: {@code "captured: one graph launch per step (cuda)"} where the backend captured the
     * step as a CUDA graph, else {@code "call by call: "} and why (the last line of {@link #describe()}).
     */
    public String replayMode() {
        requireCompiled("replayMode");
        return last.program.replayMode();
    }

    /** Backend calls the traced (eager) step made. */
    public int eagerCallsPerStep() {
        requireCompiled("eagerCallsPerStep");
        return last.program.tracedCalls();
    }

    /**
     * The traced step's backend calls and the compiled program's, one per line, with the memory plan's size: what
     * fusion did to this step.
     */
    public String describe() {
        requireCompiled("describe");
        Program program = last.program;
        String fusion = program.fused() ? "fused" : fuse ? "not fused: backend " + variables.getFirst().backend().name()
                + " runs no fused kernels" : "not fused (compiled without fusion)";
        return "traced step: " + program.tracedCalls() + " backend calls, " + program.intermediateBytes()
                + " bytes of intermediates\n" + program.describe(false) + "compiled (" + fusion + "): "
                + program.callsPerStep()
                + " calls per step, memory plan " + program.plannedBytes() + " bytes\n" + program.describe(true);
    }

    private void requireCompiled(String method) {
        checkOpen(method);
        if (last == null) {
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
            programs.values().forEach(compiled -> compiled.program.close());
            programs.clear();
        }
    }
}
