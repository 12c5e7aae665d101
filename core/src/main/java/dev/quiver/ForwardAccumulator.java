package dev.quiver;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Forward-mode differentiation, TensorFlow's {@code tf.autodiff.ForwardAccumulator}: {@link #watch} a primal with a
 * tangent (a direction), run ops, and {@link #jvp} gives each result's Jacobian-vector product {@code J·tangent},
 * computed alongside the ops (one JVP rule per primitive, see {@code JvpRules}) instead of by a backward pass. One
 * forward pass gives the derivative of every output along one input direction: the cheap way when there are few
 * inputs and many outputs.
 *
 * <ul>
 *   <li>it accumulates from construction to {@link #close()}, on the thread that made it; a result not computed
 *       from a watched primal in that time has JVP {@code null} (or zeros with {@link GradientTape.Unconnected#ZERO});
 *       the JVPs stay readable after close;</li>
 *   <li>{@link #watch watching} a primal again adds the tangents (the constructor refuses a primal listed twice, as
 *       TensorFlow does); an int or bool primal is not watched (a warning is logged), as
 *       in TensorFlow;</li>
 *   <li>accumulators nest (an outer one differentiates an inner one's JVPs: higher orders along directions), tapes
 *       record JVP computations (a tape around an accumulator gives Hessian-vector products, backward over
 *       forward), and an accumulator differentiates a tape's gradient computation (forward over backward);</li>
 *   <li>{@link Tensor#stopGradient()} stops tangents too; {@link GradientTape#customGradient} results get their JVP
 *       from the custom backward function (its transpose).</li>
 * </ul>
 *
 * <pre>{@code
 * Tensor x = Tensor.constant(new double[] {1, 2}, DType.FLOAT64);
 * try (ForwardAccumulator acc = new ForwardAccumulator(x, Tensor.constant(new double[] {1, 0}, DType.FLOAT64))) {
 *     Tensor y = x.square().sum();
 *     Tensor dy = acc.jvp(y);   // 2.0: d/dx0 of x0^2 + x1^2 at (1, 2)
 * }
 * }</pre>
 */
public final class ForwardAccumulator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ForwardAccumulator.class.getName());

    private final Thread owner = Thread.currentThread();
    private final WeakReference<ForwardAccumulator> reference = new WeakReference<>(this);
    // tangents by tensor identity (a view of a tensor, stopGradient or a reshape, is another tensor, with its own),
    // held weakly by the tensor: a result the program dropped takes its tangent with it, so a loop run under an
    // accumulator does not grow (TensorFlow's testDeadTensorsJVPCleared). A tangent never refers to its primal.
    private final Map<TensorKey, Tensor> tangents = new HashMap<>();
    private final ReferenceQueue<Tensor> dropped = new ReferenceQueue<>();
    private int pauses;
    private boolean closed;

    /** An accumulator with nothing watched yet: {@link #watch} primals before computing with them. */
    public ForwardAccumulator() {
        List<WeakReference<ForwardAccumulator>> active = GradientTape.accumulators();
        active.removeIf(entry -> entry.get() == null);
        active.add(reference);
    }

    /** An accumulator that watches {@code primal} along {@code tangent} (same shape and dtype). */
    public ForwardAccumulator(Tensor primal, Tensor tangent) {
        this(Collections.singletonList(primal), Collections.singletonList(tangent));
    }

    /** An accumulator that watches each primal along its tangent, TensorFlow's {@code ForwardAccumulator(primals, tangents)}. */
    public ForwardAccumulator(List<? extends Tensor> primals, List<? extends Tensor> tangents) {
        this();
        try {
            Errors.notNull(primals, "ForwardAccumulator", "primals");
            Errors.notNull(tangents, "ForwardAccumulator", "tangents");
            if (primals.size() != tangents.size()) {
                throw Errors.invalid("ForwardAccumulator", Quiver.backend(), primals.size() + " primals but "
                        + tangents.size() + " tangents; give one tangent per primal");
            }
            for (int i = 0; i < primals.size(); i++) {
                for (int j = 0; j < i; j++) {
                    if (primals.get(j) == primals.get(i) && primals.get(i) != null) {
                        // TensorFlow refuses this too: a list of primals means one direction per primal
                        throw Errors.invalid("ForwardAccumulator", primals.get(i).backend(), "primal " + j
                                + " and primal " + i + " are the same tensor (" + primals.get(i).shape() + "): "
                                + "a primal is watched multiple times; give it once (watch() adds to a tangent)");
                    }
                }
                watch(primals.get(i), tangents.get(i));
            }
        } catch (RuntimeException failure) {
            close(); // nobody can close an accumulator whose constructor threw
            throw failure;
        }
    }

    /**
     * Follows {@code primal} along {@code tangent}: ops computed from it from now on carry a JVP. The tangent has the
     * primal's shape, dtype and backend; watching a primal again adds the new tangent to its current one. An int or
     * bool primal carries no tangent: it is not watched, and a warning naming it is logged.
     */
    public void watch(Tensor primal, Tensor tangent) {
        checkUsable("watch");
        Errors.notNull(primal, "ForwardAccumulator.watch", "primal").checkOpen("ForwardAccumulator.watch");
        Errors.notNull(tangent, "ForwardAccumulator.watch", "tangent").checkOpen("ForwardAccumulator.watch");
        if (!primal.dtype().isFloating()) {
            LOG.log(System.Logger.Level.WARNING, "ForwardAccumulator.watch: the dtype of the watched primal must be "
                    + "floating (float32 or float64), got " + primal.dtype() + " for a primal of shape "
                    + primal.shape() + " on " + primal.backend().name() + "; it is not watched and its JVP is null"
                    + " (None), as in TensorFlow");
            return;
        }
        if (!tangent.shape().equals(primal.shape()) || tangent.dtype() != primal.dtype()
                || tangent.backend() != primal.backend()) {
            throw Errors.invalid("ForwardAccumulator.watch", primal.backend(), "the tangent is " + tangent.dtype()
                    + " " + tangent.shape() + " on " + Ops.describeBackend(tangent) + ", but the primal is "
                    + primal.dtype() + " " + primal.shape() + " on " + Ops.describeBackend(primal)
                    + "; a tangent has its primal's shape, dtype and backend");
        }
        // the sum is an op: paused, so that this accumulator does not take it for a computation to follow
        pauses++;
        try {
            Tensor current = tangentOf(primal);
            putTangent(primal, current == null ? tangent : current.add(tangent));
        } finally {
            pauses--;
        }
    }

    /**
     * The JVP of {@code primal} along the watched tangents, shaped like it; {@code null} when it was not computed
     * from a watched primal while this accumulator was open (see the class comment).
     */
    public Tensor jvp(Tensor primal) {
        return jvp(primal, GradientTape.Unconnected.NONE);
    }

    /** {@link #jvp(Tensor)}, with zeros instead of {@code null} when asked. */
    public Tensor jvp(Tensor primal, GradientTape.Unconnected unconnected) {
        return jvp(Collections.singletonList(primal), unconnected).getFirst();
    }

    /** The JVPs of several results, in order ({@code null} for unconnected ones). */
    public List<Tensor> jvp(List<? extends Tensor> primals) {
        return jvp(primals, GradientTape.Unconnected.NONE);
    }

    /** The JVPs of several results, in order; unconnected ones {@code null} or zeros as asked. */
    public List<Tensor> jvp(List<? extends Tensor> primals, GradientTape.Unconnected unconnected) {
        if (Thread.currentThread() != owner) {
            throw wrongThread("jvp");
        }
        Errors.notNull(primals, "ForwardAccumulator.jvp", "primals");
        Errors.notNull(unconnected, "ForwardAccumulator.jvp", "unconnected");
        List<Tensor> result = new ArrayList<>(primals.size());
        for (int i = 0; i < primals.size(); i++) {
            Tensor primal = Errors.notNull(primals.get(i), "ForwardAccumulator.jvp",
                    primals.size() == 1 ? "primal" : "primal " + i);
            primal.checkOpen("ForwardAccumulator.jvp");
            Tensor tangent = tangentOf(primal);
            if (tangent == null && unconnected == GradientTape.Unconnected.ZERO) {
                tangent = Tensor.zerosLike(primal);
            }
            result.add(tangent);
        }
        return result;
    }

    /** Stops accumulating; the JVPs computed so far stay readable. Closing twice is harmless. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            GradientTape.accumulators().removeIf(entry -> entry == reference || entry.get() == null);
        }
    }

    // ---------------------------------------------------------------- accumulating (called by GradientTape.record)

    /**
     * Computes the output tangent of {@code node} on every open accumulator whose tangents reach one of its inputs,
     * oldest first: an outer accumulator must have the output's tangent before an inner one's JVP ops, which may
     * read that output (EXP's {@code t * y}), reach it. While one accumulator computes, it and the ones opened
     * after it are paused: an inner accumulator does not follow an outer one's JVP ops, an outer one does follow
     * an inner one's (TensorFlow's rule), and tapes record them all.
     */
    static void record(List<WeakReference<ForwardAccumulator>> active, Node node) {
        Tensor[] inputs = node.inputs();
        for (int i = 0; i < active.size(); i++) {
            ForwardAccumulator accumulator = active.get(i).get();
            if (accumulator == null || accumulator.pauses > 0 || accumulator.closed) {
                continue;
            }
            Tensor[] inputTangents = null;
            for (int j = 0; j < inputs.length; j++) {
                Tensor tangent = accumulator.tangentOf(inputs[j]);
                if (tangent != null) {
                    if (inputTangents == null) {
                        inputTangents = new Tensor[inputs.length];
                    }
                    inputTangents[j] = tangent;
                }
            }
            if (inputTangents == null) {
                continue;
            }
            List<ForwardAccumulator> paused = pauseFrom(i);
            try {
                accumulator.putTangent(node.output(), JvpRules.jvp(node, inputTangents));
            } finally {
                resume(paused);
            }
        }
    }

    private Tensor tangentOf(Tensor tensor) {
        return tangents.get(new TensorKey(tensor, null));
    }

    private void putTangent(Tensor tensor, Tensor tangent) {
        dropCollected();
        tangents.put(new TensorKey(tensor, dropped), tangent);
    }

    /** How many tensors carry a tangent, after dropping those of collected tensors (for tests). */
    int tangentCount() {
        dropCollected();
        return tangents.size();
    }

    private void dropCollected() {
        for (Reference<? extends Tensor> gone; (gone = dropped.poll()) != null; ) {
            tangents.remove(gone);
        }
    }

    /** A tensor as a map key by identity, held weakly; a cleared key equals only itself (so it can be removed). */
    private static final class TensorKey extends WeakReference<Tensor> {
        private final int hash;

        TensorKey(Tensor tensor, ReferenceQueue<Tensor> queue) {
            super(tensor, queue);
            hash = System.identityHashCode(tensor);
        }

        @Override
        public boolean equals(Object other) {
            if (this == other) {
                return true;
            }
            Tensor tensor = get();
            return tensor != null && other instanceof TensorKey key && key.get() == tensor;
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Pauses the thread's accumulators from position {@code first} on (0: all); returns them for {@link #resume}. */
    static List<ForwardAccumulator> pauseFrom(int first) {
        List<WeakReference<ForwardAccumulator>> active = GradientTape.accumulators();
        List<ForwardAccumulator> paused = new ArrayList<>(active.size() - first);
        for (Iterator<WeakReference<ForwardAccumulator>> it = active.listIterator(first); it.hasNext(); ) {
            ForwardAccumulator accumulator = it.next().get();
            if (accumulator != null) {
                accumulator.pauses++;
                paused.add(accumulator);
            }
        }
        return paused;
    }

    static void resume(List<ForwardAccumulator> paused) {
        for (ForwardAccumulator accumulator : paused) {
            accumulator.pauses--;
        }
    }

    private void checkUsable(String call) {
        if (closed) {
            throw new IllegalStateException("ForwardAccumulator." + call + ": the accumulator is closed");
        }
        if (Thread.currentThread() != owner) {
            throw wrongThread(call);
        }
    }

    private IllegalStateException wrongThread(String call) {
        return new IllegalStateException("ForwardAccumulator." + call + ": accumulators belong to the thread that "
                + "opened them (" + owner.getName() + "), called from " + Thread.currentThread().getName());
    }
}
