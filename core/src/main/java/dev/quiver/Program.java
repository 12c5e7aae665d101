package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A traced step compiled for replay: the recorded {@link Call}s, fused ({@link Fusion}) where the backend runs fused
 * kernels, with a static memory plan (every intermediate gets its buffer once, here; buffers whose lifetimes do not
 * overlap share memory), bound to real buffers. {@link #replay} runs the calls in order with no allocation, no
 * validation, no tape and no host decision.
 *
 * <p>Random draws: in a fused program on a backend that fuses draws, the step's stream position lives on the device,
 * in an int64 counter the program owns. Every draw reads it ({@link dev.quiver.spi.Drawn}), the step's last call adds
 * what one step draws, and a replay writes it once, from the generator, before its first step: so every call, with
 * every argument, is the same at every step (what a captured CUDA graph needs). An unfused program passes the
 * position to its draws from the host, per step.
 *
 * <pre>{@code
 * Program program = Program.compile(tracer, inputBuffers, outputs, true);
 * program.replay(backend, 100, null);
 * }</pre>
 */
final class Program implements AutoCloseable {
    private final Backend backend;
    private final List<Call> unbound;
    private final List<Call> recorded;
    private final DeviceBuffer[] inputSlots;
    private final Map<DeviceBuffer, DeviceBuffer> plan = new IdentityHashMap<>();
    private final List<DeviceBuffer> owned = new ArrayList<>();
    // the storages of everything the step touched: a replay reads buffers whose tensors the step has long dropped
    private final Set<Storage> kept;
    private final RandomGenerator generator;
    private final long drawsPerStep;
    private final boolean fused;
    // the stream position on the device (null when no fused call draws): read by the draws, advanced by the last call
    private final DeviceBuffer streamCounter;
    private final long intermediateBytes;
    private final long plannedBytes;
    private Call[] bound;
    private DeviceBuffer[] boundInputs;
    // the bound calls captured as one unit the device replays (a CUDA graph), for the binding they were captured with
    private dev.quiver.spi.CapturedWork captured;
    private Call[] capturedCalls;
    // why replays run call by call; null while a capture is possible or made
    private String callByCall;
    private boolean closed;

    private Program(Tracer tracer, DeviceBuffer[] inputSlots, Set<DeviceBuffer> liveOut, boolean fuse) {
        this.backend = tracer.backend();
        this.recorded = List.copyOf(tracer.calls());
        this.inputSlots = inputSlots;
        this.kept = Collections.newSetFromMap(new IdentityHashMap<>());
        this.kept.addAll(tracer.kept());
        Map<RandomGenerator, Long> starts = tracer.streamStarts();
        this.generator = starts.isEmpty() ? null : starts.keySet().iterator().next();
        this.drawsPerStep = generator == null ? 0 : generator.position() - starts.get(generator);
        checkExternalBuffersKept(tracer);
        // a backend without fused kernels would run them through the SPI's slow twin, allocating per call: no fusion
        this.fused = fuse && backend.runsFusedKernels();
        // fused programs also draw each run of consecutive random draws as one (the same bits, fewer launches)
        this.streamCounter = fused && backend.fusesDraws() && recorded.stream().anyMatch(
                call -> call instanceof Call.Random draw && draw.streamRelative())
                ? backend.allocate(DType.INT64, 1) : null;
        if (streamCounter != null) {
            owned.add(streamCounter);
        }
        this.unbound = fused ? withCounterAdvanced(drawnFromCounter(Fusion.fuse(Draws.merge(recorded, liveOut,
                tracer.buffers().size()), liveOut, streamCounter))) : recorded;
        long[] bytes = planMemory(tracer, liveOut);
        this.intermediateBytes = bytes[0];
        this.plannedBytes = bytes[1];
        for (Tracer.Traced traced : tracer.buffers()) {
            if (!traced.constant) {
                traced.real.release(); // the traced run's own memory; the plan has its own
            }
        }
    }

    /**
     * Compiles what {@code tracer} recorded. {@code inputSlots} are the buffers of the step's inputs at trace time
     * (rebound per call); {@code liveOut} the traced buffers that must hold their values after a replay (outputs).
     */
    static Program compile(Tracer tracer, DeviceBuffer[] inputSlots, Set<DeviceBuffer> liveOut, boolean fuse) {
        return new Program(tracer, inputSlots, liveOut, fuse);
    }

    /**
     * The inputs of one call as a program binds them: each a dense buffer of exactly its elements (a copy for a view
     * or a number, made off the tapes), and their signature — dtypes, shapes, and which inputs share a buffer, so that a
     * replay binds them the same way. A program is compiled and looked up per signature.
     *
     * @param dense     the inputs as bound, in order
     * @param buffers   their buffers, the program's input slots
     * @param signature equal for calls that may share a program
     */
    record Inputs(List<Tensor> dense, DeviceBuffer[] buffers, String signature) {

        /** Binds {@code inputs} (all on {@code backend}); errors name {@code method} and the input. */
        static Inputs of(String method, Backend backend, List<Tensor> inputs) {
            Errors.notNull(inputs, method, "inputs");
            List<Tensor> dense = new ArrayList<>(inputs.size());
            DeviceBuffer[] buffers = new DeviceBuffer[inputs.size()];
            StringBuilder signature = new StringBuilder(backend.name()).append('@')
                    .append(System.identityHashCode(backend));
            for (int i = 0; i < buffers.length; i++) {
                Tensor input = Errors.notNull(inputs.get(i), method, "input " + i);
                input.checkOpen(method);
                if (input.backend() != backend) {
                    throw new IllegalArgumentException(method + ": input " + i + " (" + input.dtype() + " "
                            + input.shape() + ") lives on backend " + Ops.describeBackend(input) + ", the call runs on "
                            + backend.name() + "@" + Integer.toHexString(System.identityHashCode(backend))
                            + "; make both on one backend");
                }
                Tensor bound = GradientTape.noRecording(() -> Ops.contiguous(Ops.onDevice(method, input)));
                buffers[i] = bound.storage.buffer;
                for (int earlier = 0; earlier < i; earlier++) {
                    if (buffers[earlier] == buffers[i]) {
                        signature.append(" =").append(earlier);
                        break;
                    }
                }
                dense.add(bound);
                signature.append(' ').append(input.dtype()).append(input.shape());
            }
            return new Inputs(dense, buffers, signature.toString());
        }
    }

    /**
     * {@code calls} with each draw that is still a call of its own (a draw something other than a fused kernel reads,
     * such as a matmul) made a fused copy of a {@link dev.quiver.spi.Drawn} input counted from the stream counter: the
     * same bits ({@link Backend#fusesDraws}), and no position from the host.
     */
    private List<Call> drawnFromCounter(List<Call> calls) {
        if (streamCounter == null) {
            return calls;
        }
        List<Call> result = new ArrayList<>(calls.size());
        for (Call call : calls) {
            if (call instanceof Call.Random draw && draw.streamRelative()) {
                StridedView out = draw.out();
                dev.quiver.spi.Drawn values = new dev.quiver.spi.Drawn(draw.distribution(), draw.seed(), streamCounter,
                        draw.counter(), draw.first(), draw.second(), out.dtype(), out.size());
                // no step: output register 0 is input 0, the drawn values themselves
                FusedElementwise copy = new FusedElementwise(List.of(out.dtype()), List.of(), new int[] {0});
                result.add(new Call.Fused(copy, new StridedView[] {StridedView.contiguous(values, out.shape())},
                        new StridedView[] {out}));
            } else {
                result.add(call);
            }
        }
        return result;
    }

    /**
     * {@code calls} followed by the step's advance of the stream counter by what one step draws: folded into the last
     * call when that is a fused kernel of one element (a step's scalar update: it runs after every draw of the step,
     * and reads its inputs before it writes), else a call of its own.
     */
    private List<Call> withCounterAdvanced(List<Call> calls) {
        if (streamCounter == null) {
            return calls;
        }
        List<Call> result = new ArrayList<>(calls);
        if (result.getLast() instanceof Call.Fused last && last.outputs()[0].size() == 1
                && last.inputs().length + 2 <= Fusion.MAX_INPUTS) {
            int[] shape = last.outputs()[0].shape();
            FusedElementwise kernel = last.kernel();
            int inputs = kernel.inputTypes().size();
            List<DType> inputTypes = new ArrayList<>(kernel.inputTypes());
            inputTypes.add(DType.INT64);
            inputTypes.add(DType.INT64);
            // registers move up by the two new inputs; the advance is the last step
            List<FusedElementwise.Step> steps = new ArrayList<>();
            for (FusedElementwise.Step step : kernel.steps()) {
                int[] operands = step.operands();
                for (int k = 0; k < operands.length; k++) {
                    operands[k] += operands[k] >= inputs ? 2 : 0;
                }
                steps.add(new FusedElementwise.Step(step.op(), operands, step.type()));
            }
            steps.add(new FusedElementwise.Step(Primitive.ADD, new int[] {inputs, inputs + 1}, DType.INT64));
            int[] outputs = java.util.Arrays.copyOf(kernel.outputs(), kernel.outputs().length + 1);
            for (int j = 0; j < outputs.length - 1; j++) {
                outputs[j] += outputs[j] >= inputs ? 2 : 0;
            }
            outputs[outputs.length - 1] = inputs + 2 + steps.size() - 1;
            StridedView counter = StridedView.contiguous(streamCounter, shape);
            StridedView[] in = java.util.Arrays.copyOf(last.inputs(), inputs + 2);
            in[inputs] = counter;
            in[inputs + 1] = HostScalar.of(DType.INT64, drawsPerStep).broadcast(shape);
            StridedView[] out = java.util.Arrays.copyOf(last.outputs(), outputs.length);
            out[outputs.length - 1] = counter;
            result.set(result.size() - 1, new Call.Fused(new FusedElementwise(inputTypes, steps, outputs), in, out));
        } else {
            StridedView counter = StridedView.contiguous(streamCounter);
            result.add(new Call.Binary(Primitive.ADD, counter, HostScalar.of(DType.INT64, drawsPerStep).broadcast(),
                    counter));
        }
        return result;
    }

    /** The real buffer a traced or outside buffer is bound to (inputs excluded). */
    DeviceBuffer planned(DeviceBuffer buffer) {
        DeviceBuffer real = plan.get(buffer);
        return real != null ? real : buffer;
    }

    /** A view of the trace bound to the plan (for outputs). */
    StridedView planned(StridedView view) {
        return new StridedView(planned(view.buffer()), view.shape(), view.strides(), view.offset());
    }

    /**
     * Every buffer from outside the trace that a call uses must belong to a storage the step touched, or the garbage
     * collector could release it under a replay: a loud check instead of a silent use after free.
     */
    private void checkExternalBuffersKept(Tracer tracer) {
        Set<DeviceBuffer> reachable = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Storage storage : kept) {
            reachable.add(storage.buffer);
        }
        for (DeviceBuffer input : inputSlots) {
            reachable.add(input);
        }
        for (Call call : recorded) {
            for (StridedView view : concat(call.reads(), call.writes())) {
                DeviceBuffer buffer = view.buffer();
                if (!(buffer instanceof Tracer.Traced) && !(buffer instanceof HostScalar) && !reachable.contains(buffer)) {
                    throw new IllegalStateException("compile: internal error: call " + call.label() + " uses "
                            + view + " whose tensor the tracer did not see; please report it");
                }
            }
        }
    }

    private static StridedView[] concat(StridedView[] a, StridedView[] b) {
        StridedView[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * Gives each traced buffer the calls use a real buffer: in call order, a buffer takes a free one of its dtype and
     * length (freed after the last call that uses it) or a new one. Outputs are never freed. Returns the bytes the
     * trace allocated and the bytes the plan holds.
     */
    private long[] planMemory(Tracer tracer, Set<DeviceBuffer> liveOut) {
        Map<DeviceBuffer, Integer> lastUse = new IdentityHashMap<>();
        List<List<DeviceBuffer>> firstUses = new ArrayList<>();
        for (int i = 0; i < unbound.size(); i++) {
            List<DeviceBuffer> first = new ArrayList<>();
            for (StridedView view : concat(unbound.get(i).reads(), unbound.get(i).writes())) {
                if (view.buffer() instanceof Tracer.Traced traced) {
                    if (traced.constant) {
                        plan.put(traced, traced.real);
                    } else if (lastUse.put(traced, i) == null) {
                        first.add(traced);
                    }
                }
            }
            firstUses.add(first);
        }
        for (DeviceBuffer out : liveOut) {
            lastUse.put(out, Integer.MAX_VALUE);
        }
        long traceBytes = 0;
        for (Tracer.Traced traced : tracer.buffers()) {
            if (!traced.constant) {
                traceBytes += traced.length() * traced.dtype().byteSize();
            } else {
                owned.add(traced.real);
            }
        }
        Map<String, List<DeviceBuffer>> free = new java.util.HashMap<>();
        long planBytes = 0;
        for (int i = 0; i < unbound.size(); i++) {
            for (DeviceBuffer buffer : firstUses.get(i)) {
                String key = buffer.dtype() + ":" + buffer.length();
                List<DeviceBuffer> pool = free.get(key);
                DeviceBuffer real;
                if (pool != null && !pool.isEmpty()) {
                    real = pool.removeLast();
                } else {
                    real = backend.allocate(buffer.dtype(), buffer.length());
                    owned.add(real);
                    planBytes += buffer.length() * buffer.dtype().byteSize();
                }
                plan.put(buffer, real);
            }
            // freed after the call, so no call writes over an operand it is still reading
            Set<DeviceBuffer> done = new LinkedHashSet<>();
            for (StridedView view : concat(unbound.get(i).reads(), unbound.get(i).writes())) {
                if (view.buffer() instanceof Tracer.Traced traced && !traced.constant
                        && lastUse.get(traced) == i) {
                    done.add(traced);
                }
            }
            for (DeviceBuffer buffer : done) {
                free.computeIfAbsent(buffer.dtype() + ":" + buffer.length(), k -> new ArrayList<>())
                        .add(plan.get(buffer));
            }
        }
        return new long[] {traceBytes, planBytes};
    }

    /** Binds the calls to the plan and to {@code inputs} (the step's input buffers, in slot order). */
    private void bind(DeviceBuffer[] inputs) {
        if (bound != null && java.util.Arrays.equals(inputs, boundInputs)) {
            return;
        }
        Map<DeviceBuffer, DeviceBuffer> binding = new IdentityHashMap<>(plan);
        for (int i = 0; i < inputSlots.length; i++) {
            binding.put(inputSlots[i], inputs[i]);
        }
        Call[] calls = new Call[unbound.size()];
        for (int i = 0; i < calls.length; i++) {
            calls[i] = unbound.get(i).rebind(buffer -> binding.getOrDefault(buffer, buffer));
        }
        bound = calls;
        boundInputs = inputs.clone();
        stepsRunByCall = 0;
    }

    // steps of the current binding run call by call: a capture is tried once one has (see replay)
    private long stepsRunByCall;

    /**
     * Runs the program {@code steps} times on {@code inputs}; {@code afterStep} (may be null) is called after each
     * step with its index, for recording. Each step draws the next numbers of the step's random stream.
     */
    void replay(DeviceBuffer[] inputs, long steps, java.util.function.LongConsumer afterStep) {
        if (closed) {
            throw new IllegalStateException("replay: the compiled program was closed");
        }
        bind(inputs);
        Call[] calls = bound;
        // a capture already made for this binding, else one is tried once a step of it ran call by call (which leaves
        // the backend's prepared launches and memory pools warm, so capturing takes no new device memory); a function
        // replays one step per call, so its second call captures
        dev.quiver.spi.CapturedWork graph = captured != null && capturedCalls == calls ? captured : null;
        if (streamCounter != null && steps > 0) {
            long position = generator.position();
            if (position > 1L << 53) {
                throw new IllegalStateException("replay: the random stream's position " + position + " is past 2^53, "
                        + "beyond what the device counter is set to exactly; start a new RandomGenerator");
            }
            backend.fill(StridedView.contiguous(streamCounter), position);
        }
        for (long step = 0; step < steps; step++) {
            if (graph == null && stepsRunByCall > 0) {
                graph = captured(calls);
            }
            if (graph != null) {
                graph.launch();
            } else {
                run(calls, generator == null ? 0 : generator.position());
                stepsRunByCall++;
            }
            if (afterStep != null) {
                afterStep.accept(step);
            }
            if (generator != null) {
                generator.skip(drawsPerStep);
            }
        }
    }

    /** Runs {@code calls} once, passing {@code counter} (the stream's position) to draws that take it from the host. */
    private void run(Call[] calls, long counter) {
        for (int i = 0; i < calls.length; i++) {
            try {
                calls[i].run(backend, counter);
            } catch (RuntimeException failure) {
                throw new IllegalStateException("replay: call " + i + " (" + calls[i].label() + ") of the "
                        + "compiled step failed on " + backend.name() + ": " + failure.getMessage(), failure);
            }
        }
    }

    /**
     * The bound {@code calls} captured as one unit the device replays ({@link Backend#capture}), captured now if they
     * were not yet (again after a new binding), or null: replays then run call by call, and {@link #replayMode()} says
     * why. Only a program whose calls are the same at every step is captured: no draw takes its position from the host
     * (a fused program keeps it in its device counter). A capture the backend refuses is not tried again; the refusal
     * is logged once, as a warning, and described.
     */
    private dev.quiver.spi.CapturedWork captured(Call[] calls) {
        if (captured != null && capturedCalls == calls) {
            return captured;
        }
        if (callByCall == null) {
            callByCall = whyCallByCall();
        }
        if (callByCall != null) {
            return null;
        }
        if (captured != null) {
            captured.close();
            captured = null;
        }
        try {
            captured = backend.capture(() -> run(calls, 0));
            capturedCalls = calls;
            return captured;
        } catch (RuntimeException refused) {
            callByCall = "the capture was refused: " + refused.getMessage();
            System.getLogger("dev.quiver").log(System.Logger.Level.WARNING, "compiled step on " + backend.name()
                    + ": replayed call by call, " + callByCall);
            return null;
        }
    }

    /** Why this program cannot be captured on its backend, or null when it can. */
    private String whyCallByCall() {
        String unavailable = backend.captureUnavailable();
        return unavailable != null ? unavailable : sameCallsEveryStep() ? null
                : "its draws take their stream position from the host (an unfused program)";
    }

    /** Whether every call is the same at every step: no draw takes its stream position from the host. */
    private boolean sameCallsEveryStep() {
        return unbound.stream().noneMatch(call -> call instanceof Call.Random draw && draw.streamRelative());
    }

    /**
     * How replays run: {@code "captured: one graph launch per step"} once the backend captured the step, else
     * {@code "call by call: "} and why.
     */
    String replayMode() {
        String why = callByCall != null ? callByCall : whyCallByCall();
        return captured != null ? "captured: one graph launch per step (" + backend.name() + ")"
                : why != null ? "call by call: " + why : "call by call until one step has run, then captured";
    }

    /**
     * Whether the program was fused: asked for, and the backend runs fused kernels
     * ({@link Backend#runsFusedKernels()}).
     */
    boolean fused() {
        return fused;
    }

    /** The backend calls one replayed step makes. */
    int callsPerStep() {
        return unbound.size();
    }

    /** The backend calls the traced (eager) step made. */
    int tracedCalls() {
        return recorded.size();
    }

    /** The memory the plan holds for intermediates, in bytes. */
    long plannedBytes() {
        return plannedBytes;
    }

    /** What the eager step allocated for intermediates, in bytes. */
    long intermediateBytes() {
        return intermediateBytes;
    }

    /**
     * One line per call of the traced step or of the compiled program ({@code compiled}, then how it replays:
     * {@link #replayMode()}).
     */
    String describe(boolean compiled) {
        StringBuilder text = new StringBuilder();
        List<Call> list = compiled ? unbound : recorded;
        Map<DeviceBuffer, String> names = new IdentityHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Call call = list.get(i);
            String label = call.label();
            text.append(String.format("%3d  %-40s", i, label)).append(label.length() >= 40 ? " " : "");
            text.append(name(call.writes(), names)).append(" <- ").append(name(call.reads(), names)).append('\n');
        }
        if (compiled) {
            text.append("replay: ").append(replayMode()).append('\n');
        }
        return text.toString();
    }

    private String name(StridedView[] views, Map<DeviceBuffer, String> names) {
        List<String> parts = new ArrayList<>();
        for (StridedView view : views) {
            DeviceBuffer buffer = view.buffer();
            String name = buffer instanceof HostScalar || buffer instanceof dev.quiver.spi.Drawn ? buffer.toString()
                    : names.computeIfAbsent(buffer, b -> (b instanceof Tracer.Traced ? "t" : "v") + names.size());
            parts.add(name + (view.offset() != 0 && !(buffer instanceof HostScalar) ? "@" + view.offset() : "")
                    + java.util.Arrays.toString(view.shape()));
        }
        return String.join(", ", parts);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (captured != null) {
                captured.close();
                captured = null;
            }
            owned.forEach(DeviceBuffer::release);
            owned.clear();
            kept.clear();
        }
    }
}
