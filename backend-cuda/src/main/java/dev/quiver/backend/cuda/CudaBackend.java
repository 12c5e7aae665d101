package dev.quiver.backend.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_64F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmStridedBatchedEx;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetWorkspace_v2;
import static org.bytedeco.cuda.global.cudart.CUDA_ERROR_OUT_OF_MEMORY;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_64F;
import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CU_STREAM_CAPTURE_MODE_RELAXED;
import static org.bytedeco.cuda.global.cudart.CU_STREAM_NON_BLOCKING;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuGraphDestroy;
import static org.bytedeco.cuda.global.cudart.cuGraphExecDestroy;
import static org.bytedeco.cuda.global.cudart.cuGraphInstantiate;
import static org.bytedeco.cuda.global.cudart.cuGraphLaunch;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuMemAlloc;
import static org.bytedeco.cuda.global.cudart.cuMemAllocAsync;
import static org.bytedeco.cuda.global.cudart.cuMemFree;
import static org.bytedeco.cuda.global.cudart.cuMemFreeAsync;
import static org.bytedeco.cuda.global.cudart.cuMemGetInfo;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoHAsync;
import static org.bytedeco.cuda.global.cudart.cuMemcpyHtoDAsync;
import static org.bytedeco.cuda.global.cudart.cuMemsetD32Async;
import static org.bytedeco.cuda.global.cudart.cuStreamCreate;
import static org.bytedeco.cuda.global.cudart.cuStreamBeginCapture;
import static org.bytedeco.cuda.global.cudart.cuStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cuStreamEndCapture;
import static org.bytedeco.cuda.global.cudart.cuStreamSynchronize;

import dev.quiver.DType;
import dev.quiver.kernels.Launch;
import dev.quiver.kernels.LaunchPlanner;
import dev.quiver.kernels.PlannedBackend;
import dev.quiver.spi.CachingAllocator;
import dev.quiver.spi.CapturedWork;
import dev.quiver.spi.DeferredCheck;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import java.nio.ByteBuffer;
import java.util.List;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Quiver on an NVIDIA GPU through the CUDA driver API. Buffers come from a stream-ordered caching allocator
 * ({@code cuMemAllocAsync} behind core's {@link CachingAllocator}); every op is a kernel launch planned by the
 * kernels module's {@link LaunchPlanner}, compiled by NVRTC ({@link ModuleCache}) and launched on one non-default
 * stream without waiting, except float matmuls, which go to cuBLAS on the same stream. The host waits only when it
 * reads a value ({@link #download}) or calls {@link #synchronize()}, and that is where a failure of an
 * already-launched kernel surfaces, named with the ops launched since the last wait.
 *
 * <p>Properties: {@value #FAST_PATHS_PROPERTY}{@code =false} runs the slow twin of every fast path (strided kernels,
 * one-pass reductions, the tiled matmul kernel instead of cuBLAS); {@value #TF32_PROPERTY}{@code =true} lets cuBLAS
 * use TF32 tensor cores for float32 matmul (10-bit mantissa products; default strict FP32).
 *
 * <pre>{@code
 * Quiver.use("cuda");                   // or -Dquiver.backend=cuda, or --backend cuda in the examples
 * Tensor x = Tensor.randomNormal(Shape.of(1024), 0, 1, 42, DType.FLOAT32);
 * float total = x.square().sum().floatValue();   // the only host-device copy: the 4-byte result
 * }</pre>
 */
public final class CudaBackend extends PlannedBackend<Long> {
    /** System property: {@code false} runs the slow twin of every fast path. Default {@code true}. */
    public static final String FAST_PATHS_PROPERTY = "quiver.cuda.fastpaths";
    /**
     * System property: the most device memory the backend holds at once, in bytes or with a suffix {@code k},
     * {@code m}, {@code g} ({@code 8g}). Default: no limit but the memory the driver reports free.
     */
    public static final String MEMORY_LIMIT_PROPERTY = "quiver.cuda.memoryLimit";
    /** System property: {@code true} allows TF32 in float32 matmul. Default {@code false} (strict FP32). */
    public static final String TF32_PROPERTY = "quiver.cuda.tf32";
    /** cuBLAS's workspace, allocated once so no later call (nor a stream capture) allocates: NVIDIA's Hopper size. */
    static final long CUBLAS_WORKSPACE_BYTES = 32L << 20;
    /** As many argument slots as the planner ever fills (a fused kernel of many strided operands comes near it). */
    private static final int ARGUMENT_SLOTS = LaunchPlanner.MAX_KERNEL_ARGUMENTS;

    private final CudaDevice device;
    private final CudaVersions versions;
    private final boolean fastPaths;
    private final boolean tf32;
    private final CUctx_st context = new CUctx_st();
    private final CUstream_st stream = new CUstream_st();
    private final cublasContext cublas = new cublasContext();
    private final CachingAllocator<Long> allocator;
    private final ModuleCache modules;
    private final long workspace;
    // launch arguments: one native block of 8-byte slots, and the pointer array cuLaunchKernel reads, filled once
    private final BytePointer argumentBlock = new BytePointer((long) ARGUMENT_SLOTS * KernelArguments.SLOT);
    private final ByteBuffer argumentSlots = argumentBlock.asByteBuffer();
    private final LongPointer argumentPointers = new LongPointer(ARGUMENT_SLOTS);
    private final FloatPointer oneF32 = new FloatPointer(1f);
    private final FloatPointer zeroF32 = new FloatPointer(0f);
    private final DoublePointer oneF64 = new DoublePointer(1d);
    private final DoublePointer zeroF64 = new DoublePointer(0d);
    private BytePointer staging = new BytePointer(4096);
    private long gemms;
    private volatile boolean streamAlive;

    /** A backend on {@code device} with the fast paths and TF32 as the system properties say. */
    CudaBackend(CudaDevice device, CudaVersions versions) {
        this(device, versions, !"false".equalsIgnoreCase(System.getProperty(FAST_PATHS_PROPERTY, "true").trim()),
                "true".equalsIgnoreCase(System.getProperty(TF32_PROPERTY, "false").trim()));
    }

    /** A backend on {@code device}, with or without its fast paths (tests compare the two) and TF32. */
    CudaBackend(CudaDevice device, CudaVersions versions, boolean fastPaths, boolean tf32) {
        super(new LaunchPlanner(device.limits(), fastPaths));
        this.device = device;
        this.versions = versions;
        this.fastPaths = fastPaths;
        this.tf32 = tf32;
        int[] handle = new int[1];
        CudaCheck.check(cuDeviceGet(handle, device.index()), "cuDeviceGet(" + device.index() + ")");
        // the primary context is the one the runtime (and so cuBLAS) uses too; it is kept for the JVM's life, so a
        // buffer collected after close() can still be freed
        CudaCheck.check(cuDevicePrimaryCtxRetain(context, handle[0]), "cuDevicePrimaryCtxRetain on " + device);
        CudaCheck.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        CudaCheck.check(cuStreamCreate(stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        streamAlive = true;
        for (int i = 0; i < ARGUMENT_SLOTS; i++) {
            argumentPointers.put(i, argumentBlock.address() + (long) i * KernelArguments.SLOT);
        }
        this.allocator = new CachingAllocator<>("cuda", device.name(), new StreamOrderedMemory(),
                CachingAllocator.Bounds.limit(CachingAllocator.sizeProperty(MEMORY_LIMIT_PROPERTY, Long.MAX_VALUE,
                        "cuda"), MEMORY_LIMIT_PROPERTY));
        this.modules = new ModuleCache(CompileTarget.choose(device.arch(), versions.nvrtcArchs(),
                versions.nvrtc(), versions.driver()), versions.nvrtc(), ModuleCache.cacheDirFromProperty());
        long[] block = new long[1];
        CudaCheck.check(cuMemAlloc(block, CUBLAS_WORKSPACE_BYTES), "cuMemAlloc of the cuBLAS workspace");
        this.workspace = block[0];
        CudaCheck.checkCublas(cublasCreate_v2(cublas), "cublasCreate");
        CudaCheck.checkCublas(cublasSetStream_v2(cublas, stream), "cublasSetStream");
        CudaCheck.checkCublas(cublasSetWorkspace_v2(cublas, new DevicePointer(workspace), CUBLAS_WORKSPACE_BYTES),
                "cublasSetWorkspace");
        // default math with COMPUTE_32F is strict FP32; TF32 is chosen per call by the compute type
        CudaCheck.checkCublas(cublasSetMathMode(cublas, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    }

    /** A device address as the JavaCPP pointer type cuBLAS's signatures take (never dereferenced on the host). */
    static final class DevicePointer extends Pointer {
        DevicePointer(long address) {
            this.address = address;
        }
    }

    /** The allocator's driver calls: stream-ordered allocation and free on this backend's stream. */
    private final class StreamOrderedMemory implements CachingAllocator.Device<Long> {
        @Override
        public Long allocate(long bytes) {
            refuseWhileCapturing("allocating " + bytes + " bytes");
            long[] pointer = new long[1];
            int result = cuMemAllocAsync(pointer, bytes, stream);
            if (result == CUDA_ERROR_OUT_OF_MEMORY) {
                return null;
            }
            CudaCheck.check(result, "cuMemAllocAsync of " + bytes + " bytes");
            return pointer[0];
        }

        @Override
        public void free(Long pointer, long bytes) {
            refuseWhileCapturing("freeing " + bytes + " bytes");
            cuCtxSetCurrent(context);   // the Cleaner's thread may free a buffer of a closed backend
            if (streamAlive) {
                CudaCheck.check(cuMemFreeAsync(pointer, stream), "cuMemFreeAsync of " + bytes + " bytes");
            } else {
                CudaCheck.check(cuMemFree(pointer), "cuMemFree of " + bytes + " bytes");
            }
        }

        @Override
        public long freeBytes() {
            try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
                return cuMemGetInfo(free, total) == CUDA_SUCCESS ? free.get() : -1;
            }
        }
    }

    /**
     * A stream-ordered allocation or free made while the stream captures would become a node of the graph (memory
     * the graph allocates at every launch and must free itself): refused, so the capture fails and the step is
     * replayed call by call. A capture made after one step ran call by call finds its memory in the pool.
     */
    private void refuseWhileCapturing(String what) {
        if (capturing) {
            throw new IllegalStateException("cuda: " + what + " of device memory while capturing a graph");
        }
    }

    // ---------------------------------------------------------------- graphs

    // true between beginCapture and the end of the capture: the stream records launches instead of running them
    private volatile boolean capturing;

    /** Null: CUDA graphs capture a step's launches on this backend's stream ({@link #capture}). */
    @Override
    public String captureUnavailable() {
        return null;
    }

    @Override
    protected void beginCapture() {
        // relaxed: the pool's bookkeeping on this thread is not an error; allocations are refused above instead
        CudaCheck.check(cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_RELAXED), "cuStreamBeginCapture");
        capturing = true;
    }

    @Override
    protected CapturedWork endCapture(List<DeviceBuffer> scratch) {
        capturing = false;
        CUgraph_st graph = new CUgraph_st();
        CudaCheck.check(cuStreamEndCapture(stream, graph), "cuStreamEndCapture");
        CUgraphExec_st executable = new CUgraphExec_st();
        int result = cuGraphInstantiate(executable, graph, 0);
        if (result != CUDA_SUCCESS) {
            cuGraphDestroy(graph);
            throw deviceFailure("cuGraphInstantiate of a captured step", result);
        }
        return new CudaGraph(graph, executable, scratch);
    }

    @Override
    protected void abortCapture() {
        if (capturing) {
            capturing = false;
            CUgraph_st graph = new CUgraph_st();
            if (cuStreamEndCapture(stream, graph) == CUDA_SUCCESS && !graph.isNull()) {
                cuGraphDestroy(graph);
            }
        }
    }

    /**
     * A captured step: one {@code cuGraphLaunch} on the stream replays its kernels (and cuBLAS calls) with the
     * arguments they were captured with; the scratch its reductions use stays with it until it is closed.
     */
    private final class CudaGraph implements CapturedWork {
        private final CUgraph_st graph;
        private final CUgraphExec_st executable;
        private final List<DeviceBuffer> scratch;
        private boolean closed;

        CudaGraph(CUgraph_st graph, CUgraphExec_st executable, List<DeviceBuffer> scratch) {
            this.graph = graph;
            this.executable = executable;
            this.scratch = scratch;
        }

        @Override
        public void launch() {
            synchronized (CudaBackend.this) {
                enter("graph launch");
                if (closed) {
                    throw new IllegalStateException("cuda: launch of a closed graph");
                }
                int result = cuGraphLaunch(executable, stream);
                if (result != CUDA_SUCCESS) {
                    throw deviceFailure("cuGraphLaunch of a captured step", result);
                }
                graphLaunches++;
            }
        }

        @Override
        public void close() {
            synchronized (CudaBackend.this) {
                if (!closed) {
                    closed = true;
                    cuCtxSetCurrent(context);
                    cuGraphExecDestroy(executable);
                    cuGraphDestroy(graph);
                    scratch.forEach(DeviceBuffer::release);   // later users of the memory queue behind the graph
                }
            }
        }
    }

    private long graphLaunches;

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String deviceDescription() {
        return device + ", " + versions + (fastPaths ? "" : ", fast paths off") + (tf32 ? ", TF32 matmul" : "");
    }

    /** The device this backend runs on. */
    public CudaDevice device() {
        return device;
    }

    /** Memory, modules, launch and cuBLAS counts, for diagnostics. */
    public synchronized String statistics() {
        return launches() + " kernel launches, " + gemms + " cuBLAS gemms, " + graphLaunches + " graph launches; "
                + modules.describe() + "; memory: "
                + allocator.describe();
    }

    // ---------------------------------------------------------------- memory

    @Override
    protected void write(Long memory, Object hostArray, long bytes, String what) {
        BytePointer host = staging(bytes);
        switch (hostArray) {
            case float[] values -> new FloatPointer(host).put(values);
            case double[] values -> new DoublePointer(host).put(values);
            case int[] values -> new IntPointer(host).put(values);
            case long[] values -> new LongPointer(host).put(values);
            case byte[] values -> host.put(values);
            default -> throw new IllegalStateException("cuda: no host array type " + hostArray.getClass());
        }
        int result = cuMemcpyHtoDAsync(memory, host, bytes, stream);
        if (result == CUDA_SUCCESS) {
            result = cuStreamSynchronize(stream);   // the staging block is reused by the next copy
        }
        if (result != CUDA_SUCCESS) {
            throw deviceFailure(what, result);
        }
    }

    @Override
    protected void read(Long memory, long offsetBytes, Object hostArray, long bytes, String what) {
        BytePointer host = staging(bytes);
        int result = cuMemcpyDtoHAsync(host, memory + offsetBytes, bytes, stream);
        if (result == CUDA_SUCCESS) {
            result = cuStreamSynchronize(stream);
        }
        if (result != CUDA_SUCCESS) {
            throw deviceFailure(what, result);
        }
        switch (hostArray) {
            case float[] values -> new FloatPointer(host).get(values);
            case double[] values -> new DoublePointer(host).get(values);
            case int[] values -> new IntPointer(host).get(values);
            case long[] values -> new LongPointer(host).get(values);
            case byte[] values -> host.get(values);
            default -> throw new IllegalStateException("cuda: no host array type " + hostArray.getClass());
        }
    }

    /** The host staging block, grown to at least {@code bytes}. */
    private BytePointer staging(long bytes) {
        if (staging.capacity() < bytes) {
            staging.close();
            staging = new BytePointer(Math.max(bytes, 2 * staging.capacity()));
        }
        return staging.position(0);
    }

    // ---------------------------------------------------------------- ops

    @Override
    public synchronized void matmul(StridedView a, StridedView b, StridedView out) {
        GemmPlan plan = fastPaths ? GemmPlan.of(a, b, out) : null;
        if (plan == null) {
            run("matmul", planner.matmul(a, b, out), out, a, b);
            return;
        }
        enter("matmul");
        boolean f32 = out.dtype() == DType.FLOAT32;
        int type = f32 ? CUDA_R_32F : CUDA_R_64F;
        int compute = f32 ? (tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F) : CUBLAS_COMPUTE_64F;
        long size = out.dtype().byteSize();
        long first = own(b.buffer(), "matmul").memory("matmul") + b.offset() * size;
        long second = own(a.buffer(), "matmul").memory("matmul") + a.offset() * size;
        long result = own(out.buffer(), "matmul").memory("matmul") + out.offset() * size;
        int status = cublasGemmStridedBatchedEx(cublas, plan.transposeFirst() ? CUBLAS_OP_T : CUBLAS_OP_N,
                plan.transposeSecond() ? CUBLAS_OP_T : CUBLAS_OP_N, plan.m(), plan.n(), plan.k(),
                f32 ? oneF32 : oneF64, new DevicePointer(first), type, plan.ldFirst(), plan.strideFirst(),
                new DevicePointer(second), type, plan.ldSecond(), plan.strideSecond(),
                f32 ? zeroF32 : zeroF64, new DevicePointer(result), type, plan.m(), (long) plan.m() * plan.n(),
                plan.batch(), compute, CUBLAS_GEMM_DEFAULT);
        CudaCheck.checkCublas(status, "cublasGemmStridedBatchedEx for matmul " + out.dtype() + " " + plan);
        gemms++;
        inheritChecks("matmul", null, out, a, b);
    }

    @Override
    public synchronized void close() {
        if (!markClosed()) {
            return;
        }
        cuCtxSetCurrent(context);
        try {
            cuStreamSynchronize(stream);
        } finally {
            cublasDestroy_v2(cublas);
            modules.close();
            dropUnreadChecks();
            dropPrepared();
            allocator.close();
            cuMemFree(workspace);
            cuStreamSynchronize(stream);
            streamAlive = false;
            cuStreamDestroy(stream);
            staging.close();
            argumentBlock.close();
            argumentPointers.close();
        }
    }

    // ---------------------------------------------------------------- plumbing

    /** Makes this backend's context current on the calling thread; refuses a closed backend. */
    @Override
    protected void enter(String op) {
        requireOpen(op);
        CudaCheck.check(cuCtxSetCurrent(context), "cuCtxSetCurrent for " + op);
    }

    @Override
    protected CachingAllocator<Long> allocator() {
        return allocator;
    }

    @Override
    protected String deviceName() {
        return device.name();
    }

    @Override
    protected void launch(Launch launch, DeferredCheck<Long> check) {
        CUfunc_st function = modules.function(launch.source(), launch.kernel());
        KernelArguments.pack(launch.args(), argumentSlots, buffer -> own(buffer, launch.description())
                .memory(launch.description()), check == null ? 0L : check.status());
        int[] shape = KernelArguments.shape(launch, device.maxThreadsPerBlock());
        int result = cuLaunchKernel(function, shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], 0, stream,
                argumentPointers, (Pointer) null);
        if (result != CUDA_SUCCESS) {
            throw deviceFailure(launch.description() + " (launching " + launch.kernel() + ")", result);
        }
    }

    @Override
    protected void zeroStatusWord(Long word, String op) {
        CudaCheck.check(cuMemsetD32Async(word, 0, 1, stream), "clearing the status word of " + op);
    }

    @Override
    protected int readStatusWord(Long word, String op) {
        try (IntPointer value = new IntPointer(1)) {
            CudaCheck.check(cuMemcpyDtoHAsync(value, word, 4, stream), "reading the status word of " + op);
            CudaCheck.check(cuStreamSynchronize(stream), "reading the status word of " + op);
            return value.get();
        }
    }

    @Override
    protected void waitForDevice(String op) {
        int result = cuStreamSynchronize(stream);
        if (result != CUDA_SUCCESS) {
            throw deviceFailure(op, result);
        }
    }

    private RuntimeException deviceFailure(String what, int result) {
        return new IllegalStateException("cuda: " + what + " failed on " + device.name() + ": "
                + CudaCheck.name(result) + recentOpsText());
    }
}
