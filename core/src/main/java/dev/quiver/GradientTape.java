package dev.quiver;

import dev.quiver.spi.Primitive;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
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

    // an anonymous class, not withInitial(ArrayDeque::new): the first op of a program reads this, and a method
    // reference would bootstrap a lambda there (milliseconds of cold start)
    private static final ThreadLocal<ArrayDeque<GradientTape>> ACTIVE = new ThreadLocal<>() {
        @Override
        protected ArrayDeque<GradientTape> initialValue() {
            return new ArrayDeque<>();
        }
    };

    private final boolean persistent;
    private final boolean watchAccessedVariables;
    private final Thread owner = Thread.currentThread();
    private final Map<Tensor, Boolean> tracked = new IdentityHashMap<>();
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
        ACTIVE.get().push(this);
    }

    /** Watches {@code tensors} so that gradients with respect to them can be taken (constants need this). */
    public void watch(Tensor... tensors) {
        checkUsable("watch");
        for (Tensor tensor : tensors) {
            if (!tensor.dtype().isFloating()) {
                throw new IllegalArgumentException("watch: only floating tensors carry gradients, got "
                        + tensor.dtype() + " of shape " + tensor.shape());
            }
            tracked.put(tensor, Boolean.TRUE);
        }
    }

    /** The tensors and variables watched so far (explicitly or by reading a trainable variable). */
    public List<Tensor> watched() {
        List<Tensor> sources = new ArrayList<>();
        Map<Tensor, Boolean> produced = new IdentityHashMap<>();
        for (Node node : nodes) {
            produced.put(node.output(), Boolean.TRUE);
        }
        for (Tensor tensor : tracked.keySet()) {
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
        ArrayDeque<GradientTape> tapes = ACTIVE.get();
        for (GradientTape tape : tapes) {
            tape.pauses++;
        }
        try {
            return body.get();
        } finally {
            for (GradientTape tape : tapes) {
                tape.pauses--;
            }
        }
    }

    /** d target / d source; {@code null} when the target does not depend on the source. */
    public Tensor gradient(Tensor target, Tensor source) {
        return gradient(target, java.util.Collections.singletonList(source), Unconnected.NONE).getFirst();
    }

    /** d target / d source, with a choice for unconnected sources. */
    public Tensor gradient(Tensor target, Tensor source, Unconnected unconnected) {
        return gradient(target, java.util.Collections.singletonList(source), unconnected).getFirst();
    }

    /** One gradient per source, in order; {@code null} entries for unconnected sources. */
    public List<Tensor> gradient(Tensor target, List<? extends Tensor> sources) {
        return gradient(target, sources, Unconnected.NONE);
    }

    /** One gradient per source, in order; unconnected sources give {@code null} or zeros as asked. */
    public List<Tensor> gradient(Tensor target, List<? extends Tensor> sources, Unconnected unconnected) {
        java.util.Objects.requireNonNull(target, "GradientTape.gradient: target is null");
        for (int i = 0; i < sources.size(); i++) {
            java.util.Objects.requireNonNull(sources.get(i), "GradientTape.gradient: source " + i + " is null");
        }
        claimUse("gradient");
        try {
            Map<Tensor, Tensor> grads = backward(target, Tensor.onesLike(target));
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
        claimUse("jacobian");
        try {
            int count = (int) target.size();
            List<Tensor> rows = new ArrayList<>(count);
            boolean connected = false;
            for (int i = 0; i < count; i++) {
                Tensor seed = Tensor.fill(target.backend(), Shape.of(count), 0, target.dtype());
                target.backend().fill(seed.slice(new int[] {i}, new int[] {1}).view(), 1);
                Tensor grad = backward(target, seed.reshape(target.shape())).get(source);
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
            ACTIVE.get().remove(this);
            nodes.clear();
            tracked.clear();
        }
    }

    // ---------------------------------------------------------------- recording (called by Ops)

    /** Records one op on every recording tape of this thread that watches one of its inputs. */
    static void record(Primitive op, Tensor[] inputs, Tensor output, Object attributes) {
        ArrayDeque<GradientTape> tapes = ACTIVE.get();
        if (tapes.isEmpty() || !output.dtype().isFloating()) {
            return; // ints and bools carry no gradient
        }
        Node node = null;
        for (GradientTape tape : tapes) {
            if (tape.pauses > 0 || tape.closed || (tape.used && !tape.persistent)) {
                continue;
            }
            boolean watches = false;
            for (Tensor input : inputs) {
                watches |= tape.tracks(input);
            }
            if (watches) {
                if (node == null) {
                    node = new Node(op, inputs, output, attributes);
                }
                tape.nodes.add(node);
                tape.tracked.put(output, Boolean.TRUE);
            }
        }
    }

    /** Whether gradients flow to {@code tensor} on this tape; watches a trainable variable on first read. */
    private boolean tracks(Tensor tensor) {
        if (tracked.containsKey(tensor)) {
            return true;
        }
        if (watchAccessedVariables && tensor instanceof Variable variable && variable.trainable()
                && variable.dtype().isFloating()) {
            tracked.put(variable, Boolean.TRUE);
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- backward pass

    /** Reverse-mode sweep from {@code target} with upstream {@code seed}; returns the gradient of every tracked tensor. */
    private Map<Tensor, Tensor> backward(Tensor target, Tensor seed) {
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        if (!tracked.containsKey(target)) {
            return grads;
        }
        grads.put(target, seed);
        pauses++; // this tape does not record its own backward pass; outer tapes do (higher-order gradients)
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
                    needed[j] = tracked.containsKey(node.inputs()[j]) && node.inputs()[j].dtype().isFloating();
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
            pauses--;
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
