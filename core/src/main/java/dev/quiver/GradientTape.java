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
     * Runs {@code body} with every tape of this thread paused, like {@code torch.no_grad()}: optimizers use it so
     * that parameter updates are never recorded.
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
        try {
            return body.get();
        } finally {
            for (GradientTape tape : tapes) {
                tape.pauses--;
            }
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
     * One gradient per source, in order; {@code null} entries for unconnected sources (see
     * {@link #gradient(Tensor, Tensor)} for when that happens, and {@link Unconnected#ZERO} for zeros instead).
     */
    public List<Tensor> gradient(Tensor target, List<? extends Tensor> sources) {
        return gradient(target, sources, Unconnected.NONE);
    }

    /** One gradient per source, in order; unconnected sources give {@code null} or zeros as asked. */
    public List<Tensor> gradient(Tensor target, List<? extends Tensor> sources, Unconnected unconnected) {
        Errors.notNull(target, "gradient", "target").checkOpen("gradient");
        Errors.notNull(sources, "gradient", "sources");
        Errors.notNull(unconnected, "gradient", "unconnected");
        for (int i = 0; i < sources.size(); i++) {
            Errors.notNull(sources.get(i), "gradient", "source " + i).checkOpen("gradient");
        }
        claimUse("gradient");
        try {
            Map<Tensor, Tensor> grads = backward(target, Tensor.onesLike(target), persistent);
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
        Errors.notNull(target, "jacobian", "target").checkOpen("jacobian");
        Errors.notNull(source, "jacobian", "source").checkOpen("jacobian");
        claimUse("jacobian");
        try {
            int count = (int) target.size();
            List<Tensor> rows = new ArrayList<>(count);
            boolean connected = false;
            for (int i = 0; i < count; i++) {
                Tensor seed = Tensor.fill("jacobian", target.backend(), Shape.of(count), 0, target.dtype());
                target.device().fill(seed.slice(new int[] {i}, new int[] {1}).view(), 1);
                Tensor grad = backward(target, seed.reshape(target.shape()), false).get(source);
                connected |= grad != null;
                rows.add(grad != null ? grad : Tensor.zerosLike(source));
            }
            if (!connected) {
                return null;
            }
            int[] dims = new int[target.rank() + source.rank()];
            System.arraycopy(target.shape().dims(), 0, dims, 0, target.rank());
            System.arraycopy(source.shape().dims(), 0, dims, target.rank(), source.rank());
            if (count == 0) {
                return Tensor.zeros(Shape.of(dims), source.dtype());
            }
            return Tensor.stack(rows, 0).reshape(dims);
        } finally {
            releaseIfDone();
        }
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

    /** Records one op on every recording tape of this thread that watches one of its inputs. */
    static void record(Primitive op, Tensor[] inputs, Tensor output, Node.Attributes attributes) {
        ActiveTapes tapes = ACTIVE.get();
        if (tapes.isEmpty()) {
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

    /** Reverse-mode sweep from {@code target} with upstream {@code seed}; returns the gradient of every tracked tensor. */
    /**
     * The gradients of {@code target} (seeded with {@code seed}) for every tensor this tape tracks. Outer tapes
     * record the backward pass (higher-order gradients); this tape records it too when {@code recordSelf}, so that a
     * persistent tape can differentiate its own gradient (TensorFlow's testHigherOrderGradient). The nodes it
     * appends lie after the ones walked here, so the walk does not see them.
     */
    private Map<Tensor, Tensor> backward(Tensor target, Tensor seed, boolean recordSelf) {
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        if (!marked(target)) {
            return grads;
        }
        grads.put(target, seed);
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

    private static void checkGradientShape(Node node, Tensor input, Tensor grad) {
        if (!grad.shape().equals(input.shape())) {
            throw new IllegalStateException("gradient rule of " + node.op().opName() + " produced shape "
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
