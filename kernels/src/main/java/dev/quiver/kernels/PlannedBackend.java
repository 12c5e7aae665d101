package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.Backend;
import dev.quiver.spi.CachingAllocator;
import dev.quiver.spi.CapturedWork;
import dev.quiver.spi.DeferredCheck;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Drawn;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.PooledBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import dev.quiver.spi.TransferStats;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What every kernel-launching device backend shares: memory from a {@link CachingAllocator} in {@link PooledBuffer}s;
 * each op planned by the {@link LaunchPlanner} and its launches handed to {@link #launch}; the last few launches
 * since the host waited, so a device error surfacing at the next wait can name them; and a status word of its own
 * for each op whose kernels may report an error they cannot throw (integer division by zero), read at the next wait
 * and thrown, every time, where that op's result or anything computed from it is read ({@link DeferredCheck}).
 * A backend adds its driver calls: launch, zero and read a status word, wait, transfers, close.
 *
 * <pre>{@code
 * final class MyBackend extends PlannedBackend<Long> {
 *     MyBackend(DeviceLimits limits) { super(new LaunchPlanner(limits)); }
 *     protected CachingAllocator<Long> allocator() { ... }
 *     protected void enter(String op) { requireOpen(op); ... }        // and make the context current
 *     protected void launch(Launch launch, DeferredCheck<Long> check) { ... }   // compile (cached), set args, enqueue
 *     protected void zeroStatusWord(Long word, String op) { ... }     // enqueued, not waited for
 *     protected int readStatusWord(Long word, String op) { ... }      // the queue is drained
 *     protected void waitForDevice(String op) { ... }
 *     protected void write(Long memory, Object hostArray, long bytes, String what) { ... }
 *     protected void read(Long memory, long offsetBytes, Object hostArray, long bytes, String what) { ... }
 *     // close (if markClosed()), name, deviceDescription
 * }
 * }</pre>
 *
 * @param <M> the driver's handle of a block of device memory
 */
public abstract class PlannedBackend<M> implements Backend {
    private static final int RECENT_OPS = 8;
    /** Status words not yet read; more than this and the next op waits to read them (their blocks are cached). */
    private static final int MAX_UNREAD_CHECKS = 64;

    /** The planner of this backend's device. */
    protected final LaunchPlanner planner;
    // launches since the host last waited, kept as launches and formatted only if an error needs them
    private final ArrayDeque<Launch> recentOps = new ArrayDeque<>();
    // ops whose status word the host has not read yet
    private final List<DeferredCheck<M>> unread = new ArrayList<>();
    private long launches;
    private long uploads;
    private long uploadBytes;
    private long downloads;
    private long downloadBytes;
    private boolean closed;

    /** A backend whose ops {@code planner} plans. */
    protected PlannedBackend(LaunchPlanner planner) {
        this.planner = planner;
    }

    /** The allocator of this backend's device memory (made by the subclass's constructor, after its context). */
    protected abstract CachingAllocator<M> allocator();

    /** The device's name, for error messages. */
    protected abstract String deviceName();

    /** Called before every op: refuses a closed backend (naming {@code op}) and readies the device context. */
    protected abstract void enter(String op);

    /** Enqueues one planned launch without waiting for it; {@code check} holds the op's status word, or is null. */
    protected abstract void launch(Launch launch, DeferredCheck<M> check);

    /** Enqueues the zeroing of a status word (one int) for {@code op}, before the op's kernels. */
    protected abstract void zeroStatusWord(M word, String op);

    /** Reads a status word; the host already waited for the queue. */
    protected abstract int readStatusWord(M word, String op);

    /** Waits for every queued command; a failure is an error naming {@code op} and {@link #recentOpsText()}. */
    protected abstract void waitForDevice(String op);

    /** Refuses a dtype the device cannot hold, naming {@code op}; every dtype by default. */
    protected void requireDtype(DType dtype, String op) {
    }

    @Override
    public synchronized DeviceBuffer allocate(DType dtype, long length) {
        enter("allocate");
        return allocate(dtype, length, "allocate");
    }

    /** A buffer of {@code length} elements for {@code op}; the caller entered. */
    protected final PooledBuffer<M> allocate(DType dtype, long length, String op) {
        requireDtype(dtype, op);
        long bytes;
        try {
            bytes = Math.multiplyExact(length, (long) dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new IllegalArgumentException(name() + ": " + op + " of " + length + " " + dtype
                    + " is more than 2^63 bytes", overflow);
        }
        long capacity = CachingAllocator.sizeClass(bytes);
        CachingAllocator<M> allocator = allocator();
        String what = op + " of " + length + " " + dtype + " (" + bytes + " bytes)";
        return new PooledBuffer<>(allocator, allocator.take(capacity, what), capacity, dtype, length);
    }

    /** {@code buffer} as one of this backend's, or an error naming {@code op} and the backend. */
    @SuppressWarnings("unchecked")
    protected final PooledBuffer<M> own(DeviceBuffer buffer, String op) {
        if (buffer instanceof PooledBuffer<?> mine && mine.allocator() == allocator()) {
            return (PooledBuffer<M>) mine;
        }
        if (buffer instanceof HostScalar scalar) {
            throw new IllegalArgumentException(name() + ": " + op + " got a host scalar (" + scalar + "): only the "
                    + "inputs of unary, binary and where take one; core makes it a buffer first for every other call");
        }
        if (buffer instanceof Drawn draw) {
            throw new IllegalArgumentException(name() + ": " + op + " got a drawn buffer (" + draw + "): only the "
                    + "inputs of fused and fusedReduce take one");
        }
        throw new IllegalArgumentException(name() + ": " + op + " got a buffer of another backend ("
                + buffer.getClass().getSimpleName() + ")");
    }

    @Override
    public synchronized void fill(StridedView out, double value) {
        run("fill", planner.fill(out, value), out);
    }

    @Override
    public synchronized void unary(Primitive op, StridedView in, StridedView out) {
        run(op.opName(), planner.unary(op, in, out), out, in);
    }

    @Override
    public synchronized void binary(Primitive op, StridedView a, StridedView b, StridedView out) {
        run(op.opName(), planner.binary(op, a, b, out), out, a, b);
    }

    @Override
    public synchronized void where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) {
        run("where", planner.where(condition, whenTrue, whenFalse, out), out, condition, whenTrue, whenFalse);
    }

    @Override
    public synchronized void copy(StridedView in, StridedView out) {
        own(in.buffer(), "copy");   // a host scalar only as an elementwise input: refused here, by name
        run("copy", planner.copy(in, out), out, in);
    }

    @Override
    public synchronized void reduce(Primitive op, StridedView in, StridedView out) {
        enter(op.opName());
        own(in.buffer(), op.opName());
        long scratchLength = planner.reduceScratchLength(in);
        DeviceBuffer scratch = scratchLength == 0 ? null
                : allocate(in.dtype(), scratchLength, op.opName() + " scratch");
        try {
            run(op.opName(), planner.reduce(op, in, out, scratch), out, in);
        } finally {
            if (scratch != null && capturedScratch != null) {
                capturedScratch.add(scratch);   // a capture replays this reduction: the scratch stays with it
            } else if (scratch != null) {
                scratch.release();   // safe at once: later users of the block queue behind this reduction
            }
        }
    }

    /** True: {@link #fused} and {@link #fusedReduce} each run as one planned kernel ({@link FusedKernels}). */
    @Override
    public boolean runsFusedKernels() {
        return true;
    }

    /**
     * True: a {@link Drawn} input of {@link #fused} or {@link #fusedReduce} is generated in the kernel where it is read
     * ({@link DrawnInputs}), with the bits {@link #random} would have written.
     */
    @Override
    public boolean fusesDraws() {
        return true;
    }

    /**
     * The chain as one kernel ({@link LaunchPlanner#fused}); each output then depends on what the unfused twin's
     * would ({@link #inheritFusedChecks}). A call with the very views of the kernel's last call (a compiled step's
     * replay) launches the launches planned then ({@link Prepared}).
     */
    @Override
    public synchronized void fused(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputs) {
        String op = "fused";
        Prepared prepared = prepared(kernel, inputs, null, outputs);
        List<Launch> plan;
        if (prepared != null) {
            plan = prepared.plan();
        } else {
            ownCounters(op, inputs);
            plan = planner.fused(kernel, inputs, outputs);
            keep(kernel, new Prepared(inputs.clone(), null, outputs.clone(), plan, new DeviceBuffer[0]));
        }
        enter(op);
        inheritFusedChecks(op, kernel, launchAll(plan), inputs, outputs);
    }

    /**
     * The chain as the visit of the reduction ({@link LaunchPlanner#fusedReduce}): one launch, or the two stages of a
     * split reduction, whatever the number of outputs. A reduced output of the chain is never written, only its
     * partials when the reduction is split (a scratch buffer per reduction, kept with the prepared launches while a
     * compiled step repeats the call, and released when another call replaces them: later users of the memory queue
     * behind this reduction). Each output then depends on what it would alone ({@link #inheritFusedChecks}).
     */
    @Override
    public synchronized void fusedReduce(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions,
                                         StridedView[] outputs) {
        Prepared prepared = prepared(kernel, inputs, reductions, outputs);
        if (prepared != null && capturedScratch != null) {
            // a capture replays these launches: their scratch moves to it (it stays until the capture is closed)
            this.prepared.remove(kernel);
            capturedScratch.addAll(List.of(prepared.scratch()));
        }
        if (prepared == null) {
            kernel.checkReduceOperands(name() + ": fusedReduce", inputs, reductions, outputs);
        }
        StringBuilder name = new StringBuilder("fused ");
        for (int j = 0; j < reductions.length; j++) {
            name.append(j == 0 ? "" : ",").append(reductions[j].opName());
        }
        String op = name.toString();
        if (prepared == null) {
            ownCounters(op, inputs);
        }
        enter(op);
        if (prepared == null) {
            long scratchLength = planner.reduceScratchLength(inputs[0]);
            DeviceBuffer[] scratch = new DeviceBuffer[scratchLength == 0 ? 0 : reductions.length];
            try {
                List<DType> types = kernel.outputTypes();
                for (int j = 0; j < scratch.length; j++) {
                    scratch[j] = allocate(types.get(j), scratchLength, op + " scratch");
                }
                List<Launch> plan = planner.fusedReduce(kernel, inputs, reductions, outputs, scratch);
                prepared = new Prepared(inputs.clone(), reductions.clone(), outputs.clone(), plan, scratch);
            } catch (RuntimeException failure) {
                for (DeviceBuffer partials : scratch) {
                    if (partials != null) {
                        partials.release();
                    }
                }
                throw failure;
            }
            if (capturedScratch != null) {
                capturedScratch.addAll(List.of(scratch));
            } else {
                keep(kernel, prepared);
            }
        }
        inheritFusedChecks(op, kernel, launchAll(prepared.plan()), inputs, outputs);
    }

    /**
     * The launches planned for a fused kernel's last call, with the views they were planned for and the scratch they
     * use: a compiled step calls each of its kernels again with the very same views (the same objects, which the SPI
     * never changes) every step, so a replay launches prepared launches and plans nothing.
     */
    private record Prepared(StridedView[] inputs, Primitive[] reductions, StridedView[] outputs, List<Launch> plan,
                            DeviceBuffer[] scratch) {
        boolean repeats(StridedView[] in, Primitive[] reduced, StridedView[] out) {
            return same(inputs, in) && same(outputs, out) && (reductions == null ? reduced == null
                    : reduced != null && java.util.Arrays.equals(reductions, reduced));
        }

        private static boolean same(StridedView[] kept, StridedView[] views) {
            if (kept.length != views.length) {
                return false;
            }
            for (int i = 0; i < kept.length; i++) {
                if (kept[i] != views[i]) {
                    return false;
                }
            }
            return true;
        }

        void release() {
            for (DeviceBuffer partials : scratch) {
                partials.release();
            }
        }
    }

    /** The most fused kernels whose prepared launches are kept; past it they are all dropped (and planned again). */
    private static final int KEPT_PREPARED = 256;
    private final java.util.IdentityHashMap<FusedElementwise, Prepared> prepared = new java.util.IdentityHashMap<>();

    /** {@code kernel}'s prepared launches when this call repeats its last one, else null. */
    private Prepared prepared(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions,
                              StridedView[] outputs) {
        Prepared last = prepared.get(kernel);
        return last != null && last.repeats(inputs, reductions, outputs) ? last : null;
    }

    /** Keeps {@code launches} as {@code kernel}'s prepared ones, releasing what the ones they replace held. */
    private void keep(FusedElementwise kernel, Prepared launches) {
        if (prepared.size() >= KEPT_PREPARED && !prepared.containsKey(kernel)) {
            dropPrepared();
        }
        Prepared replaced = prepared.put(kernel, launches);
        if (replaced != null) {
            replaced.release();
        }
    }

    /** Drops every prepared launch and releases their scratch (at close, or when too many are kept). */
    protected final void dropPrepared() {
        prepared.values().forEach(Prepared::release);
        prepared.clear();
    }

    // while capture(...) records: the scratch its calls take, which stays with the capture
    private List<DeviceBuffer> capturedScratch;

    /**
     * Records what {@code calls} launch as one unit ({@link #beginCapture}, {@link #endCapture}), where the device
     * can ({@link #captureUnavailable()} is null). Status words waiting to be read are read first (reading one waits,
     * which a capture cannot); a call whose kernels report errors through a status word is refused; a reduction's
     * scratch stays with the capture until it is closed (a repeated call's prepared scratch moves to it, so a capture
     * made after one step ran call by call takes no new memory). A failed capture is ended and leaves nothing behind.
     */
    @Override
    public synchronized CapturedWork capture(Runnable calls) {
        String unavailable = captureUnavailable();
        if (unavailable != null) {
            throw new UnsupportedOperationException(name() + ": capture: " + unavailable);
        }
        if (capturedScratch != null) {
            throw new IllegalStateException(name() + ": capture: already capturing");
        }
        enter("capture");
        if (!unread.isEmpty()) {
            waitForDevice("capture");
            afterWait();
        }
        List<DeviceBuffer> kept = new ArrayList<>();
        capturedScratch = kept;
        CapturedWork captured = null;
        beginCapture();
        try {
            calls.run();
            captured = endCapture(kept);
            return captured;
        } finally {
            capturedScratch = null;
            if (captured == null) {
                abortCapture();
                kept.forEach(DeviceBuffer::release);
            }
        }
    }

    /** Starts recording the launches issued from now on instead of running them (the caller entered). */
    protected void beginCapture() {
        throw new UnsupportedOperationException(name() + ": capture: " + captureUnavailable());
    }

    /** Ends the recording begun by {@link #beginCapture} and makes it launchable; it keeps {@code scratch}. */
    protected CapturedWork endCapture(List<DeviceBuffer> scratch) {
        throw new UnsupportedOperationException(name() + ": capture: " + captureUnavailable());
    }

    /** Ends a recording that failed, dropping what it recorded; must not throw. */
    protected void abortCapture() {
    }

    /** Checks, before anything is launched, that every drawn input's stream counter is a buffer of this backend. */
    private void ownCounters(String op, StridedView[] inputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].buffer() instanceof Drawn draw) {
                own(draw.counter(), op + " (the stream counter of drawn input " + i + ")");
            }
        }
    }

    /**
     * What each output of a fused kernel depends on after {@code op}: what the unfused twin's output would, the
     * inputs its register is computed from and {@code check} only when a dividing step lies on its way (a division
     * by zero elsewhere in the chain leaves it readable, as it would).
     */
    private void inheritFusedChecks(String op, FusedElementwise kernel, DeferredCheck<M> check, StridedView[] inputs,
                                    StridedView[] outputs) {
        int[] registers = kernel.outputs();
        for (int j = 0; j < outputs.length; j++) {
            inheritChecks(op, FusedKernels.reachesStatus(kernel, registers[j]) ? check : null, outputs[j],
                    reaching(kernel, registers[j], inputs));
        }
    }

    /** The inputs that {@code register} is computed from. */
    private static StridedView[] reaching(FusedElementwise kernel, int register, StridedView[] inputs) {
        boolean[] reached = FusedKernels.inputsReaching(kernel, register);
        List<StridedView> views = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            if (reached[i]) {
                views.add(inputs[i]);
            }
        }
        return views.toArray(StridedView[]::new);
    }

    /** The tiled matmul kernel; a backend with a vendor library overrides this and keeps it as the slow twin. */
    @Override
    public synchronized void matmul(StridedView a, StridedView b, StridedView out) {
        own(a.buffer(), "matmul");
        own(b.buffer(), "matmul");
        run("matmul", planner.matmul(a, b, out), out, a, b);
    }

    @Override
    public synchronized void gather(StridedView params, StridedView indices, StridedView out) {
        own(params.buffer(), "gather");
        own(indices.buffer(), "gather");
        run("gather", planner.gather(params, indices, out), out, params, indices);
    }

    @Override
    public synchronized void scatterAdd(StridedView updates, StridedView indices, StridedView out) {
        own(updates.buffer(), "scatter_add");
        own(indices.buffer(), "scatter_add");
        run("scatter_add", planner.scatterAdd(updates, indices, out), out, updates, indices);
    }

    @Override
    public synchronized void random(RandomDistribution distribution, long seed, long counter, double first,
                                    double second, StridedView out) {
        run("random", planner.random(distribution, seed, counter, first, second, out), out);
    }

    /**
     * Enters {@code op}, launches its plan (with a status word of its own when a launch may set one) and records
     * what {@code out} now depends on: the deferred checks of {@code inputs}, and the op's own.
     */
    protected final void run(String op, List<Launch> plan, StridedView out, StridedView... inputs) {
        enter(op);
        DeferredCheck<M> check = launchAll(plan);
        inheritChecks(op, check, out, inputs);
    }

    /** Launches {@code plan} (the caller entered); returns the op's own status check, or null when it has none. */
    private DeferredCheck<M> launchAll(List<Launch> plan) {
        DeferredCheck<M> check = null;
        for (Launch planned : plan) {
            if (planned.checksStatus()) {
                if (capturedScratch != null) {
                    throw new IllegalStateException(planned.description() + " reports errors through a status word, "
                            + "which the host reads after each op: a capture cannot");
                }
                check = newCheck(planned.description());
                break;
            }
        }
        for (Launch planned : plan) {
            launch(planned, check);
            launches++;
            if (recentOps.size() == RECENT_OPS) {
                recentOps.removeFirst();
            }
            recentOps.addLast(planned);
        }
        return check;
    }

    /**
     * Records what {@code out} depends on after {@code op} wrote it: the deferred checks of {@code inputs} and
     * {@code check}, the op's own (or null). A backend that computes an op without {@link #run} (a vendor library)
     * calls this too.
     */
    protected final void inheritChecks(String op, DeferredCheck<M> check, StridedView out, StridedView... inputs) {
        PooledBuffer<M> target = own(out.buffer(), op);
        boolean whole = out.offset() == 0 && out.size() == target.length() && out.isContiguous();
        List<PooledBuffer<M>> sources = new ArrayList<>(inputs.length);
        for (StridedView input : inputs) {
            // a value passed by value, or a draw generated in the kernel, carries no deferred error
            if (!(input.buffer() instanceof HostScalar) && !(input.buffer() instanceof Drawn)) {
                sources.add(own(input.buffer(), op));
            }
        }
        target.inheritChecks(whole, check, sources);
    }

    /** A zeroed status word of its own for the op {@code description}; reads the older ones first if too many wait. */
    private DeferredCheck<M> newCheck(String description) {
        if (unread.size() >= MAX_UNREAD_CHECKS) {
            waitForDevice(description);
            afterWait();
        }
        M word = allocator().take(CachingAllocator.GRANULE, "the status word of " + description);
        try {
            zeroStatusWord(word, description);
        } catch (RuntimeException failure) {
            allocator().give(word, CachingAllocator.GRANULE);
            throw failure;
        }
        DeferredCheck<M> check = new DeferredCheck<>(description, word);
        unread.add(check);
        return check;
    }

    /**
     * After the host waited for the queue (download, synchronize): forgets the launches since the last wait
     * and reads every unread status word (now final) into its check, returning its block to the allocator.
     */
    private void afterWait() {
        recentOps.clear();
        for (DeferredCheck<M> check : unread) {
            int value = readStatusWord(check.status(), check.description());
            RuntimeException error = null;
            if (value == LaunchPlanner.STATUS_INDEX_OUT_OF_RANGE) {
                // the reporting kernel wrote (position, value, limit) after the word: name the index as the CPU does
                long[] details = new long[3];
                read(check.status(), 8, details, 24, "the status details of " + check.description());
                String op = check.description().split(" ", 2)[0];
                error = Backend.indexOutOfRange(op, details[0], details[1], details[2]);
                error = new IllegalArgumentException(error.getMessage() + " on " + name() + " (" + deviceName()
                        + ") in " + check.description() + "; every tensor computed from its result fails the same way");
            } else if (value != 0) {
                error = statusError(value, name(), deviceName(), check.description());
            }
            check.complete(error);
            allocator().give(check.status(), CachingAllocator.GRANULE);
        }
        unread.clear();
    }

    /**
     * Copies {@code bytes} from a host array ({@code float[]}, {@code double[]}, {@code int[]}, {@code long[]}, or
     * {@code byte[]} for bools) into {@code memory}; returns once the host array may be reused. A failure is an error
     * naming {@code what}.
     */
    protected abstract void write(M memory, Object hostArray, long bytes, String what);

    /**
     * Copies {@code bytes} from {@code memory} at {@code offsetBytes} into a host array of the dtype's Java type
     * ({@code byte[]} for bools), waiting for the queue first. A failure is an error naming {@code what}.
     */
    protected abstract void read(M memory, long offsetBytes, Object hostArray, long bytes, String what);

    @Override
    public synchronized DeviceBuffer upload(Object hostArray) {
        enter("upload");
        DType dtype = dtypeOf(hostArray, name());
        long length = java.lang.reflect.Array.getLength(hostArray);
        PooledBuffer<M> buffer = allocate(dtype, length, "upload");
        long bytes = length * dtype.byteSize();
        if (length > 0) {
            try {
                write(buffer.memory("upload"), hostArray instanceof boolean[] bools ? toBytes(bools) : hostArray,
                        bytes, "upload of " + length + " " + dtype);
            } catch (RuntimeException failure) {
                buffer.release();
                throw failure;
            }
        }
        uploads++;
        uploadBytes += bytes;
        return buffer;
    }

    @Override
    public synchronized Object download(DeviceBuffer buffer, long offset, long length) {
        enter("download");
        PooledBuffer<M> source = own(buffer, "download");
        DType dtype = source.dtype();
        if (offset < 0 || length < 0 || offset + length > source.length()) {
            throw new IllegalArgumentException(name() + ": download of [" + offset + ", " + (offset + length)
                    + ") is outside a " + dtype + " buffer of " + source.length() + " elements");
        }
        int count = Math.toIntExact(length);
        Object values = switch (dtype) {
            case FLOAT32 -> new float[count];
            case FLOAT64 -> new double[count];
            case INT32 -> new int[count];
            case INT64 -> new long[count];
            case BOOL -> new byte[count];
        };
        long bytes = (long) count * dtype.byteSize();
        if (count > 0) {
            read(source.memory("download"), offset * dtype.byteSize(), values, bytes, "download of " + length + " "
                    + dtype);
        } else {
            waitForDevice("download");
        }
        afterWait();   // the queue is drained: every status word is final
        source.throwIfFailed();
        downloads++;
        downloadBytes += bytes;
        return values instanceof byte[] flags ? toBooleans(flags) : values;
    }

    /** Waits for every queued op; an op's own deferred error is thrown where its result is read, not here. */
    @Override
    public synchronized void synchronize() {
        enter("synchronize");
        waitForDevice("synchronize");
        afterWait();
    }

    /** Refuses {@code op} on a closed backend, naming it; every {@link #enter} starts with this. */
    protected final void requireOpen(String op) {
        if (closed) {
            throw new IllegalStateException(name() + ": " + op + " on a closed backend");
        }
    }

    /** Marks the backend closed; false when it already was (then {@code close()} has nothing to do). */
    protected final boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    @Override
    public synchronized TransferStats transfers() {
        return new TransferStats(uploads, uploadBytes, downloads, downloadBytes);
    }

    /** Gives the blocks of unread status words back (on close: nothing will read them). */
    protected final void dropUnreadChecks() {
        unread.forEach(check -> allocator().give(check.status(), CachingAllocator.GRANULE));
        unread.clear();
    }

    /** Kernel launches so far. */
    protected final long launches() {
        return launches;
    }

    /** {@code "; ops launched since the last wait: ..."} for an error message, or {@code ""}; then forgets them. */
    protected final String recentOpsText() {
        String recent = recentOps.isEmpty() ? "" : "; ops launched since the last wait: "
                + String.join(", ", recentOps.stream().map(Launch::description).toList());
        recentOps.clear();
        return recent;
    }

    private static final java.util.regex.Pattern DIVIDING_STEP =
            java.util.regex.Pattern.compile("(?<![a-z_])(floor_div|div|mod)\\[");

    /** The error a status word value reports for the op {@code description}, naming the backend and device. */
    protected static RuntimeException statusError(int value, String backend, String device, String description) {
        if (value == ElementwiseKernels.STATUS_DIVISION_BY_ZERO) {
            // floor_div and mod divide too: the description starts with the op's name; a fused kernel's (or a fused
            // reduction's, "sum, max of fused(...)") lists its steps, and the error names the first that divides
            String op = description.split(" ", 2)[0];
            if (description.contains("fused(")) {
                java.util.regex.Matcher step = DIVIDING_STEP.matcher(description);
                op = step.find() ? step.group(1) : op;
            }
            return new ArithmeticException(op + ": integer division by zero on " + backend + " (" + device + ") in "
                    + description + "; every tensor computed from its result fails the same way");
        }
        return new IllegalStateException(backend + ": " + description + " reported status " + value + " on "
                + device);
    }

    /** The dtype of a host array {@link Backend#upload} accepts, or an error naming the backend. */
    protected static DType dtypeOf(Object hostArray, String backend) {
        return switch (hostArray) {
            case float[] ignored -> DType.FLOAT32;
            case double[] ignored -> DType.FLOAT64;
            case int[] ignored -> DType.INT32;
            case long[] ignored -> DType.INT64;
            case boolean[] ignored -> DType.BOOL;
            case null -> throw new IllegalArgumentException(backend + ": upload of null");
            default -> throw new IllegalArgumentException(backend + ": upload takes float[], double[], int[], long[] "
                    + "or boolean[], not " + hostArray.getClass().getSimpleName());
        };
    }

    /** Bools as the devices store them: one byte, 0 or 1. */
    protected static byte[] toBytes(boolean[] values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) (values[i] ? 1 : 0);
        }
        return bytes;
    }

    /** Device bytes back to bools (any non-zero byte is true). */
    protected static boolean[] toBooleans(byte[] bytes) {
        boolean[] values = new boolean[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            values[i] = bytes[i] != 0;
        }
        return values;
    }
}
