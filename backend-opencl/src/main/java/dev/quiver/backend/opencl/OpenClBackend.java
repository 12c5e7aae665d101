package dev.quiver.backend.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_INVALID_BUFFER_SIZE;
import static org.jocl.CL.CL_MEM_OBJECT_ALLOCATION_FAILURE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_OUT_OF_HOST_MEMORY;
import static org.jocl.CL.CL_OUT_OF_RESOURCES;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clCreateBuffer;
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
import dev.quiver.kernels.DeviceLimits;
import dev.quiver.kernels.KernelArg;
import dev.quiver.kernels.Launch;
import dev.quiver.kernels.LaunchPlanner;
import dev.quiver.kernels.PlannedBackend;
import dev.quiver.spi.CachingAllocator;
import dev.quiver.spi.DeferredCheck;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.SignalHandlers;
import java.util.List;
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
 * Quiver on an OpenCL device. Buffers live in device memory (through core's caching {@link CachingAllocator}); every op
 * is a kernel launch planned by the kernels module's {@link LaunchPlanner} and enqueued on one in-order queue without
 * waiting (the op plumbing is the kernels module's {@link PlannedBackend}, shared with the CUDA backend). The host waits only when it reads a value ({@link #download}) or calls {@link #synchronize()}, and that
 * is where a failure of an already-queued kernel surfaces, named with the ops queued since the last wait.
 *
 * <p>Errors a kernel cannot throw (integer division by zero) belong to the op that made them: such an op gets its
 * own status word, its result (and everything computed from it later) carries a {@link DeferredCheck}, and reading
 * any of those tensors throws, every time, naming the op. Unrelated tensors read normally, and float training loops
 * never read a status word.
 *
 * <p>Device memory is bounded ({@link CachingAllocator.Bounds}): by the device's global memory, or by
 * {@value #MEMORY_LIMIT_PROPERTY}; an allocation that would cross it first reclaims the buffers of unreachable
 * tensors, then fails naming the op, the bytes asked, the bytes in use and the limit.
 *
 * <pre>{@code
 * Quiver.use("opencl");                 // or -Dquiver.backend=opencl, or --backend opencl in the examples
 * Tensor x = Tensor.randomNormal(Shape.of(1024), 0, 1, 42, DType.FLOAT32);
 * float total = x.square().sum().floatValue();   // the only host-device copy: the 4-byte result
 * }</pre>
 */
public final class OpenClBackend extends PlannedBackend<cl_mem> {
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

    private final OpenClDevice device;
    private final boolean fastPaths;
    private final cl_context context;
    private final cl_command_queue queue;
    private final CachingAllocator<cl_mem> allocator;
    private final ProgramCache programs;

    /** A backend on {@code device}: one context, one in-order queue; fast paths per {@value #FAST_PATHS_PROPERTY}. */
    public OpenClBackend(OpenClDevice device) {
        this(device, !"false".equalsIgnoreCase(System.getProperty(FAST_PATHS_PROPERTY, "true").trim()));
    }

    /** A backend on {@code device}, with or without its fast paths (tests compare the two). */
    public OpenClBackend(OpenClDevice device, boolean fastPaths) {
        this(device, device.limits(), fastPaths);
    }

    /**
     * A backend on {@code device} whose launches are planned for {@code limits}: tests run a GPU's launch pattern
     * (a group's items interleaved, long reductions split in two stages) on PoCL by saying it is not a CPU.
     */
    OpenClBackend(OpenClDevice device, DeviceLimits limits, boolean fastPaths) {
        super(new LaunchPlanner(limits, fastPaths));
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
        this.allocator = new CachingAllocator<>("opencl", device.name(), new Buffers(context),
                new CachingAllocator.Bounds(memoryLimit, "set " + MEMORY_LIMIT_PROPERTY + " to change it",
                        device.maxBufferBytes(), "CL_DEVICE_MAX_MEM_ALLOC_SIZE"));
        this.programs = new ProgramCache(context, device);
    }

    /** The allocator's driver calls: {@code clCreateBuffer}, {@code clReleaseMemObject}; free memory unknown. */
    private record Buffers(cl_context context) implements CachingAllocator.Device<cl_mem> {
        @Override
        public cl_mem allocate(long bytes) {
            try {
                return clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
            } catch (CLException refused) {
                int status = refused.getStatus();
                if (status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
                        || status == CL_OUT_OF_HOST_MEMORY || status == CL_INVALID_BUFFER_SIZE) {
                    return null;
                }
                throw refused;
            }
        }

        @Override
        public void free(cl_mem memory, long bytes) {
            clReleaseMemObject(memory);
        }

        @Override
        public long freeBytes() {
            return -1;   // OpenCL cannot say; the limit bounds what the backend holds
        }
    }

    /** {@value #MEMORY_LIMIT_PROPERTY}, else the device's global memory. */
    static long memoryLimit(OpenClDevice device) {
        return CachingAllocator.sizeProperty(MEMORY_LIMIT_PROPERTY, device.globalMemoryBytes(), "opencl");
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
        return launches() + " kernel launches; " + programs.describe() + "; memory: " + allocator.describe();
    }

    /** The most device memory the backend held at once (live and cached buffers), in bytes. */
    long peakMemoryBytes() {
        return allocator.peakBytes();
    }

    // ---------------------------------------------------------------- memory

    @Override
    protected void write(cl_mem memory, Object hostArray, long bytes, String what) {
        try {
            clEnqueueWriteBuffer(queue, memory, CL_TRUE, 0, bytes, pointerTo(hostArray), 0, null, null);
        } catch (CLException failure) {
            throw deviceFailure(what, failure);
        }
    }

    @Override
    protected void read(cl_mem memory, long offsetBytes, Object hostArray, long bytes, String what) {
        try {
            clEnqueueReadBuffer(queue, memory, CL_TRUE, offsetBytes, bytes, pointerTo(hostArray), 0, null, null);
        } catch (CLException failure) {
            throw deviceFailure(what, failure);
        }
    }

    private static Pointer pointerTo(Object hostArray) {
        return switch (hostArray) {
            case float[] values -> Pointer.to(values);
            case double[] values -> Pointer.to(values);
            case int[] values -> Pointer.to(values);
            case long[] values -> Pointer.to(values);
            case byte[] values -> Pointer.to(values);
            default -> throw new IllegalStateException("opencl: no host array type " + hostArray.getClass());
        };
    }

    // ---------------------------------------------------------------- ops

    @Override
    public synchronized void close() {
        if (!markClosed()) {
            return;
        }
        try {
            clFinish(queue);
        } finally {
            dropUnreadChecks();
            dropPrepared();
            argumentsOf.clear();
            programs.close();
            allocator.close();
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
        }
    }

    // ---------------------------------------------------------------- plumbing

    @Override
    protected CachingAllocator<cl_mem> allocator() {
        return allocator;
    }

    @Override
    protected String deviceName() {
        return device.name();
    }

    @Override
    protected void enter(String op) {
        requireOpen(op);
    }

    // the launch whose arguments each kernel object holds: a kernel keeps its arguments from enqueue to enqueue
    private final java.util.IdentityHashMap<cl_kernel, Launch> argumentsOf = new java.util.IdentityHashMap<>();

    /**
     * Sets the kernel's arguments and enqueues it. A compiled step's replay launches the same prepared {@link Launch}
     * every step; when the kernel object still holds that launch's arguments they are not set again (its buffers are
     * still checked, so a released one fails loudly), and the replay only enqueues.
     */
    @Override
    protected void launch(Launch launch, DeferredCheck<cl_mem> check) {
        cl_kernel kernel = programs.kernel(launch.source(), launch.kernel());
        List<KernelArg> args = launch.args();
        try {
            if (argumentsOf.get(kernel) == launch && !launch.checksStatus()) {
                for (KernelArg arg : args) {
                    if (arg instanceof KernelArg.Buffer(DeviceBuffer buffer)) {
                        own(buffer, launch.description()).memory(launch.description());
                    }
                }
            } else {
                argumentsOf.remove(kernel);   // until every argument is set
                for (int i = 0; i < args.size(); i++) {
                    setArg(kernel, i, args.get(i), launch, check);
                }
                argumentsOf.put(kernel, launch);
            }
            clEnqueueNDRangeKernel(queue, kernel, launch.groups().length, null, launch.globalSize(),
                    launch.groupSize(), 0, null, null);
        } catch (CLException failure) {
            throw new IllegalStateException("opencl: " + launch.description() + " could not be launched on "
                    + device.name() + ": " + failure.getMessage(), failure);
        }
    }

    private void setArg(cl_kernel kernel, int index, KernelArg arg, Launch launch, DeferredCheck<cl_mem> check) {
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
                clSetKernelArg(kernel, index, Sizeof.cl_mem, Pointer.to(check.status()));
            }
        }
    }

    @Override
    protected void zeroStatusWord(cl_mem word, String op) {
        try {
            clEnqueueFillBuffer(queue, word, Pointer.to(new int[1]), Sizeof.cl_int, 0, Sizeof.cl_int, 0, null, null);
        } catch (CLException failure) {
            throw deviceFailure(op + " (zeroing its status word)", failure);
        }
    }

    @Override
    protected int readStatusWord(cl_mem word, String op) {
        int[] value = new int[1];
        try {
            clEnqueueReadBuffer(queue, word, CL_TRUE, 0, Sizeof.cl_int, Pointer.to(value), 0, null, null);
        } catch (CLException failure) {
            throw deviceFailure("reading the status word of " + op, failure);
        }
        return value[0];
    }

    @Override
    protected void waitForDevice(String op) {
        try {
            clFinish(queue);
        } catch (CLException failure) {
            throw deviceFailure(op, failure);
        }
    }

    private RuntimeException deviceFailure(String what, CLException failure) {
        return new IllegalStateException("opencl: " + what + " failed on " + device.name() + ": "
                + failure.getMessage() + recentOpsText(), failure);
    }

    @Override
    protected void requireDtype(DType dtype, String op) {
        if (dtype == DType.FLOAT64 && !device.float64()) {
            throw new UnsupportedOperationException("opencl: " + op + " of float64 needs the cl_khr_fp64 extension, "
                    + "which " + device.name() + " does not report; use float32 or another backend");
        }
    }
}
