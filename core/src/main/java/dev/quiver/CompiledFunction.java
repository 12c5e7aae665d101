package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A function of tensors traced once per input signature (backend, dtypes, shapes) and replayed: Quiver's
 * {@code tf.function} / {@code jax.jit} for forward code, made by {@link Quiver#function}. The first call with a
 * signature runs the body eagerly while tracing it; later calls replay the compiled program (fused where the backend
 * runs fused kernels, with its memory planned once) on the new inputs and copy the results into new tensors. A new
 * signature traces again. Java values the body reads are constants of the program; reading a value to the host inside
 * the body is refused while tracing. The outputs are constants to tapes (a compiled call is not differentiated).
 *
 * <pre>{@code
 * CompiledFunction predict = Quiver.function(in -> List.of(in.get(0).matmul(w).add(b).tanh()));
 * Tensor y = predict.call(x).getFirst();        // traced, run
 * Tensor z = predict.call(otherX).getFirst();   // replayed (same shape), or traced again (new shape)
 * }</pre>
 */
public final class CompiledFunction implements AutoCloseable {
    private final Function<List<Tensor>, List<Tensor>> body;
    private final boolean fuse;
    private final Map<String, Compiled> programs = new HashMap<>();
    private boolean closed;

    private record Compiled(Program program, StridedView[] outputs, Shape[] shapes) {
    }

    CompiledFunction(Function<List<Tensor>, List<Tensor>> body, boolean fuse) {
        this.body = Errors.notNull(body, "Quiver.function", "body");
        this.fuse = fuse;
    }

    /** Calls the function on {@code inputs}; see {@link #call(List)}. */
    public List<Tensor> call(Tensor... inputs) {
        return call(List.of(Errors.notNull(inputs, "CompiledFunction.call", "inputs")));
    }

    /**
     * Runs the function on {@code inputs} (all on one backend), tracing it first for a signature not seen before.
     * Returns new tensors each call.
     */
    public synchronized List<Tensor> call(List<Tensor> inputs) {
        if (closed) {
            throw new IllegalStateException("CompiledFunction.call: the function was closed");
        }
        Errors.notNull(inputs, "CompiledFunction.call", "inputs");
        Backend backend = inputs.isEmpty() ? Quiver.backend() : Errors.notNull(inputs.getFirst(),
                "CompiledFunction.call", "input 0").backend();
        Program.Inputs bound = Program.Inputs.of("CompiledFunction.call", backend, inputs);
        List<Tensor> dense = bound.dense();
        DeviceBuffer[] buffers = bound.buffers();
        Compiled compiled = programs.get(bound.signature());
        if (compiled == null) {
            return trace(backend, dense, buffers, bound.signature());
        }
        compiled.program.replay(buffers, 1, null);
        List<Tensor> results = new ArrayList<>(compiled.outputs.length);
        for (int i = 0; i < compiled.outputs.length; i++) {
            results.add(copyOut(backend, compiled.program.planned(compiled.outputs[i]), compiled.shapes[i]));
        }
        java.lang.ref.Reference.reachabilityFence(dense);
        return results;
    }

    private List<Tensor> trace(Backend backend, List<Tensor> inputs, DeviceBuffer[] buffers, String signature) {
        Tracer tracer = Tracer.start(backend);
        List<Tensor> outputs;
        try {
            outputs = GradientTape.noRecording(() -> {
                List<Tensor> returned = body.apply(List.copyOf(inputs));
                if (returned == null) {
                    throw new NullPointerException("Quiver.function: the body returned null instead of a list");
                }
                List<Tensor> owned = new ArrayList<>(returned.size());
                for (int i = 0; i < returned.size(); i++) {
                    Tensor out = Errors.notNull(returned.get(i), "Quiver.function", "output " + i);
                    out.checkOpen("Quiver.function");
                    // an output made outside the body (an input, a captured tensor, a number) is copied inside it,
                    // so that every output is a buffer of the program
                    owned.add(out.storage.buffer instanceof Tracer.Traced traced && !traced.constant ? out
                            : Ops.copy("Quiver.function", Ops.onDevice("Quiver.function", out)));
                }
                return owned;
            });
        } catch (RuntimeException failure) {
            tracer.stop();
            throw new IllegalStateException("Quiver.function: tracing failed for inputs " + signature + ": "
                    + failure.getMessage(), failure);
        }
        tracer.stop();
        Set<DeviceBuffer> liveOut = Collections.newSetFromMap(new IdentityHashMap<>());
        StridedView[] views = new StridedView[outputs.size()];
        Shape[] shapes = new Shape[outputs.size()];
        List<Tensor> results = new ArrayList<>(outputs.size());
        for (int i = 0; i < views.length; i++) {
            Tensor out = outputs.get(i);
            liveOut.add(out.storage.buffer);
            views[i] = out.view();
            shapes[i] = out.shape();
            results.add(copyOut(backend, Tracer.real(views[i]), shapes[i]));
        }
        Program program = Program.compile(tracer, buffers, liveOut, fuse);
        programs.put(signature, new Compiled(program, views, shapes));
        java.lang.ref.Reference.reachabilityFence(inputs);
        return results;
    }

    /** A new tensor holding {@code view} (a program buffer, overwritten by the next call). */
    private static Tensor copyOut(Backend backend, StridedView view, Shape shape) {
        Tensor out = Tensor.allocate("CompiledFunction.call", backend, shape, view.dtype());
        Ops.run("CompiledFunction.call", out, () -> backend.copy(view, out.view()));
        return out;
    }

    /** How many signatures have been traced. */
    public synchronized int tracedSignatures() {
        return programs.size();
    }

    /** The compiled program of each signature traced so far: its calls, one per line. */
    public synchronized String describe() {
        StringBuilder text = new StringBuilder();
        programs.forEach((signature, compiled) -> text.append(signature).append(": ")
                .append(compiled.program.callsPerStep()).append(" calls (traced: ")
                .append(compiled.program.tracedCalls()).append(")\n").append(compiled.program.describe(true)));
        return text.toString();
    }

    /** Releases the programs' memory. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            programs.values().forEach(compiled -> compiled.program.close());
            programs.clear();
        }
    }
}
