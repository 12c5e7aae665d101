package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import dev.quiver.spi.TransferStats;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Records the backend calls of one run of a step, while running them: the trace a {@link Program} is compiled
 * from. Core sends every backend call through {@link #device(Backend)}; while a tracer is active on the thread that
 * returns the tracer's recorder, which runs the call on the real backend (so the traced run is a real step, with
 * eager Quiver's numbers) and appends it to {@link #calls()} as a {@link Call}.
 *
 * <p>Memory allocated during the trace belongs to the tracer, not to the tensors: the recorder hands out
 * {@link Traced} buffers whose {@code release} does nothing, and the compiled program later gives each of them a
 * place in its memory plan. Buffers from outside (variables, captured constants, the step's inputs) are used in
 * place; the tracer keeps their storage reachable ({@link #touch}), so the garbage collector cannot release a
 * buffer a replay still reads.
 *
 * <pre>{@code
 * Tracer tracer = Tracer.start(backend);
 * try {
 *     loss = body.get();            // eager code; every backend call is recorded
 * } finally {
 *     tracer.stop();
 * }
 * List<Call> calls = tracer.calls();
 * }</pre>
 */
final class Tracer {
    private static final ThreadLocal<Tracer> ACTIVE = new ThreadLocal<>();
    // tracers active on any thread: eager code pays one volatile read, not a ThreadLocal lookup, when none is
    private static volatile int activeCount;

    private final Backend backend;
    private final Recorder recorder = new Recorder();
    private final List<Call> calls = new ArrayList<>();
    private final List<Traced> buffers = new ArrayList<>();
    private final Set<Storage> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<RandomGenerator, Long> streamStarts = new LinkedHashMap<>();
    private RandomGenerator pendingGenerator;
    private long pendingCounter;
    private boolean stopped;

    private Tracer(Backend backend) {
        this.backend = backend;
    }

    /** Starts recording this thread's backend calls on {@code backend}; one tracer per thread at a time. */
    static Tracer start(Backend backend) {
        if (ACTIVE.get() != null) {
            throw new IllegalStateException("compile: a step is already being traced on this thread; a compiled "
                    + "step cannot call another compiled step or function while it is traced");
        }
        Tracer tracer = new Tracer(backend);
        ACTIVE.set(tracer);
        synchronized (Tracer.class) {
            activeCount++;
        }
        return tracer;
    }

    /** Stops recording; the calls and buffers stay for the compiler. */
    void stop() {
        if (!stopped) {
            stopped = true;
            ACTIVE.remove();
            synchronized (Tracer.class) {
                activeCount--;
            }
        }
    }

    /** Whether this thread is tracing. */
    static boolean tracing() {
        return activeCount != 0 && ACTIVE.get() != null;
    }

    /** The backend to call: {@code backend} itself, or the recorder in front of it while this thread traces. */
    static Backend device(Backend backend) {
        if (activeCount == 0) {
            return backend;
        }
        Tracer tracer = ACTIVE.get();
        if (tracer == null) {
            return backend;
        }
        if (backend != tracer.backend) {
            throw new IllegalStateException("compile: the step uses backend " + backend.name() + "@"
                    + Integer.toHexString(System.identityHashCode(backend)) + " but is traced on "
                    + tracer.backend.name() + "@" + Integer.toHexString(System.identityHashCode(tracer.backend))
                    + "; a compiled step runs on one backend");
        }
        return tracer.recorder;
    }

    /** Keeps {@code storage} reachable for the compiled program when it is read or written during a trace. */
    static void touch(Storage storage) {
        if (activeCount != 0) {
            Tracer tracer = ACTIVE.get();
            if (tracer != null) {
                tracer.kept.add(storage);
            }
        }
    }

    /** Reading a value to the host cannot be replayed: refused while tracing, naming the method and the tensor. */
    static void refuseRead(String method, Tensor x) {
        if (tracing()) {
            throw new IllegalStateException(method + ": cannot read a value to the host inside a compiled step "
                    + "(tensor " + x.dtype() + " " + x.shape() + " on " + x.backend().name() + "): a replay runs "
                    + "on the device without the host; return the tensor from the step, or record it, and read it "
                    + "afterwards");
        }
    }

    /** Variables hold state across steps; one made inside a step would be made again at every replay. */
    static void refuseVariable(Tensor initial) {
        if (tracing()) {
            throw new IllegalStateException("Variable: cannot create a variable inside a compiled step (initial "
                    + "value " + initial.dtype() + " " + initial.shape() + "); create it before compiling");
        }
    }

    /** {@code generator} is about to draw at {@code counter}: the recorder makes that draw relative to the step. */
    static void noteDraw(RandomGenerator generator, long counter) {
        if (activeCount != 0) {
            Tracer tracer = ACTIVE.get();
            if (tracer != null) {
                tracer.pendingGenerator = generator;
                tracer.pendingCounter = counter;
                tracer.streamStarts.putIfAbsent(generator, counter);
            }
        }
    }

    List<Call> calls() {
        return calls;
    }

    /** The buffers allocated during the trace, in allocation order. */
    List<Traced> buffers() {
        return buffers;
    }

    /** The storages of the tensors the traced step touched (variables, constants, inputs, intermediates). */
    Set<Storage> kept() {
        return kept;
    }

    /** The generators the step drew from, with their position when the step began. */
    Map<RandomGenerator, Long> streamStarts() {
        return streamStarts;
    }

    Backend backend() {
        return backend;
    }

    /**
     * A buffer allocated (or uploaded) during a trace. It stands for a place in the compiled program's memory plan;
     * {@link #real} is where the traced run itself kept the data. Tensors of the trace release it as they die, which
     * does nothing: the tracer and then the program own the memory.
     */
    static final class Traced implements DeviceBuffer {
        final int id;
        /** Where the traced run kept the data; null for a buffer the compiler made (it exists in the plan only). */
        final DeviceBuffer real;
        /** Uploaded (a Java array made a tensor inside the step): a constant of the program, never rewritten. */
        final boolean constant;
        private final dev.quiver.DType dtype;
        private final long length;

        Traced(int id, DeviceBuffer real, boolean constant) {
            this.id = id;
            this.real = real;
            this.constant = constant;
            this.dtype = real.dtype();
            this.length = real.length();
        }

        /** A buffer of the compiled program only (e.g. the draws of a step merged into one). */
        Traced(int id, dev.quiver.DType dtype, long length) {
            this.id = id;
            this.real = null;
            this.constant = false;
            this.dtype = dtype;
            this.length = length;
        }

        @Override
        public dev.quiver.DType dtype() {
            return dtype;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public void release() {
            // owned by the tracer and then by the compiled program
        }

        @Override
        public boolean reclaimedByGarbageCollector() {
            return true; // nothing for a Cleaner to do
        }

        @Override
        public String toString() {
            return (constant ? "constant" : "t") + id + ":" + dtype + "[" + length + "]";
        }
    }

    /** {@code view} over the memory the traced run itself used (a traced buffer's real one). */
    static StridedView real(StridedView view) {
        return view.buffer() instanceof Traced traced
                ? new StridedView(traced.real, view.shape(), view.strides(), view.offset()) : view;
    }

    /** The backend the traced code sees: each call runs on the real backend and is recorded. */
    private final class Recorder implements Backend {
        @Override
        public String name() {
            return backend.name();
        }

        @Override
        public String deviceDescription() {
            return backend.deviceDescription();
        }

        @Override
        public DeviceBuffer allocate(dev.quiver.DType dtype, long length) {
            Traced traced = new Traced(buffers.size(), backend.allocate(dtype, length), false);
            buffers.add(traced);
            return traced;
        }

        @Override
        public DeviceBuffer upload(Object hostArray) {
            Traced traced = new Traced(buffers.size(), backend.upload(hostArray), true);
            buffers.add(traced);
            return traced;
        }

        @Override
        public Object download(DeviceBuffer buffer, long offset, long length) {
            throw new IllegalStateException("download: cannot read a value to the host inside a compiled step");
        }

        @Override
        public void fill(StridedView out, double value) {
            backend.fill(real(out), value);
            calls.add(new Call.Fill(out, value));
        }

        @Override
        public void unary(Primitive op, StridedView in, StridedView out) {
            backend.unary(op, real(in), real(out));
            calls.add(new Call.Unary(op, in, out));
        }

        @Override
        public void binary(Primitive op, StridedView a, StridedView b, StridedView out) {
            backend.binary(op, real(a), real(b), real(out));
            calls.add(new Call.Binary(op, a, b, out));
        }

        @Override
        public void where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) {
            backend.where(real(condition), real(whenTrue), real(whenFalse), real(out));
            calls.add(new Call.Where(condition, whenTrue, whenFalse, out));
        }

        @Override
        public void copy(StridedView in, StridedView out) {
            backend.copy(real(in), real(out));
            calls.add(new Call.Copy(in, out));
        }

        @Override
        public void reduce(Primitive op, StridedView in, StridedView out) {
            backend.reduce(op, real(in), real(out));
            calls.add(new Call.Reduce(op, in, out));
        }

        @Override
        public void matmul(StridedView a, StridedView b, StridedView out) {
            backend.matmul(real(a), real(b), real(out));
            calls.add(new Call.Matmul(a, b, out));
        }

        @Override
        public void gather(StridedView params, StridedView indices, StridedView out) {
            backend.gather(real(params), real(indices), real(out));
            calls.add(new Call.Gather(params, indices, out));
        }

        @Override
        public void scatterAdd(StridedView updates, StridedView indices, StridedView out) {
            backend.scatterAdd(real(updates), real(indices), real(out));
            calls.add(new Call.ScatterAdd(updates, indices, out));
        }

        @Override
        public void random(RandomDistribution distribution, long seed, long counter, double first, double second,
                           StridedView out) {
            backend.random(distribution, seed, counter, first, second, real(out));
            RandomGenerator generator = pendingGenerator;
            pendingGenerator = null;
            boolean relative = generator != null && generator.seed() == seed && pendingCounter == counter;
            long start = relative ? streamStarts.get(generator) : 0;
            calls.add(new Call.Random(distribution, seed, relative, relative ? counter - start : counter, first,
                    second, out));
            if (relative && streamStarts.size() > 1) {
                throw new IllegalStateException("compile: the step draws from " + streamStarts.size()
                        + " random generators; a compiled step may draw from one (use one RandomGenerator)");
            }
        }

        @Override
        public void synchronize() {
            backend.synchronize();
        }

        @Override
        public TransferStats transfers() {
            return backend.transfers();
        }

        @Override
        public void close() {
            throw new IllegalStateException("close: cannot close the backend inside a compiled step");
        }
    }
}
