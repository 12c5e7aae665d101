package dev.quiver.backend.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clCreateCommandQueue;
import static org.jocl.CL.clCreateCommandQueueWithProperties;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clEnqueueFillBuffer;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clReleaseCommandQueue;
import static org.jocl.CL.clReleaseContext;
import static org.jocl.CL.clReleaseMemObject;
import static org.jocl.CL.clSetKernelArg;

import dev.quiver.DType;
import dev.quiver.kernels.KernelArg;
import dev.quiver.kernels.Launch;
import dev.quiver.kernels.LaunchPlanner;
import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.SignalHandlers;
import dev.quiver.spi.StridedView;
import dev.quiver.spi.TransferStats;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_queue_properties;

/**
 * Quiver on an OpenCL device. Buffers live in device memory (through a caching {@link BufferPool}); every op is a
 * kernel launch planned by the kernels module's {@link LaunchPlanner} and enqueued on one in-order queue without
 * waiting. The host waits only when it reads a value ({@link #download}) or calls {@link #synchronize()}, and that
 * is where a failure of an already-queued kernel surfaces, named with the ops queued since the last wait.
 *
 * <p>Errors a kernel cannot throw (integer division by zero) belong to the op that made them: such an op gets its
 * own status word, its result (and everything computed from it later) carries a {@link DeferredCheck}, and reading
 * any of those tensors throws, every time, naming the op. Unrelated tensors read normally, and float training loops
 * never read a status word.
 *
 * <p>Device memory is bounded ({@link BufferPool}): by the device's global memory, or by
 * {@value #MEMORY_LIMIT_PROPERTY}; an allocation that would cross it first reclaims the buffers of unreachable
 * tensors, then fails naming the op, the bytes asked, the bytes in use and the limit.
 *
 * <pre>{@code
 * Quiver.use("opencl");                 // or -Dquiver.backend=opencl, or --backend opencl in the examples
 * Tensor x = Tensor.randomNormal(Shape.of(1024), 0, 1, 42, DType.FLOAT32);
 * float total = x.square().sum().floatValue();   // the only host-device copy: the 4-byte result
 * }</pre>
 */
public final class OpenClBackend implements Backend {
    /**
     * System property: {@code false} runs the slow twin of every fast path (strided kernels for contiguous data,
     * one-pass reductions), like {@code quiver.cpu.simd=0} does for the CPU backend. Default {@code true}.
     */
    public static final String FAST_PATHS_PROPERTY = "quiver.opencl.fastpaths";
    /**
     * System property: the most device memory the backend holds at once, in bytes or with a suffix {@code k},
     * {@code m}, {@code g} ({@code 512m}). Default: the device's global memory ({@code CL_DEVICE_GLOBAL_MEM_SIZE}).
     */
    public static final String MEMORY_LIMIT_PROPERTY = "quiver.opencl.memoryLimit";
    private static final int RECENT_OPS = 8;
    /** Status words not yet read; more than this and the next op waits to read them (their blocks are pooled). */
    private static final int MAX_UNREAD_CHECKS = 64;

    private final OpenClDevice device;
    private final boolean fastPaths;
    private final cl_context context;
    private final cl_command_queue queue;
    private final BufferPool pool;
    private final ProgramCache programs;
    private final LaunchPlanner planner;
    // launches since the host last waited, kept as launches and formatted only if an error needs them
    private final ArrayDeque<Launch> recentOps = new ArrayDeque<>();
    // ops whose status word the host has not read yet
    private final List<DeferredCheck> unread = new ArrayList<>();
    private long uploads;
    private long uploadBytes;
    private long downloads;
    private long downloadBytes;
    private long launches;
    private boolean closed;

    /** A backend on {@code device}: one context, one in-order queue; fast paths per {@value #FAST_PATHS_PROPERTY}. */
    public OpenClBackend(OpenClDevice device) {
        this(device, !"false".equalsIgnoreCase(System.getProperty(FAST_PATHS_PROPERTY, "true").trim()));
    }

    /** A backend on {@code device}, with or without its fast paths (tests compare the two). */
    public OpenClBackend(OpenClDevice device, boolean fastPaths) {
        this.device = device;
        this.fastPaths = fastPaths;
        long memoryLimit = memoryLimit(device);   // a malformed setting fails before anything native is made
        cl_context_properties properties = new cl_context_properties();
        properties.addProperty(CL_CONTEXT_PLATFORM, device.platform());
        this.context = clCreateContext(properties, 1, new cl_device_id[] {device.device()}, null, null, null);
        this.queue = device.version().startsWith("OpenCL 1.")
                ? createLegacyQueue(context, device)
                : clCreateCommandQueueWithProperties(context, device.device(), new cl_queue_properties(), null);
        SignalHandlers.restoreJvmHandlers("opencl: creating a context on " + device.name());
        this.pool = new BufferPool(context, memoryLimit, device.maxBufferBytes(), device.name());
        this.programs = new ProgramCache(context, device);
        this.planner = new LaunchPlanner(device.limits(), fastPaths);
    }

    /** {@value #MEMORY_LIMIT_PROPERTY}, else the device's global memory. */
    static long memoryLimit(OpenClDevice device) {
        String text = System.getProperty(MEMORY_LIMIT_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            return device.globalMemoryBytes();
        }
        int shift = switch (text.charAt(text.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        try {
            long value = Long.parseLong(shift == 0 ? text : text.substring(0, text.length() - 1).trim());
            if (value <= 0 || value > Long.MAX_VALUE >> shift) {
                throw new NumberFormatException("out of range");
            }
            return value << shift;
        } catch (NumberFormatException malformed) {
            throw new IllegalArgumentException("opencl: " + MEMORY_LIMIT_PROPERTY + "='" + text + "' is not a "
                    + "positive size in bytes (e.g. 1073741824, 512m or 2g)", malformed);
        }
    }

    @SuppressWarnings("deprecation")
    private static cl_command_queue createLegacyQueue(cl_context context, OpenClDevice device) {
        return clCreateCommandQueue(context, device.device(), 0, null);
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String deviceDescription() {
        return device + ", driver " + device.driver() + (fastPaths ? "" : ", fast paths off");
    }

    /** The device this backend runs on. */
    public OpenClDevice device() {
        return device;
    }

    /** The OpenCL context (tests build programs in it). */
    cl_context context() {
        return context;
    }

    /** Memory pool, program cache and launch counts, for diagnostics. */
    public synchronized String statistics() {
        return launches + " kernel launches; " + programs.describe() + "; memory: " + pool.describe();
    }

    /** The most device memory the backend held at once (live and cached buffers), in bytes. */
    long peakMemoryBytes() {
        return pool.peakBytes();
    }

    // ---------------------------------------------------------------- memory

    @Override
    public synchronized DeviceBuffer allocate(DType dtype, long length) {
        return allocate(dtype, length, "allocate");
    }

    private OpenClBuffer allocate(DType dtype, long length, String op) {
        checkOpen(op);
        requireDtype(dtype, op);
        long bytes;
        try {
            bytes = Math.multiplyExact(length, (long) dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new IllegalArgumentException("opencl: " + op + " of " + length + " " + dtype
                    + " is more than 2^63 bytes", overflow);
        }
        long capacity = BufferPool.sizeClass(bytes);
        return new OpenClBuffer(pool, pool.take(capacity, op, length, dtype), capacity, dtype, length);
    }

    @Override
    public synchronized DeviceBuffer upload(Object hostArray) {
        checkOpen("upload");
        DType dtype = dtypeOf(hostArray);
        requireDtype(dtype, "upload");
        long length = java.lang.reflect.Array.getLength(hostArray);
        OpenClBuffer buffer = allocate(dtype, length, "upload");
        long bytes = length * dtype.byteSize();
        if (length > 0) {
            Pointer source = switch (hostArray) {
                case float[] values -> Pointer.to(values);
                case double[] values -> Pointer.to(values);
                case int[] values -> Pointer.to(values);
                case long[] values -> Pointer.to(values);
                case boolean[] values -> Pointer.to(toBytes(values));
                default -> throw new IllegalStateException("unreachable");
            };
            try {
                clEnqueueWriteBuffer(queue, buffer.memory("upload"), CL_TRUE, 0, bytes, source, 0, null, null);
            } catch (CLException failure) {
                buffer.release();
                throw deviceFailure("upload of " + length + " " + dtype, failure);
            }
        }
        uploads++;
        uploadBytes += bytes;
        return buffer;
    }

    @Override
    public synchronized Object download(DeviceBuffer buffer, long offset, long length) {
        checkOpen("download");
        OpenClBuffer source = own(buffer, "download");
        DType dtype = source.dtype();
        if (offset < 0 || length < 0 || offset + length > source.length()) {
            throw new IllegalArgumentException("opencl: download of [" + offset + ", " + (offset + length)
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
        int size = dtype.byteSize();
        if (count > 0) {
            Pointer target = switch (values) {
                case float[] v -> Pointer.to(v);
                case double[] v -> Pointer.to(v);
                case int[] v -> Pointer.to(v);
                case long[] v -> Pointer.to(v);
                case byte[] v -> Pointer.to(v);
                default -> throw new IllegalStateException("unreachable");
            };
            try {
                clEnqueueReadBuffer(queue, source.memory("download"), CL_TRUE, offset * size, (long) count * size,
                        target, 0, null, null);
            } catch (CLException failure) {
                throw deviceFailure("download of " + length + " " + dtype, failure);
            }
        } else {
            finish("download");
        }
        recentOps.clear();
        readChecks();   // the queue is drained: every status word is final
        source.throwIfFailed();
        downloads++;
        downloadBytes += (long) count * size;
        return values instanceof byte[] bytes ? toBooleans(bytes) : values;
    }

    // ---------------------------------------------------------------- ops

    @Override
    public synchronized void fill(StridedView out, double value) {
        run("fill", planner.fill(out, value), null, out);
    }

    @Override
    public synchronized void unary(Primitive op, StridedView in, StridedView out) {
        run(op.opName(), planner.unary(op, in, out), null, out, in);
    }

    @Override
    public synchronized void binary(Primitive op, StridedView a, StridedView b, StridedView out) {
        List<Launch> plan = planner.binary(op, a, b, out);
        DeferredCheck check = null;
        for (Launch launch : plan) {
            if (launch.checksStatus()) {   // integer division: this op gets its own status word
                check = newCheck(launch.description());
                break;
            }
        }
        run(op.opName(), plan, check, out, a, b);
    }

    @Override
    public synchronized void where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) {
        run("where", planner.where(condition, whenTrue, whenFalse, out), null, out, condition, whenTrue, whenFalse);
    }

    @Override
    public synchronized void copy(StridedView in, StridedView out) {
        run("copy", planner.copy(in, out), null, out, in);
    }

    @Override
    public synchronized void reduce(Primitive op, StridedView in, StridedView out) {
        checkOpen(op.opName());
        long scratchLength = planner.reduceScratchLength(in);
        DeviceBuffer scratch = scratchLength == 0 ? null
                : allocate(in.dtype(), scratchLength, op.opName() + " scratch");
        try {
            run(op.opName(), planner.reduce(op, in, out, scratch), null, out, in);
        } finally {
            if (scratch != null) {
                scratch.release();   // safe at once: later users of the block queue behind this reduction
            }
        }
    }

    @Override
    public synchronized void matmul(StridedView a, StridedView b, StridedView out) {
        run("matmul", planner.matmul(a, b, out), null, out, a, b);
    }

    @Override
    public synchronized void random(RandomDistribution distribution, long seed, long counter, double first,
                                    double second, StridedView out) {
        run("random", planner.random(distribution, seed, counter, first, second, out), null, out);
    }

    @Override
    public synchronized void synchronize() {
        checkOpen("synchronize");
        finish("synchronize");
        recentOps.clear();
        readChecks();   // an op's own error is thrown where its result is read, not here
    }

    @Override
    public synchronized TransferStats transfers() {
        return new TransferStats(uploads, uploadBytes, downloads, downloadBytes);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            clFinish(queue);
        } finally {
            unread.forEach(check -> clReleaseMemObject(check.status));
            unread.clear();
            programs.close();
            pool.close();
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
        }
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Enqueues {@code plan}, the launches of {@code op}, and records what {@code out} now depends on: the deferred
     * checks of the inputs, and {@code check} (this op's own status word) when it has one.
     */
    private void run(String op, List<Launch> plan, DeferredCheck check, StridedView out, StridedView... inputs) {
        checkOpen(op);
        for (Launch launch : plan) {
            enqueue(launch, check);
        }
        OpenClBuffer target = own(out.buffer(), op);
        boolean whole = out.offset() == 0 && out.size() == target.length() && out.isContiguous();
        target.inheritChecks(whole, check, inputs);
    }

    private void enqueue(Launch launch, DeferredCheck check) {
        cl_kernel kernel = programs.kernel(launch.source(), launch.kernel());
        List<KernelArg> args = launch.args();
        try {
            for (int i = 0; i < args.size(); i++) {
                setArg(kernel, i, args.get(i), launch, check);
            }
            clEnqueueNDRangeKernel(queue, kernel, launch.groups().length, null, launch.globalSize(),
                    launch.groupSize(), 0, null, null);
        } catch (CLException failure) {
            throw new IllegalStateException("opencl: " + launch.description() + " could not be launched on "
                    + device.name() + ": " + failure.getMessage(), failure);
        }
        launches++;
        if (recentOps.size() == RECENT_OPS) {
            recentOps.removeFirst();
        }
        recentOps.addLast(launch);
    }

    private void setArg(cl_kernel kernel, int index, KernelArg arg, Launch launch, DeferredCheck check) {
        switch (arg) {
            case KernelArg.Buffer(DeviceBuffer buffer) ->
                    clSetKernelArg(kernel, index, Sizeof.cl_mem, Pointer.to(own(buffer, launch.description())
                            .memory(launch.description())));
            case KernelArg.I64(long value) -> clSetKernelArg(kernel, index, Sizeof.cl_long, Pointer.to(new long[] {value}));
            case KernelArg.F64(double value) ->
                    clSetKernelArg(kernel, index, Sizeof.cl_double, Pointer.to(new double[] {value}));
            case KernelArg.F32(float value) -> clSetKernelArg(kernel, index, Sizeof.cl_float, Pointer.to(new float[] {value}));
            case KernelArg.I32(int value) -> clSetKernelArg(kernel, index, Sizeof.cl_int, Pointer.to(new int[] {value}));
            case KernelArg.U8(byte value) -> clSetKernelArg(kernel, index, Sizeof.cl_uchar, Pointer.to(new byte[] {value}));
            case KernelArg.StatusWord() -> {
                if (check == null) {
                    throw new IllegalStateException("opencl: " + launch.description() + " takes a status word but "
                            + "its op has no check");
                }
                clSetKernelArg(kernel, index, Sizeof.cl_mem, Pointer.to(check.status));
            }
        }
    }

    /** A zeroed status word of its own for the op {@code description}; reads the older ones first if too many wait. */
    private DeferredCheck newCheck(String description) {
        if (unread.size() >= MAX_UNREAD_CHECKS) {
            finish(description);
            readChecks();
        }
        cl_mem word = pool.take(BufferPool.GRANULE, "the status word of " + description, 1, DType.INT32);
        try {
            clEnqueueFillBuffer(queue, word, Pointer.to(new int[1]), Sizeof.cl_int, 0, Sizeof.cl_int, 0, null, null);
        } catch (CLException failure) {
            pool.give(word, BufferPool.GRANULE);
            throw deviceFailure(description + " (zeroing its status word)", failure);
        }
        DeferredCheck check = new DeferredCheck(description, device.name(), word);
        unread.add(check);
        return check;
    }

    /** Reads every unread status word (the queue must be drained) and returns its block to the pool. */
    private void readChecks() {
        int[] word = new int[1];
        for (DeferredCheck check : unread) {
            try {
                clEnqueueReadBuffer(queue, check.status, CL_TRUE, 0, Sizeof.cl_int, Pointer.to(word), 0, null, null);
            } catch (CLException failure) {
                throw deviceFailure("reading the status word of " + check.description, failure);
            }
            check.result = word[0];
            pool.give(check.status, BufferPool.GRANULE);
        }
        unread.clear();
    }

    private void finish(String what) {
        try {
            clFinish(queue);
        } catch (CLException failure) {
            throw deviceFailure(what, failure);
        }
    }

    private RuntimeException deviceFailure(String what, CLException failure) {
        String recent = recentOps.isEmpty() ? "" : "; ops queued since the last wait: "
                + String.join(", ", recentOps.stream().map(Launch::description).toList());
        recentOps.clear();
        return new IllegalStateException("opencl: " + what + " failed on " + device.name() + ": "
                + failure.getMessage() + recent, failure);
    }

    private OpenClBuffer own(DeviceBuffer buffer, String op) {
        if (buffer instanceof OpenClBuffer mine && mine.pool() == pool) {
            return mine;
        }
        throw new IllegalArgumentException("opencl: " + op + " got a buffer of another backend ("
                + buffer.getClass().getSimpleName() + ")");
    }

    private void requireDtype(DType dtype, String op) {
        if (dtype == DType.FLOAT64 && !device.float64()) {
            throw new UnsupportedOperationException("opencl: " + op + " of float64 needs the cl_khr_fp64 extension, "
                    + "which " + device.name() + " does not report; use float32 or another backend");
        }
    }

    private void checkOpen(String op) {
        if (closed) {
            throw new IllegalStateException("opencl: " + op + " on a closed backend");
        }
    }

    private static DType dtypeOf(Object hostArray) {
        return switch (hostArray) {
            case float[] ignored -> DType.FLOAT32;
            case double[] ignored -> DType.FLOAT64;
            case int[] ignored -> DType.INT32;
            case long[] ignored -> DType.INT64;
            case boolean[] ignored -> DType.BOOL;
            case null -> throw new IllegalArgumentException("opencl: upload of null");
            default -> throw new IllegalArgumentException("opencl: upload takes float[], double[], int[], long[] or "
                    + "boolean[], not " + hostArray.getClass().getSimpleName());
        };
    }

    private static byte[] toBytes(boolean[] values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) (values[i] ? 1 : 0);
        }
        return bytes;
    }

    private static boolean[] toBooleans(byte[] bytes) {
        boolean[] values = new boolean[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            values[i] = bytes[i] != 0;
        }
        return values;
    }
}
