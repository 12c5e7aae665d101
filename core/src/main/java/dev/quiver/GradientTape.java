package dev.quiver;

import dev.quiver.spi.Primitive;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Records the ops run on watched tensors so that {@link #gradient} can differentiate them, with TensorFlow's
 * semantics:
 * <ul>
 *   <li>trainable {@link Variable}s are watched as soon as an op reads them; constants only after {@link #watch};</li>
 *   <li>a source the target does not depend on has gradient {@code null} ("None"), or zeros with
 *       {@link Unconnected#ZERO};</li>
 *   <li>a non-scalar target is summed; a non-persistent tape answers one {@code gradient} call;</li>
 *   <li>tapes nest: an outer tape records the inner tape's gradient computation, which gives higher derivatives;</li>
 *   <li>tapes belong to the thread that opened them; {@link #close()} stops recording and releases what the tape
 *       holds. Recording stops at close, so ask for gradients inside the try block.</li>
 * </ul>
 * Beyond one target and one source, as in TensorFlow: a list of targets (their gradients summed) and
 * {@code outputGradients} (one cotangent per target), {@link #reset()}, {@link #jacobian(Tensor, List)} of several
 * sources, {@link #batchJacobian}, and {@link #customGradient} ({@code tf.custom_gradient}). Forward mode is
 * {@link ForwardAccumulator}.
 *
 * <pre>{@code
 * Tensor x = Tensor.scalar(3.0);
 * try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
 *     outer.watch(x);
 *     inner.watch(x);
 *     Tensor y = x.pow(3);
 *     Tensor dy = inner.gradient(y, x);    // 27.0
 *     Tensor d2y = outer.gradient(dy, x);  // 18.0
 * }
 * }</pre>
 */
public final class GradientTape implements AutoCloseable {
    /** What {@link #gradient} returns for a source the target does not depend on. */
    public enum Unconnected {
        /** {@code null}, like TensorFlow's {@code None} (the default). */
        NONE,
        /** Zeros shaped like the source. */
        ZERO
    }

    // The thread's open tapes, newest first, as their marks. Weak references: a tape nobody can reach any more (never
    // closed) must not be kept recording, and alive, by this list; cleared entries are removed as ops run (record)
    // and as tapes open. An anonymous class, not withInitial(ArrayDeque::new): the first op of a program reads this,
    // and a method reference would bootstrap a lambda there (milliseconds of cold start).
    private static final ThreadLocal<ActiveTapes> ACTIVE = new ThreadLocal<>() {
        @Override
        protected ActiveTapes initialValue() {
            return new ActiveTapes();
        }
    };

    /** One thread's open tapes, and whether that thread was already told it leaks them. */
    @SuppressWarnings("serial") // never serialized: a per-thread structure
    private static final class ActiveTapes extends ArrayDeque<Mark> {
        boolean leakWarned;
        // the thread's open forward accumulators, oldest first (weak, like the marks: an unclosed one that nobody
        // reaches stops accumulating when collected); here, so an op pays one thread-local read for both
        final List<WeakReference<ForwardAccumulator>> accumulators = new ArrayList<>(0);
    }

    /** The calling thread's open forward accumulators, oldest first (ForwardAccumulator registers itself here). */
    static List<WeakReference<ForwardAccumulator>> accumulators() {
        return ACTIVE.get().accumulators;
    }

    /**
     * A tape's mark on the tensors it tracks ({@link Tensor#tapeMarks}): asking "does this tape track x" is a field
     * read and a reference compare on every input of every recorded op, where an identity map lookup cost ~4% of a
     * small training step. Weak, so a tensor that outlives its tape (a variable) keeps neither the tape alive nor it
     * recording; marks of closed or collected tapes are dropped when a tensor is marked again.
     */
    static final class Mark extends WeakReference<GradientTape> {
        private volatile boolean closed;

        Mark(GradientTape tape) {
            super(tape);
        }

        boolean live() {
            return !closed && get() != null;
        }
    }

    private static final Mark[] NO_MARKS = {};
    private static final VarHandle TAPE_MARKS;

    static {
        try {
            TAPE_MARKS = MethodHandles.lookup().findVarHandle(Tensor.class, "tapeMarks", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * More tapes than this open at once on one thread is a leak, not nesting: it is warned about, once per thread,
     * because every open tape, even one only the garbage collector can still see, records each op.
     */
    static final int LEAK_WARNING_THRESHOLD = 100;
    private static final System.Logger LOG = System.getLogger(GradientTape.class.getName());

    private final boolean persistent;
    private final boolean watchAccessedVariables;
    private final Thread owner = Thread.currentThread();
    private final Mark mark = new Mark(this);
    // the tensors this tape's mark is on (watched, read variables, recorded outputs), each once: for watched() and
    // for taking the mark off again at close
    private final List<Tensor> tracked = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private int pauses;
    private boolean used;
    private boolean closed;

    /** A non-persistent tape that watches trainable variables automatically. */
    public GradientTape() {
        this(false, true);
    }

    /** A tape that answers many {@code gradient} calls when {@code persistent}. */
    public GradientTape(boolean persistent) {
        this(persistent, true);
    }

    /**
     * @param persistent             whether {@code gradient} may be called more than once
     * @param watchAccessedVariables whether trainable variables are watched when read (TensorFlow's default: yes)
     */
    public GradientTape(boolean persistent, boolean watchAccessedVariables) {
        this.persistent = persistent;
        this.watchAccessedVariables = watchAccessedVariables;
        ActiveTapes active = ACTIVE.get();
        removeCleared(active);
        active.push(mark);
        if (active.size() > LEAK_WARNING_THRESHOLD && !active.leakWarned) {
            active.leakWarned = true;
            LOG.log(System.Logger.Level.WARNING, active.size() + " GradientTapes are open on thread "
                    + owner.getName() + ": close each one (try (GradientTape tape = new GradientTape()) {...}). "
                    + "An unclosed tape records every op on its thread until the garbage collector takes it.");
        }
    }

    /**
     * Watches {@code tensors} so that gradients with respect to them can be taken (constants need this). All are
     * checked before any is watched. An int or bool tensor carries no gradient: as TensorFlow does, it is not
     * watched, a warning naming it is logged ({@link System.Logger}, logger {@code dev.quiver.GradientTape}), and
     * its gradient is {@code null}:
     * <pre>{@code
     * tape.watch(Tensor.constant(new int[] {1, 2}));   // logs a warning; tape.gradient(y, thatTensor) is null
     * }</pre>
     */
    public void watch(Tensor... tensors) {
        checkUsable("watch");
        Errors.notNull(tensors, "watch", "tensors");
        for (int i = 0; i < tensors.length; i++) {
            Errors.notNull(tensors[i], "watch", tensors.length == 1 ? "the tensor" : "tensor " + i).checkOpen("watch");
        }
        for (int i = 0; i < tensors.length; i++) {
            Tensor tensor = tensors[i];
            if (tensor.dtype().isFloating()) {
                track(tensor);
            } else {
                String which = (tensors.length == 1 ? "the tensor" : "tensor " + i)
                        + (tensor instanceof Variable variable ? " (variable '" + variable.name() + "')" : "");
                LOG.log(System.Logger.Level.WARNING, "GradientTape.watch: the dtype of the watched tensor must be "
                        + "floating (float32 or float64), got " + tensor.dtype() + " for " + which + " of shape "
                        + tensor.shape() + " on " + tensor.backend().name() + "; it is not watched and its "
                        + "gradient is null (None), as in TensorFlow");
            }
        }
    }

    /** The tensors and variables watched so far (explicitly or by reading a trainable variable). */
    public List<Tensor> watched() {
        List<Tensor> sources = new ArrayList<>();
        Map<Tensor, Boolean> produced = new IdentityHashMap<>();
        for (Node node : nodes) {
            produced.put(node.output(), Boolean.TRUE);
        }
        for (Tensor tensor : tracked) {
            if (!produced.containsKey(tensor)) {
                sources.add(tensor);
            }
        }
        return sources;
    }

    /**
     * Runs {@code body} without recording on this tape (TensorFlow's {@code stop_recording}); other tapes still
     * record.
     */
    public void stopRecording(Runnable body) {
        Errors.notNull(body, "stopRecording", "body");
        pauses++;
        try {
            body.run();
        } finally {
            pauses--;
        }
    }

    /**
     * Runs {@code body} with every tape and {@link ForwardAccumulator} of this thread paused, like
     * {@code torch.no_grad()}: optimizers use it so that parameter updates are never recorded.
     */
    public static <T> T noRecording(java.util.function.Supplier<T> body) {
        Errors.notNull(body, "noRecording", "body");
        // strong references for the duration, so that each paused tape is also the one resumed
        List<GradientTape> tapes = new ArrayList<>();
        for (Mark reference : ACTIVE.get()) {
            GradientTape tape = reference.get();
            if (tape != null) {
                tapes.add(tape);
                tape.pauses++;
            }
        }
        List<ForwardAccumulator> accumulators = ForwardAccumulator.pauseFrom(0);
        try {
            return body.get();
        } finally {
            for (GradientTape tape : tapes) {
                tape.pauses--;
            }
            ForwardAccumulator.resume(accumulators);
        }
    }

    /**
     * d target / d source, or {@code null} when no gradient reaches the source. That happens when:
     * <ul>
     *   <li>the source is a constant that was not {@link #watch watched} before it was used (constants are not
     *       watched automatically: {@code tape.watch(x)}, or make it a trainable {@link Variable}, which is);</li>
     *   <li>the source is a non-trainable {@link Variable}, or the tape was made with
     *       {@code watchAccessedVariables = false} and the variable was not watched;</li>
     *   <li>the target does not depend on the source, or only through {@link Tensor#stopGradient()}, an int or
     *       bool result (comparisons, casts to int), or ops run outside this tape (before it opened, inside
     *       {@link #stopRecording}, after {@link #close()});</li>
     * </ul>
     * For zeros instead of {@code null}, ask with {@link Unconnected#ZERO}:
     * {@code tape.gradient(y, x, GradientTape.Unconnected.ZERO)}. An optimizer given a {@code null} gradient
     * skips that variable and logs a warning naming it.
     */
    public Tensor gradient(Tensor target, Tensor source) {
        return gradient(target, java.util.Collections.singletonList(source), Unconnected.NONE).getFirst();
    }

    /**
     * d target / d source, with a choice for unconnected sources ({@code null} or zeros; see
     * {@link #gradient(Tensor, Tensor)}).
     */
    public Tensor gradient(Tensor target, Tensor source, Unconnected unconnected) {
        return gradient(target, java.util.Collections.singletonList(source), unconnected).getFirst();
    }

    /**
     * The vector-Jacobian product {@code outputGradient · d target / d source}, TensorFlow's
     * {@code tape.gradient(y, x, output_gradients=dy)}: {@code outputGradient} (shaped like the target, its dtype)
     * weights each target element instead of the ones that sum it.
     * <pre>{@code
     * Tensor vjp = tape.gradient(x.square(), x, Tensor.constant(new double[] {1, 10}));   // 2x * [1, 10]
     * }</pre>
     */
    public Tensor gradient(Tensor target, Tensor source, Tensor outputGradient) {
        return gradient(List.of(Errors.notNull(target, "gradient", "target")),
                java.util.Collections.singletonList(source),
                java.util.Collections.singletonList(outputGradient), Unconnected.NONE).getFirst();
    }

    /**
     * One gradient per source, in order; {@code null} entries for unconnected sources (see
     * {@link #gradient(Tensor, Tensor)} for when that happens, and {@link Unconnected#ZERO} for zeros instead).
     */
    public List<Tensor> gradient(Tensor target, List<? extends Tensor> sources) {
        return gradient(target, sources, Unconnected.NONE);
    }

    /** One gradient per source, in order; unconnected sources give {@code null} or zeros as asked. */
    public List<Tensor> gradient(Tensor target, List<? extends Tensor> sources, Unconnected unconnected) {
        return gradient(List.of(Errors.notNull(target, "gradient", "target")), sources, null, unconnected);
    }

    /**
     * The gradient of several targets with respect to one source: their gradients summed, as TensorFlow does for
     * {@code tape.gradient([y1, y2], x)} (each non-scalar target summed first).
     * <pre>{@code
     * Tensor d = tape.gradient(List.of(x.square(), x.mul(3.0)), x);   // 2x + 3
     * }</pre>
     */
    public Tensor gradient(List<? extends Tensor> targets, Tensor source) {
        return gradient(targets, java.util.Collections.singletonList(source), null, Unconnected.NONE).getFirst();
    }

    /** The summed gradient of several targets, one per source ({@code null} for unconnected sources). */
    public List<Tensor> gradient(List<? extends Tensor> targets, List<? extends Tensor> sources) {
        return gradient(targets, sources, null, Unconnected.NONE);
    }

    /**
     * The general form, TensorFlow's {@code tape.gradient(targets, sources, output_gradients,
     * unconnected_gradients)}: the sum over targets of {@code outputGradients[i] · d targets[i] / d source}, one
     * result per source. {@code outputGradients} is {@code null} (ones: each target summed) or one cotangent per
     * target, shaped like it, of its dtype; a {@code null} entry means ones for that target.
     * <pre>{@code
     * List<Tensor> grads = tape.gradient(List.of(y1, y2), List.of(w, b),
     *         Arrays.asList(dy1, null), GradientTape.Unconnected.ZERO);
     * }</pre>
     */
    public List<Tensor> gradient(List<? extends Tensor> targets, List<? extends Tensor> sources,
                                 List<? extends Tensor> outputGradients, Unconnected unconnected) {
        checkTargets("gradient", targets, outputGradients);
        checkSources("gradient", sources);
        Errors.notNull(unconnected, "gradient", "unconnected");
        claimUse("gradient");
        try {
            Map<Tensor, Tensor> seeds = new IdentityHashMap<>();
            for (int i = 0; i < targets.size(); i++) {
                Tensor cotangent = outputGradients == null ? null : outputGradients.get(i);
                seed(seeds, targets.get(i), cotangent != null ? cotangent : Tensor.onesLike(targets.get(i)));
            }
            Map<Tensor, Tensor> grads = backward(seeds, persistent);
            List<Tensor> result = new ArrayList<>(sources.size());
            for (Tensor source : sources) {
                Tensor grad = grads.get(source);
                if (grad == null && unconnected == Unconnected.ZERO) {
                    grad = Tensor.zerosLike(source);
                }
                result.add(grad);
            }
            return result;
        } finally {
            releaseIfDone();
        }
    }

    /**
     * The Jacobian of {@code target} with respect to {@code source}: shape {@code target.shape + source.shape},
     * one backward pass per target element ({@code null} when unconnected). Counts as one use of the tape.
     */
    public Tensor jacobian(Tensor target, Tensor source) {
        return jacobian(target, java.util.Collections.singletonList(source), Unconnected.NONE).getFirst();
    }

    /** The Jacobian of {@code target} with respect to each source, in order ({@code null} for unconnected ones). */
    public List<Tensor> jacobian(Tensor target, List<? extends Tensor> sources) {
        return jacobian(target, sources, Unconnected.NONE);
    }

    /**
     * TensorFlow's {@code tape.jacobian(target, sources, unconnected_gradients)}: one Jacobian per source, shape
     * {@code target.shape + source.shape}, all from the same backward passes (one per target element); an
     * unconnected source gives {@code null} or zeros as asked. Counts as one use of the tape.
     * <pre>{@code
     * List<Tensor> j = tape.jacobian(m.matmul(v), List.of(m, v));
     * }</pre>
     */
    public List<Tensor> jacobian(Tensor target, List<? extends Tensor> sources, Unconnected unconnected) {
        Errors.notNull(target, "jacobian", "target").checkOpen("jacobian");
        checkSources("jacobian", sources);
        Errors.notNull(unconnected, "jacobian", "unconnected");
        claimUse("jacobian");
        try {
            int count = (int) target.size();
            List<List<Tensor>> rows = new ArrayList<>();
            for (int s = 0; s < sources.size(); s++) {
                rows.add(new ArrayList<>(count));
            }
            for (int i = 0; i < count; i++) {
                Map<Tensor, Tensor> grads = backward(oneHotSeed(target, count, i, 1), false);
                for (int s = 0; s < sources.size(); s++) {
                    rows.get(s).add(grads.get(sources.get(s)));
                }
            }
            List<Tensor> result = new ArrayList<>(sources.size());
            for (int s = 0; s < sources.size(); s++) {
                Tensor source = sources.get(s);
                int[] dims = new int[target.rank() + source.rank()];
                System.arraycopy(target.shape().dims(), 0, dims, 0, target.rank());
                System.arraycopy(source.shape().dims(), 0, dims, target.rank(), source.rank());
                result.add(assemble("jacobian", rows.get(s), 0, source.shape(), dims, target, source, unconnected));
            }
            return result;
        } finally {
            releaseIfDone();
        }
    }

    /**
     * TensorFlow's {@code tape.batch_jacobian}: for a target {@code (b, y1, ...)} whose row {@code i} depends only on
     * row {@code i} of a source {@code (b, x1, ...)}, the per-row Jacobians, shape {@code (b, y1, ..., x1, ...)}:
     * one backward pass per element of a target row, not per element of the target. Both must have rank at least 2
     * and the same first dimension. {@code null} when unconnected. Counts as one use of the tape.
     * <pre>{@code
     * Tensor x = Tensor.randomNormal(new int[] {8, 3}, 0, 1, 42);   // a batch of 8 points
     * tape.watch(x);
     * Tensor y = x.mul(x);                                         // (8, 3)
     * Tensor j = tape.batchJacobian(y, x);                         // (8, 3, 3): diag(2 x_i) per row
     * }</pre>
     */
    public Tensor batchJacobian(Tensor target, Tensor source) {
        return batchJacobian(target, source, Unconnected.NONE);
    }

    /** {@link #batchJacobian(Tensor, Tensor)}, with zeros instead of {@code null} for an unconnected source. */
    public Tensor batchJacobian(Tensor target, Tensor source, Unconnected unconnected) {
        Errors.notNull(target, "batchJacobian", "target").checkOpen("batchJacobian");
        Errors.notNull(source, "batchJacobian", "source").checkOpen("batchJacobian");
        Errors.notNull(unconnected, "batchJacobian", "unconnected");
        if (target.rank() < 2 || source.rank() < 2 || target.shape().dim(0) != source.shape().dim(0)) {
            throw Errors.invalid("batchJacobian", target.backend(), "the target and the source must have rank at "
                    + "least 2 and the same first (batch) dimension, got target " + target.shape() + " and source "
                    + source.shape());
        }
        claimUse("batchJacobian");
        try {
            int batch = target.shape().dim(0);
            int perRow = batch == 0 ? 0 : (int) (target.size() / batch);
            List<Tensor> rows = new ArrayList<>(perRow);
            for (int j = 0; j < perRow; j++) {
                // column j of every row at once: rows are independent, so each row's gradient is its own
                Tensor grad = backward(oneHotSeed(target, perRow, j, batch), false).get(source);
                rows.add(grad == null ? null : grad.reshape(batch, (int) (source.size() / batch)));
            }
            int[] dims = new int[target.rank() + source.rank() - 1];
            System.arraycopy(target.shape().dims(), 0, dims, 0, target.rank());
            System.arraycopy(source.shape().dims(), 1, dims, target.rank(), source.rank() - 1);
            return assemble("batchJacobian", rows, 1, Shape.of(batch, (int) (source.size() / Math.max(1, batch))),
                    dims, target, source, unconnected);
        } finally {
            releaseIfDone();
        }
    }

    /**
     * Drops everything recorded so far, as if this tape were closed and a new one opened in its place (TensorFlow's
     * {@code tape.reset()}): the tape keeps recording, nothing is watched until {@link #watch} or a variable is read
     * again, and a non-persistent tape that already answered may answer once more.
     * <pre>{@code
     * try (GradientTape tape = new GradientTape()) {
     *     Tensor first = lossA();
     *     tape.reset();                     // forget lossA's graph
     *     Tensor loss = first.add(lossB()); // only lossB's part is differentiated
     *     tape.gradient(loss, w);
     * }
     * }</pre>
     */
    public void reset() {
        checkUsable("reset");
        nodes.clear();
        for (Tensor tensor : tracked) {
            unmark(tensor);
        }
        tracked.clear();
        used = false;
    }

    /**
     * {@code body(input)} whose gradient is the backward function the body returns, not that of the ops it ran:
     * TensorFlow's {@code tf.custom_gradient}. The body runs like any code (tapes record it, so a backward function
     * that reads its intermediates still has their second derivatives); the value it returns is handed out as a
     * new tensor that tapes connect to {@code input} only through the backward function. A
     * {@link ForwardAccumulator} takes the JVP from the same function (its transpose). See {@link CustomGradient}.
     * Gradients reach only the inputs: pass a variable the body reads as an input too (TensorFlow's
     * {@code grad_fn(..., variables=...)} has no counterpart here).
     * <pre>{@code
     * Tensor y = GradientTape.customGradient(x, in -> CustomGradient.of(in.square(), dy -> dy.mul(in).mul(2.0)));
     * }</pre>
     */
    public static Tensor customGradient(Tensor input, java.util.function.Function<Tensor, CustomGradient> body) {
        Errors.notNull(input, "customGradient", "input");
        Errors.notNull(body, "customGradient", "body");
        return customGradient(List.of(input), inputs -> body.apply(inputs.getFirst()));
    }

    /**
     * {@link #customGradient(Tensor, java.util.function.Function)} for several inputs: the body gets them in order,
     * and its backward function returns one gradient per input ({@code null} for none).
     */
    public static Tensor customGradient(List<? extends Tensor> inputs,
                                        java.util.function.Function<List<Tensor>, CustomGradient> body) {
        Errors.notNull(inputs, "customGradient", "inputs");
        Errors.notNull(body, "customGradient", "body");
        Tensor[] operands = new Tensor[inputs.size()];
        for (int i = 0; i < operands.length; i++) {
            operands[i] = Errors.notNull(inputs.get(i), "customGradient", "input " + i);
            operands[i].checkOpen("customGradient");
        }
        CustomGradient result = body.apply(List.of(operands));
        if (result == null || result.value() == null || result.backward() == null) {
            throw Errors.nullArgument("customGradient", result == null ? "the body's result"
                    : result.value() == null ? "the body's value" : "the body's backward function");
        }
        result.value().checkOpen("customGradient");
        // a fresh tensor on the same data: whatever the body recorded ends at `value`, so the only way from the
        // output back to the inputs is the node recorded here (a body returning its input unchanged included)
        Tensor output = result.value().stopGradient();
        record(null, operands, output, new Node.CustomBackward(result.backward()));
        return output;
    }

    /** Stops recording and releases the recorded graph. Later calls to this tape are errors. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            mark.closed = true;
            ActiveTapes active = ACTIVE.get();
            for (Iterator<Mark> it = active.iterator(); it.hasNext(); ) {
                GradientTape tape = it.next().get();
                if (tape == null || tape == this) {
                    it.remove();
                }
            }
            nodes.clear();
            for (Tensor tensor : tracked) {
                unmark(tensor);
            }
            tracked.clear();
        }
    }

    /** How many tapes the calling thread's active list holds (for tests: it must not grow with dropped tapes). */
    static int activeCount() {
        return ACTIVE.get().size();
    }

    /** Drops the entries of tapes the garbage collector has taken. */
    private static void removeCleared(ActiveTapes active) {
        // an iterator, not removeIf(lambda): tapes open on a program's path to its first result (cold start)
        for (Iterator<Mark> it = active.iterator(); it.hasNext(); ) {
            if (it.next().get() == null) {
                it.remove();
            }
        }
    }

    // ---------------------------------------------------------------- recording (called by Ops)

    /**
     * Records one op on every recording tape of this thread that watches one of its inputs, then gives it to the
     * thread's forward accumulators: tapes first, so that a tape recording an accumulator's JVP ops (which may read
     * this op's output) already holds this op's node before them. {@code op} is null for a custom-gradient node.
     */
    static void record(Primitive op, Tensor[] inputs, Tensor output, Node.Attributes attributes) {
        ActiveTapes tapes = ACTIVE.get();
        if (tapes.isEmpty() && tapes.accumulators.isEmpty()) {
            return;
        }
        // ints and bools carry no gradient, so no node; but reading a trainable variable still watches it (as in
        // TensorFlow: max(variables) compares them, then returns one whose gradient must not be lost)
        boolean floating = output.dtype().isFloating();
        Node node = null;
        boolean cleared = false;
        for (Mark reference : tapes) {
            GradientTape tape = reference.get();
            if (tape == null) {
                cleared = true; // collected without close(): nobody could ask it for a gradient
                continue;
            }
            if (tape.pauses > 0 || tape.closed || (tape.used && !tape.persistent)) {
                continue;
            }
            boolean watches = false;
            for (Tensor input : inputs) {
                watches |= tape.tracks(input);
            }
            if (watches && floating) {
                if (node == null) {
                    node = new Node(op, inputs, output, attributes);
                }
                tape.nodes.add(node);
                tape.track(output);
            }
        }
        if (cleared) {
            removeCleared(tapes);
        }
        if (floating && !tapes.accumulators.isEmpty()) {
            ForwardAccumulator.record(tapes.accumulators, node != null ? node
                    : new Node(op, inputs, output, attributes));
        }
    }

    /** Whether gradients flow to {@code tensor} on this tape; watches a trainable variable on first read. */
    private boolean tracks(Tensor tensor) {
        if (marked(tensor)) {
            return true;
        }
        if (watchAccessedVariables && tensor instanceof Variable variable && variable.trainable()
                && variable.dtype().isFloating()) {
            track(variable);
            return true;
        }
        return false;
    }

    /** Whether this tape's mark is on {@code tensor}: a field read and a compare (two for a nested tape). */
    private boolean marked(Tensor tensor) {
        Object marks = tensor.tapeMarks;
        if (marks == mark) {
            return true;
        }
        if (marks instanceof Mark[] several) {
            for (Mark other : several) {
                if (other == mark) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Puts this tape's mark on {@code tensor} (once), dropping marks of tapes that closed or were collected. A
     * compare-and-set loop: a tensor may be shared by threads, each with its own tapes, and no mark may be lost.
     */
    private void track(Tensor tensor) {
        while (true) {
            Object marks = tensor.tapeMarks;
            if (marks == mark) {
                return;
            }
            if (marks == null) { // the common case, a fresh op output: no list to build
                if (TAPE_MARKS.compareAndSet(tensor, null, mark)) {
                    tracked.add(tensor);
                    return;
                }
                continue;
            }
            List<Mark> kept = liveMarksExcept(marks, null);
            if (kept.contains(mark)) {
                return;
            }
            kept.add(mark);
            if (TAPE_MARKS.compareAndSet(tensor, marks, kept.size() == 1 ? mark : kept.toArray(NO_MARKS))) {
                tracked.add(tensor);
                return;
            }
        }
    }

    /** Takes this tape's mark off {@code tensor} (at close), keeping the marks of other live tapes. */
    private void unmark(Tensor tensor) {
        while (true) {
            Object marks = tensor.tapeMarks;
            List<Mark> kept = liveMarksExcept(marks, mark);
            Object next = kept.isEmpty() ? null : kept.size() == 1 ? kept.getFirst() : kept.toArray(NO_MARKS);
            if (TAPE_MARKS.compareAndSet(tensor, marks, next)) {
                return;
            }
        }
    }

    /** The live marks in {@code marks} (null, one mark or an array), without {@code excluded}. */
    private static List<Mark> liveMarksExcept(Object marks, Mark excluded) {
        List<Mark> kept = new ArrayList<>(2);
        if (marks instanceof Mark one) {
            if (one != excluded && one.live()) {
                kept.add(one);
            }
        } else if (marks instanceof Mark[] several) {
            for (Mark other : several) {
                if (other != excluded && other.live()) {
                    kept.add(other);
                }
            }
        }
        return kept;
    }

    // ---------------------------------------------------------------- backward pass

    /**
     * The gradients, for every tensor this tape tracks, of the targets in {@code seeds} weighted by their seeds (one
     * sweep: the nodes are in the order they ran, so a target that another target depends on has all of its
     * gradient before its own node is reached). Outer tapes record the backward pass (higher-order gradients); this
     * tape records it too when {@code recordSelf}, so that a persistent tape can differentiate its own gradient
     * (TensorFlow's testHigherOrderGradient). The nodes it appends lie after the ones walked here, so the walk does
     * not see them.
     */
    private Map<Tensor, Tensor> backward(Map<Tensor, Tensor> seeds, boolean recordSelf) {
        Map<Tensor, Tensor> grads = new IdentityHashMap<>(seeds);
        if (grads.isEmpty()) {
            return grads;
        }
        int pause = recordSelf ? 0 : 1;
        pauses += pause;
        try {
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node node = nodes.get(i);
                Tensor upstream = grads.get(node.output());
                if (upstream == null) {
                    continue;
                }
                boolean[] needed = new boolean[node.inputs().length];
                boolean any = false;
                for (int j = 0; j < needed.length; j++) {
                    needed[j] = marked(node.inputs()[j]) && node.inputs()[j].dtype().isFloating();
                    any |= needed[j];
                }
                if (!any) {
                    continue;
                }
                Tensor[] inputGrads = GradientRules.backward(node, upstream, needed);
                for (int j = 0; j < needed.length; j++) {
                    if (needed[j] && inputGrads[j] != null) {
                        Tensor input = node.inputs()[j];
                        checkGradientShape(node, input, inputGrads[j]);
                        grads.merge(input, inputGrads[j], Tensor::add);
                    }
                }
            }
        } finally {
            pauses -= pause;
        }
        return grads;
    }

    /** Adds {@code target}'s seed to {@code seeds} (summed when a target is given twice); unrecorded targets give none. */
    private void seed(Map<Tensor, Tensor> seeds, Tensor target, Tensor seed) {
        if (marked(target)) {
            seeds.merge(target, seed, Tensor::add);
        }
    }

    /**
     * The seed that picks element {@code column} of each of {@code rows} rows of {@code target} (viewed as
     * {@code (rows, columns)}): one Jacobian row, or with rows = batch one column of every batch row at once.
     */
    private Map<Tensor, Tensor> oneHotSeed(Tensor target, int columns, int column, int rows) {
        Tensor seed = Tensor.fill("jacobian", target.backend(), Shape.of(rows, columns), 0, target.dtype());
        target.device().fill(seed.slice(new int[] {0, column}, new int[] {rows, 1}).view(), 1);
        Map<Tensor, Tensor> seeds = new IdentityHashMap<>();
        seed(seeds, target, seed.reshape(target.shape()));
        return seeds;
    }

    /**
     * Stacks the per-seed gradient blocks of one source ({@code null}: no gradient reached it on that pass) along
     * {@code axis} into shape {@code dims}; {@code null}, or zeros with {@link Unconnected#ZERO}, when no pass
     * reached it (or, with no pass at all, when the recorded graph does not connect it to the target).
     */
    private Tensor assemble(String method, List<Tensor> blocks, int axis, Shape blockShape, int[] dims,
                            Tensor target, Tensor source, Unconnected unconnected) {
        boolean connected = blocks.isEmpty() ? reaches(target, source) : blocks.stream().anyMatch(b -> b != null);
        if (!connected && unconnected == Unconnected.NONE) {
            return null;
        }
        Shape shape = Shape.of(method, source.backend(), dims);
        if (!connected || blocks.isEmpty()) {
            return Tensor.fill(method, source.backend(), shape, 0, source.dtype());
        }
        List<Tensor> dense = new ArrayList<>(blocks.size());
        for (Tensor block : blocks) {
            dense.add(block != null ? block
                    : Tensor.fill(method, source.backend(), blockShape, 0, source.dtype()));
        }
        return Tensor.stack(dense, axis).reshape(shape);
    }

    /**
     * Whether a gradient could flow from {@code target} to {@code source} along the recorded nodes (the same rule
     * as the backward sweep: floating inputs this tape tracks, primitives that are differentiable): a Jacobian of
     * an empty target is then zeros rather than {@code null}, as TensorFlow decides it from the graph.
     */
    private boolean reaches(Tensor target, Tensor source) {
        Map<Tensor, Boolean> reached = new IdentityHashMap<>();
        if (!marked(target)) {
            return false;
        }
        reached.put(target, Boolean.TRUE);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            if (reached.containsKey(node.output())
                    && (node.op() == null || !GradientRules.NOT_DIFFERENTIABLE.contains(node.op()))) {
                for (Tensor input : node.inputs()) {
                    if (marked(input) && input.dtype().isFloating()) {
                        reached.put(input, Boolean.TRUE);
                    }
                }
            }
        }
        return reached.containsKey(source);
    }

    /** Non-null, open targets, and when given, one cotangent per target of its shape, dtype and backend. */
    private static void checkTargets(String method, List<? extends Tensor> targets,
                                     List<? extends Tensor> outputGradients) {
        Errors.notNull(targets, method, "targets");
        for (int i = 0; i < targets.size(); i++) {
            Errors.notNull(targets.get(i), method, targets.size() == 1 ? "target" : "target " + i).checkOpen(method);
        }
        if (outputGradients == null) {
            return;
        }
        if (outputGradients.size() != targets.size()) {
            throw Errors.invalid(method, targets.isEmpty() ? Quiver.backend() : targets.getFirst().backend(),
                    "outputGradients has " + outputGradients.size() + " entries for " + targets.size()
                    + " targets; give one cotangent per target (null for ones)");
        }
        for (int i = 0; i < targets.size(); i++) {
            Tensor target = targets.get(i);
            Tensor cotangent = outputGradients.get(i);
            if (cotangent == null) {
                continue;
            }
            cotangent.checkOpen(method);
            if (!cotangent.shape().equals(target.shape()) || cotangent.dtype() != target.dtype()
                    || cotangent.backend() != target.backend()) {
                throw Errors.invalid(method, target.backend(), "outputGradients " + i + " is " + cotangent.dtype()
                        + " " + cotangent.shape() + " on " + Ops.describeBackend(cotangent) + ", but target " + i
                        + " is " + target.dtype() + " " + target.shape() + " on " + Ops.describeBackend(target)
                        + "; a cotangent has its target's shape, dtype and backend");
            }
        }
    }

    private static void checkSources(String method, List<? extends Tensor> sources) {
        Errors.notNull(sources, method, "sources");
        for (int i = 0; i < sources.size(); i++) {
            Errors.notNull(sources.get(i), method, sources.size() == 1 ? "source" : "source " + i).checkOpen(method);
        }
    }

    private static void checkGradientShape(Node node, Tensor input, Tensor grad) {
        if (!grad.shape().equals(input.shape())) {
            throw new IllegalStateException("gradient rule of " + node.name() + " produced shape "
                    + grad.shape() + " for an input of shape " + input.shape() + " (inputs "
                    + Arrays.toString(Arrays.stream(node.inputs()).map(Tensor::shape).toArray()) + ")");
        }
    }

    private void checkUsable(String call) {
        if (closed) {
            throw new IllegalStateException("GradientTape." + call + ": the tape is closed");
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("GradientTape." + call + ": tapes belong to the thread that opened them ("
                    + owner.getName() + "), called from " + Thread.currentThread().getName());
        }
    }

    private void claimUse(String call) {
        checkUsable(call);
        if (used && !persistent) {
            throw new IllegalStateException("GradientTape." + call + " can only be called once on a non-persistent "
                    + "tape; create it with new GradientTape(true) to ask for several gradients");
        }
        used = true;
    }

    private void releaseIfDone() {
        if (!persistent) {
            nodes.clear(); // a non-persistent tape lets go of its graph after its one answer
        }
    }
}
