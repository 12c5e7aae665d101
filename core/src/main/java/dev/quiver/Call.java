package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import java.util.function.UnaryOperator;

/**
 * One backend call of a traced step, as data: what {@link Tracer} records and a compiled {@link Program} replays.
 * Its views name buffers the compiler later binds to memory ({@link #rebind}); {@link #reads()} and
 * {@link #writes()} are what the fusion pass and the memory plan reason about.
 *
 * <pre>{@code
 * Call call = new Call.Binary(Primitive.MUL, x, w, out);
 * call.run(backend, 0);            // backend.binary(MUL, x, w, out)
 * }</pre>
 */
sealed interface Call {

    /** Runs the call; {@code stepCounter} is the position of the step's random streams (see {@link Random}). */
    void run(Backend backend, long stepCounter);

    /** The views read, in operand order. */
    StridedView[] reads();

    /** The views written. */
    StridedView[] writes();

    /** The same call over the views {@code views} maps each of its views to (same shapes). */
    Call remap(UnaryOperator<StridedView> views);

    /** The same call over the buffers {@code binding} maps each buffer to. */
    default Call rebind(UnaryOperator<DeviceBuffer> binding) {
        return remap(view -> bind(view, binding));
    }

    /** Short text for {@link Program#describe()}: {@code mul}, {@code sum}, {@code fused(...)}. */
    String label();

    private static StridedView bind(StridedView view, UnaryOperator<DeviceBuffer> binding) {
        DeviceBuffer buffer = binding.apply(view.buffer());
        return buffer == view.buffer() ? view : new StridedView(buffer, view.shape(), view.strides(), view.offset());
    }

    private static StridedView[] map(StridedView[] views, UnaryOperator<StridedView> mapping) {
        StridedView[] mapped = new StridedView[views.length];
        for (int i = 0; i < views.length; i++) {
            mapped[i] = mapping.apply(views[i]);
        }
        return mapped;
    }

    record Fill(StridedView out, double value) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.fill(out, value);
        }

        public StridedView[] reads() {
            return new StridedView[0];
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Fill(views.apply(out), value);
        }

        public String label() {
            return "fill";
        }
    }

    record Unary(Primitive op, StridedView in, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.unary(op, in, out);
        }

        public StridedView[] reads() {
            return new StridedView[] {in};
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Unary(op, views.apply(in), views.apply(out));
        }

        public String label() {
            return op.opName();
        }
    }

    record Binary(Primitive op, StridedView a, StridedView b, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.binary(op, a, b, out);
        }

        public StridedView[] reads() {
            return new StridedView[] {a, b};
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Binary(op, views.apply(a), views.apply(b), views.apply(out));
        }

        public String label() {
            return op.opName();
        }
    }

    record Where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.where(condition, whenTrue, whenFalse, out);
        }

        public StridedView[] reads() {
            return new StridedView[] {condition, whenTrue, whenFalse};
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Where(views.apply(condition), views.apply(whenTrue), views.apply(whenFalse),
                    views.apply(out));
        }

        public String label() {
            return "where";
        }
    }

    record Copy(StridedView in, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.copy(in, out);
        }

        public StridedView[] reads() {
            return new StridedView[] {in};
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Copy(views.apply(in), views.apply(out));
        }

        public String label() {
            return in.dtype() == out.dtype() ? "copy" : "cast";
        }
    }

    record Reduce(Primitive op, StridedView in, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.reduce(op, in, out);
        }

        public StridedView[] reads() {
            return new StridedView[] {in};
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Reduce(op, views.apply(in), views.apply(out));
        }

        public String label() {
            return op.opName();
        }
    }

    record Matmul(StridedView a, StridedView b, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.matmul(a, b, out);
        }

        public StridedView[] reads() {
            return new StridedView[] {a, b};
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Matmul(views.apply(a), views.apply(b), views.apply(out));
        }

        public String label() {
            return "matmul";
        }
    }

    record Gather(StridedView params, StridedView indices, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.gather(params, indices, out);
        }

        public StridedView[] reads() {
            return new StridedView[] {params, indices};
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Gather(views.apply(params), views.apply(indices), views.apply(out));
        }

        public String label() {
            return "gather";
        }
    }

    /** Adds into {@code out}, which it therefore also reads. */
    record ScatterAdd(StridedView updates, StridedView indices, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.scatterAdd(updates, indices, out);
        }

        public StridedView[] reads() {
            return new StridedView[] {updates, indices, out};
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new ScatterAdd(views.apply(updates), views.apply(indices), views.apply(out));
        }

        public String label() {
            return "scatter_add";
        }
    }

    /**
     * A draw from a Philox stream. With {@code streamRelative} the counter is {@code counter} past the step's
     * position in its {@link RandomGenerator} (so every replay draws new numbers, as the eager loop does); otherwise
     * it is the absolute {@code counter} (a seeded factory such as {@code Tensor.randomNormal(shape, m, s, seed)},
     * which draws the same numbers every time).
     */
    record Random(RandomDistribution distribution, long seed, boolean streamRelative, long counter, double first,
                  double second, StridedView out) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.random(distribution, seed, streamRelative ? stepCounter + counter : counter, first, second, out);
        }

        public StridedView[] reads() {
            return new StridedView[0];
        }

        public StridedView[] writes() {
            return new StridedView[] {out};
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Random(distribution, seed, streamRelative, counter, first, second, views.apply(out));
        }

        public String label() {
            return distribution.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Elementwise chains made one kernel by {@link Fusion}. Its drawn inputs read the step's stream position from the
     * program's counter on the device, so the call is the same at every replay.
     */
    record Fused(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputs) implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.fused(kernel, inputs, outputs);
        }

        public StridedView[] reads() {
            return inputs.clone();
        }

        public StridedView[] writes() {
            return outputs.clone();
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new Fused(kernel, map(inputs, views), map(outputs, views));
        }

        public String label() {
            return "fused[" + kernel.steps().stream().map(step -> step.op().opName())
                    .collect(java.util.stream.Collectors.joining(" ")) + "]";
        }
    }

    /**
     * An elementwise chain feeding sibling reductions over one block, made one kernel by {@link Fusion}: kernel output
     * {@code j < reductions.length} is reduced into {@code outputs[j]}, the rest are written ({@link
     * Backend#fusedReduce}).
     */
    record FusedReduce(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions, StridedView[] outputs)
            implements Call {
        public void run(Backend backend, long stepCounter) {
            backend.fusedReduce(kernel, inputs, reductions, outputs);
        }

        public StridedView[] reads() {
            return inputs.clone();
        }

        public StridedView[] writes() {
            return outputs.clone();
        }

        public Call remap(UnaryOperator<StridedView> views) {
            return new FusedReduce(kernel, map(inputs, views), reductions, map(outputs, views));
        }

        public String label() {
            return java.util.Arrays.stream(reductions).map(Primitive::opName).collect(
                    java.util.stream.Collectors.joining(",")) + "(fused[" + kernel.steps().stream()
                    .map(step -> step.op().opName()).collect(java.util.stream.Collectors.joining(" ")) + "])"
                    + (outputs.length > reductions.length ? "+" + (outputs.length - reductions.length) + " written"
                    : "");
        }
    }
}
