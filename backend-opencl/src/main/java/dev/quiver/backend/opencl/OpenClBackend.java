package dev.quiver.backend.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clCreateCommandQueue;
import static org.jocl.CL.clCreateCommandQueueWithProperties;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clReleaseCommandQueue;
import static org.jocl.CL.clReleaseContext;
import static org.jocl.CL.clReleaseMemObject;
import static org.jocl.CL.clSetKernelArg;

import dev.quiver.DType;
import dev.quiver.kernels.ElementwiseKernels;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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
 * <p>Errors a kernel cannot throw (integer division by zero) are written to a device status word; the backend
 * reads it at the next wait, and only if such a kernel ran, so float training loops never read it.
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
    private static final int RECENT_OPS = 8;

    private final OpenClDevice device;
    private final boolean fastPaths;
    private final cl_context context;
    private final cl_command_queue queue;
    private final BufferPool pool;
    private final ProgramCache programs;
    private final LaunchPlanner planner;
    private final cl_mem status;
    // launches since the host last waited, kept as launches and formatted only if an error needs them
    private final ArrayDeque<Launch> recentOps = new ArrayDeque<>();
    private final List<Launch> statusChecks = new ArrayList<>();
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
        cl_context_properties properties = new cl_context_properties();
        properties.addProperty(CL_CONTEXT_PLATFORM, device.platform());
        this.context = clCreateContext(properties, 1, new cl_device_id[] {device.device()}, null, null, null);
        this.queue = device.version().startsWith("OpenCL 1.")
                ? createLegacyQueue(context, device)
                : clCreateCommandQueueWithProperties(context, device.device(), new cl_queue_properties(), null);
        SignalHandlers.restoreJvmHandlers("opencl: creating a context on " + device.name());
        this.pool = new BufferPool(context);
        this.programs = new ProgramCache(context, device);
        this.planner = new LaunchPlanner(device.limits(), fastPaths);
        this.status = pool.take(BufferPool.GRANULE);
        clEnqueueWriteBuffer(queue, status, CL_TRUE, 0, Sizeof.cl_int, Pointer.to(new int[1]), 0, null, null);
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

    // ---------------------------------------------------------------- memory

    @Override
    public synchronized DeviceBuffer allocate(DType dtype, long length) {
        checkOpen("allocate");
        requireDtype(dtype, "allocate");
        long capacity = BufferPool.sizeClass(length * dtype.byteSize());
        return new OpenClBuffer(pool, pool.take(capacity), capacity, dtype, length);
    }

    @Override
    public synchronized DeviceBuffer upload(Object hostArray) {
        checkOpen("upload");
        DType dtype = dtypeOf(hostArray);
        requireDtype(dtype, "upload");
        long length = java.lang.reflect.Array.getLength(hostArray);
        OpenClBuffer buffer = (OpenClBuffer) allocate(dtype, length);
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
        checkStatus();
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
        }
        recentOps.clear();
        downloads++;
        downloadBytes += (long) count * size;
        return values instanceof byte[] bytes ? toBooleans(bytes) : values;
    }

    // ---------------------------------------------------------------- ops

    @Override
    public synchronized void fill(StridedView out, double value) {
        run("fill", planner.fill(out, value));
    }

    @Override
    public synchronized void unary(Primitive op, StridedView in, StridedView out) {
        run(op.opName(), planner.unary(op, in, out));
    }

    @Override
    public synchronized void binary(Primitive op, StridedView a, StridedView b, StridedView out) {
        run(op.opName(), planner.binary(op, a, b, out));
    }

    @Override
    public synchronized void where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) {
        run("where", planner.where(condition, whenTrue, whenFalse, out));
    }

    @Override
    public synchronized void copy(StridedView in, StridedView out) {
        run("copy", planner.copy(in, out));
    }

    @Override
    public synchronized void reduce(Primitive op, StridedView in, StridedView out) {
        checkOpen(op.opName());
        long scratchLength = planner.reduceScratchLength(in);
        DeviceBuffer scratch = scratchLength == 0 ? null : allocate(in.dtype(), scratchLength);
        try {
            run(op.opName(), planner.reduce(op, in, out, scratch));
        } finally {
            if (scratch != null) {
                scratch.release();   // safe at once: later users of the block queue behind this reduction
            }
        }
    }

    @Override
    public synchronized void matmul(StridedView a, StridedView b, StridedView out) {
        run("matmul", planner.matmul(a, b, out));
    }

    @Override
    public synchronized void random(RandomDistribution distribution, long seed, long counter, double first,
                                    double second, StridedView out) {
        run("random", planner.random(distribution, seed, counter, first, second, out));
    }

    @Override
    public synchronized void synchronize() {
        checkOpen("synchronize");
        try {
            clFinish(queue);
        } catch (CLException failure) {
            throw deviceFailure("synchronize", failure);
        }
        checkStatus();
        recentOps.clear();
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
            programs.close();
            pool.close();
            clReleaseMemObject(status);
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
        }
    }

    // ---------------------------------------------------------------- plumbing

    private void run(String op, List<Launch> plan) {
        checkOpen(op);
        for (Launch launch : plan) {
            enqueue(launch);
        }
    }

    private void enqueue(Launch launch) {
        cl_kernel kernel = programs.kernel(launch.source(), launch.kernel());
        List<KernelArg> args = launch.args();
        try {
            for (int i = 0; i < args.size(); i++) {
                setArg(kernel, i, args.get(i), launch);
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
        if (launch.checksStatus() && statusChecks.size() < RECENT_OPS) {   // the first few name the suspects
            statusChecks.add(launch);
        }
    }

    private void setArg(cl_kernel kernel, int index, KernelArg arg, Launch launch) {
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
            case KernelArg.StatusWord() -> clSetKernelArg(kernel, index, Sizeof.cl_mem, Pointer.to(status));
        }
    }

    /** Reads the status word if a kernel that may set it ran since the last check; throws what it reports. */
    private void checkStatus() {
        if (statusChecks.isEmpty()) {
            return;
        }
        int[] word = new int[1];
        Set<String> suspects = new LinkedHashSet<>();
        statusChecks.forEach(launch -> suspects.add(launch.description()));
        statusChecks.clear();
        clEnqueueReadBuffer(queue, status, CL_TRUE, 0, Sizeof.cl_int, Pointer.to(word), 0, null, null);
        if (word[0] != 0) {
            clEnqueueWriteBuffer(queue, status, CL_TRUE, 0, Sizeof.cl_int, Pointer.to(new int[1]), 0, null, null);
            recentOps.clear();
            if (word[0] == ElementwiseKernels.STATUS_DIVISION_BY_ZERO) {
                throw new ArithmeticException("div: integer division by zero on opencl (" + device.name() + ") in "
                        + String.join(" or ", suspects));
            }
            throw new IllegalStateException("opencl: a kernel reported status " + word[0] + " in " + suspects);
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
