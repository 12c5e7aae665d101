package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import dev.quiver.spi.TransferStats;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.VectorShape;

/**
 * The CPU backend: Java arrays as buffers and Vector API kernels, each with a scalar twin. Work is synchronous
 * (a call returns when its result is written), so {@link #synchronize()} has nothing to wait for.
 *
 * <p>Settings, read once when the backend is created (or given to {@link #CpuBackend(int, int)}):
 * <ul>
 *   <li>{@code quiver.cpu.simd}: SIMD width in bits: {@code 0} (off: every op runs its scalar twin), {@code 128},
 *       {@code 256} or {@code 512}. Default: the JVM's preferred vector shape. A width above what the hardware
 *       has is capped to it (see {@link #deviceDescription()}).</li>
 *   <li>{@code quiver.cpu.threads}: worker threads for large matmuls and random fills. Default:
 *       {@link Runtime#availableProcessors()}.</li>
 * </ul>
 *
 * <p>The Vector API is an incubator module: a JVM started without {@code --add-modules jdk.incubator.vector} runs
 * every kernel's scalar twin. The first backend made in such a JVM says so once, as a {@code WARNING} on the
 * {@link System.Logger} named after this class, with the flag to add; {@code -Dquiver.cpu.simd=0} is announced
 * once as well ({@code INFO}), so a slow path is never silent.
 *
 * <p>Which kernels are SIMD: float32/float64 unary, binary (arithmetic and comparisons), where, fill, reduce and
 * matmul, on rows whose strides are 1 (or 0 for a broadcast input); same-dtype copies use
 * {@link System#arraycopy}. Int32, int64 and bool run the scalar kernels; so do rows with other strides.
 *
 * <pre>{@code
 * // -Dquiver.cpu.simd=256 -Dquiver.cpu.threads=1, or explicitly:
 * try (CpuBackend cpu = new CpuBackend(256, 1)) {
 *     DeviceBuffer x = cpu.upload(new float[] {1, 2, 3});
 *     DeviceBuffer y = cpu.allocate(DType.FLOAT32, 3);
 *     cpu.unary(Primitive.EXP, StridedView.contiguous(x, 3), StridedView.contiguous(y, 3));
 *     float[] values = (float[]) cpu.download(y, 0, 3);
 * }
 * }</pre>
 */
public final class CpuBackend implements Backend {
    /** System property: SIMD width in bits (0, 128, 256, 512). */
    public static final String SIMD_PROPERTY = "quiver.cpu.simd";
    /** System property: number of worker threads (at least 1). */
    public static final String THREADS_PROPERTY = "quiver.cpu.threads";

    /**
     * Random fills (and fused calls that draw) of at least this many elements are split across the worker threads:
     * Philox and Box–Muller are bound by arithmetic (about 1.2 ns per float32 normal on one thread), so the hand-off
     * pays for itself from here.
     */
    static final int RANDOM_PARALLEL_MIN_ELEMENTS = 1 << 16;
    /**
     * Dense elementwise ops and full reductions of at least this many elements are split across the worker threads:
     * they are bound by memory bandwidth, which two cores' loads and stores raise (PLATFORM.md: triad 24 GB/s on one
     * thread, 34 on two). Below it (4 MiB of float32) the hand-off to the pool costs more than it saves.
     */
    static final int PARALLEL_MIN_ELEMENTS = 1 << 20;
    /**
     * System property {@value}: splits dense elementwise ops of {@link #PARALLEL_MIN_ELEMENTS}+ elements across the
     * worker threads. On by default ({@code false} turns it off). It was off for a while after JMH forks of a
     * 16M-element add on two threads died with SIGSEGV (exit 139, no hs_err): the cause was PoCL, loaded by the
     * OpenCL provider's probe, replacing the JVM's SIGSEGV handler with LLVM's one-shot one, so two threads taking a
     * safepoint-poll fault together killed the JVM. The OpenCL backend no longer loads PoCL unless chosen and puts
     * the JVM's handlers back when it does ({@link dev.quiver.spi.SignalHandlers}).
     */
    public static final String PARALLEL_ELEMENTWISE_PROPERTY = "quiver.cpu.parallelElementwise";
    static final boolean PARALLEL_ELEMENTWISE =
            !"false".equalsIgnoreCase(System.getProperty(PARALLEL_ELEMENTWISE_PROPERTY, "true").trim());
    /** Threads take whole blocks of this many elements, so chunk edges stay aligned to cache lines and vectors. */
    private static final int PARALLEL_BLOCK = 4096;
    /**
     * What the scalar twins cost against SIMD. Measured on a shared 2-core AMD EPYC (Zen 5, AVX-512), JDK 25, with
     * and without the module (best of 5): a 512x512 float32 matmul 24-36 ms vs 186-213 ms (6-8x), a 1M-element
     * exp/mul/add/sum chain 1.6-2.5 ms vs 46-76 ms (18-47x); the issue that asked for this warning saw 11-57x on
     * another machine (a 512x512 matmul 8.3 ms vs 474 ms).
     */
    static final String SCALAR_SLOWDOWN = "roughly 5-60x slower for matmul and large elementwise ops";
    /** The JVM option that resolves the Vector API module. */
    static final String VECTOR_API_FLAG = "--add-modules jdk.incubator.vector";
    // one announcement per JVM: backends are made per selection and per test, the reason stays the same
    private static final AtomicBoolean SCALAR_ANNOUNCED = new AtomicBoolean();

    private final int simdBits;
    private final int threadCount;
    private final CpuThreads threads;
    // SIMD kernels, defined on first use (null until then, and always when SIMD is off): defining them initializes
    // the Vector API (over a hundred classes), which a program whose first ops are tiny should not wait for
    private volatile Simd.ElementwiseKernels elementwise;
    private volatile Simd.ReductionKernels reductions;
    private volatile Matmul matmul;
    // rows shorter than one float32 vector run the scalar twin: a vector kernel would only run its tail
    private final int simdMinimumRow;
    private final CpuBufferPool pool = CpuBufferPool.withDefaultCapacity();
    private final FusedLoop fusedLoop = new FusedLoop(this, FusedLoop.CHUNK);
    private final AtomicLong uploads = new AtomicLong();
    private final AtomicLong uploadBytes = new AtomicLong();
    private final AtomicLong downloads = new AtomicLong();
    private final AtomicLong downloadBytes = new AtomicLong();

    /** A backend configured from the system properties {@value #SIMD_PROPERTY} and {@value #THREADS_PROPERTY}. */
    public CpuBackend() {
        this(simdBitsFromProperty(), threadsFromProperty());
        if (simdBits == 0) {
            // the two-argument constructor sees 0 requested both when the property says 0 and when the JVM has no
            // Vector API (the default width is then 0): only here can the two be told apart
            announceScalarKernels(simdSwitchedOff() && hardwareSimdBits() != 0);
        }
    }

    /**
     * A backend with explicit settings (tests compare widths this way).
     *
     * @param simdBits 0 (scalar twins only), 128, 256 or 512; capped at {@link #hardwareSimdBits()}
     * @param threads  worker threads, at least 1
     */
    public CpuBackend(int simdBits, int threads) {
        if (simdBits != 0 && simdBits != 128 && simdBits != 256 && simdBits != 512) {
            throw new IllegalArgumentException("cpu: SIMD width " + simdBits + " bits is not one of 0 (off), 128, 256, 512");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("cpu: thread count " + threads + " must be at least 1");
        }
        this.simdBits = Math.min(simdBits, hardwareSimdBits());
        this.threadCount = threads;
        this.threads = new CpuThreads(threads);
        this.simdMinimumRow = this.simdBits == 0 ? Integer.MAX_VALUE : this.simdBits / 32;
        if (simdBits != 0 && this.simdBits == 0) {
            announceScalarKernels(false);   // a width was asked for and the JVM cannot give it
        }
    }

    /** Whether {@value #SIMD_PROPERTY} is set to 0 (SIMD off on purpose), as opposed to unset or a width. */
    static boolean simdSwitchedOff() {
        String value = System.getProperty(SIMD_PROPERTY);
        return value != null && value.trim().equals("0");
    }

    /**
     * Why every kernel runs its scalar twin, and the remedy, in a few words: the SIMD part of
     * {@link #deviceDescription()}, hence of {@code Quiver.diagnose()} and the examples' "Backend:" line.
     */
    static String scalarState(boolean switchedOff) {
        if (switchedOff) {
            return "SIMD off on purpose (" + SIMD_PROPERTY + "=0): scalar kernels, " + SCALAR_SLOWDOWN;
        }
        if (!vectorApiLoaded()) {
            return "SIMD off: jdk.incubator.vector not loaded, scalar kernels " + SCALAR_SLOWDOWN + " (add "
                    + VECTOR_API_FLAG + ")";
        }
        return "SIMD off: no vector shape of 128+ bits on this CPU (preferred: "
                + VectorShape.preferredShape().vectorBitSize() + " bits), scalar kernels";
    }

    /** Logs the scalar state once per JVM: a WARNING when SIMD was lost, INFO when it was switched off. */
    private static void announceScalarKernels(boolean switchedOff) {
        if (!SCALAR_ANNOUNCED.compareAndSet(false, true)) {
            return;
        }
        String message;
        if (switchedOff) {
            message = "Quiver CPU backend: SIMD switched off with -D" + SIMD_PROPERTY + "=0, so every kernel runs its "
                    + "scalar twin, " + SCALAR_SLOWDOWN + ". Leave " + SIMD_PROPERTY
                    + " unset to use the machine's vector width.";
        } else if (!vectorApiLoaded()) {
            message = "Quiver CPU backend: the Vector API module jdk.incubator.vector is not loaded, so every kernel "
                    + "runs its scalar twin, " + SCALAR_SLOWDOWN + ". Add the JVM option " + VECTOR_API_FLAG
                    + " (java command line, surefire/failsafe argLine, MAVEN_OPTS for exec:java, Gradle "
                    + "applicationDefaultJvmArgs / jvmArgs).";
        } else {
            message = "Quiver CPU backend: " + scalarState(false) + ".";
        }
        System.getLogger(CpuBackend.class.getName()).log(
                switchedOff ? System.Logger.Level.INFO : System.Logger.Level.WARNING, message);
    }

    private static boolean vectorApiLoaded() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The SIMD elementwise kernels for a row of {@code n} elements, or null where the scalar twin runs. */
    Simd.ElementwiseKernels elementwiseKernels(int n) {
        return elementwise(n);
    }

    /** The SIMD reductions for {@code elements} input elements, or null where the scalar twin runs. */
    Simd.ReductionKernels reductionKernels(long elements) {
        return reductions(elements);
    }

    /** The worker threads (the fused loops split large chains across them). */
    CpuThreads workerThreads() {
        return threads;
    }

    private Simd.ElementwiseKernels elementwise(int n) {
        if (n < simdMinimumRow) {
            return null;
        }
        Simd.ElementwiseKernels kernels = elementwise;
        if (kernels == null) {
            synchronized (this) {
                kernels = elementwise;
                if (kernels == null) {
                    elementwise = kernels = Simd.load(Simd.ElementwiseKernels.class, "Elementwise", simdBits);
                }
            }
        }
        return kernels;
    }

    /** The SIMD reductions for {@code elements} input elements, or null where the scalar twin runs. */
    private Simd.ReductionKernels reductions(long elements) {
        if (elements < simdMinimumRow) {
            return null;
        }
        Simd.ReductionKernels kernels = reductions;
        if (kernels == null) {
            synchronized (this) {
                kernels = reductions;
                if (kernels == null) {
                    reductions = kernels = Simd.load(Simd.ReductionKernels.class, "Reductions", simdBits);
                }
            }
        }
        return kernels;
    }

    /** The SIMD matmul, or null when SIMD is off. */
    private Matmul matmulKernels() {
        if (simdBits == 0) {
            return null;
        }
        Matmul kernels = matmul;
        if (kernels == null) {
            synchronized (this) {
                kernels = matmul;
                if (kernels == null) {
                    matmul = kernels = new Matmul(simdBits, threads);
                }
            }
        }
        return kernels;
    }

    /**
     * The widest vector the JVM uses on this CPU (its preferred shape; 512 with AVX-512, 256 with AVX2), or 0
     * when the JVM was started without {@code --add-modules jdk.incubator.vector}.
     */
    public static int hardwareSimdBits() {
        if (!vectorApiLoaded()) {
            return 0;
        }
        int bits = VectorShape.preferredShape().vectorBitSize();
        return bits >= 512 ? 512 : bits >= 256 ? 256 : bits >= 128 ? 128 : 0;
    }

    static int simdBitsFromProperty() {
        String value = System.getProperty(SIMD_PROPERTY);
        if (value == null || value.isBlank()) {
            return hardwareSimdBits();
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cpu: -D" + SIMD_PROPERTY + "=" + value + " is not one of 0, 128, 256, 512");
        }
    }

    static int threadsFromProperty() {
        String value = System.getProperty(THREADS_PROPERTY);
        if (value == null || value.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cpu: -D" + THREADS_PROPERTY + "=" + value + " is not a thread count");
        }
    }

    static String describe(int simdBits, int threads) {
        int effective = Math.min(simdBits, hardwareSimdBits());
        String simd;
        if (effective == 0) {
            // a width of 0 on a JVM that has SIMD was asked for; otherwise the JVM is the reason
            simd = scalarState(simdBits == 0 && hardwareSimdBits() != 0);
        } else {
            simd = "SIMD " + effective + "-bit (" + effective / 32 + " float32 lanes)"
                    + (effective < simdBits ? ", capped from " + simdBits : "");
        }
        return CpuBackendProvider.cpuName() + ", " + threads + (threads == 1 ? " thread, " : " threads, ") + simd;
    }

    /** The SIMD width in use, in bits; 0 when every kernel runs its scalar twin. */
    public int simdBits() {
        return simdBits;
    }

    /** The number of worker threads. */
    public int threads() {
        return threadCount;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String deviceDescription() {
        return describe(simdBits, threadCount);
    }

    // ---------------------------------------------------------------- memory

    @Override
    public DeviceBuffer allocate(DType dtype, long length) {
        return pool.allocate(dtype, length);
    }

    @Override
    public DeviceBuffer upload(Object hostArray) {
        // instanceof, not a pattern switch: a type switch bootstraps an invokedynamic call site the first time it
        // runs, and the first upload is on every program's path to its first result (cold start)
        CpuBuffer buffer;
        if (hostArray instanceof float[] values) {
            buffer = new CpuBuffer(DType.FLOAT32, values.clone(), values.length);
        } else if (hostArray instanceof double[] values) {
            buffer = new CpuBuffer(DType.FLOAT64, values.clone(), values.length);
        } else if (hostArray instanceof int[] values) {
            buffer = new CpuBuffer(DType.INT32, values.clone(), values.length);
        } else if (hostArray instanceof long[] values) {
            buffer = new CpuBuffer(DType.INT64, values.clone(), values.length);
        } else if (hostArray instanceof boolean[] values) {
            buffer = new CpuBuffer(DType.BOOL, values.clone(), values.length);
        } else if (hostArray == null) {
            throw new IllegalArgumentException("cpu: upload of null; expected float[], double[], int[], long[] or boolean[]");
        } else {
            throw new IllegalArgumentException("cpu: cannot upload a " + hostArray.getClass().getSimpleName()
                    + "; expected float[], double[], int[], long[] or boolean[]");
        }
        uploads.incrementAndGet();
        uploadBytes.addAndGet(buffer.length() * buffer.dtype().byteSize());
        return buffer;
    }

    @Override
    public Object download(DeviceBuffer buffer, long offset, long length) {
        CpuBuffer cpu = cpuBuffer(buffer, "download");
        if (offset < 0 || length < 0 || offset + length > cpu.length()) {
            throw new IndexOutOfBoundsException("cpu: download of " + length + " elements from offset " + offset
                    + " is outside a " + cpu.dtype() + " buffer of " + cpu.length() + " elements");
        }
        int from = (int) offset;
        int to = (int) (offset + length);
        Object array = cpu.array();
        Object copy; // instanceof, not a type switch, for the cold start (see upload)
        if (array instanceof float[] values) {
            copy = Arrays.copyOfRange(values, from, to);
        } else if (array instanceof double[] values) {
            copy = Arrays.copyOfRange(values, from, to);
        } else if (array instanceof int[] values) {
            copy = Arrays.copyOfRange(values, from, to);
        } else if (array instanceof long[] values) {
            copy = Arrays.copyOfRange(values, from, to);
        } else if (array instanceof boolean[] values) {
            copy = Arrays.copyOfRange(values, from, to);
        } else {
            throw new IllegalStateException("cpu: unexpected buffer array " + array.getClass());
        }
        downloads.incrementAndGet();
        downloadBytes.addAndGet(length * cpu.dtype().byteSize());
        return copy;
    }

    @Override
    public TransferStats transfers() {
        return new TransferStats(uploads.get(), uploadBytes.get(), downloads.get(), downloadBytes.get());
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void fill(StridedView out, double value) {
        Object y = data(out, "fill");
        try {
            if (out.isContiguous()) {
                // one dense row: no walk to set up (every fresh tensor, so most fills)
                int n = Math.toIntExact(out.size());
                Simd.ElementwiseKernels simd = elementwise(n);
                if (simd != null) {
                    simd.fillRow(out.dtype(), y, (int) out.offset(), 1, n, value);
                } else {
                    ScalarKernels.fillRow(out.dtype(), y, (int) out.offset(), 1, n, value);
                }
                return;
            }
            StridedWalk walk = StridedWalk.of(out.shape(), out);
            while (walk.next()) {
                Simd.ElementwiseKernels simd = elementwise(walk.rowLength());
                if (simd != null) {
                    simd.fillRow(out.dtype(), y, walk.offset(0), walk.stride(0), walk.rowLength(), value);
                } else {
                    ScalarKernels.fillRow(out.dtype(), y, walk.offset(0), walk.stride(0), walk.rowLength(), value);
                }
            }
        } catch (RuntimeException e) {
            throw failure(e, "fill", out);
        }
    }

    @Override
    public void unary(Primitive op, StridedView in, StridedView out) {
        Object x = inputData(in, op.opName());
        Object y = data(out, op.opName());
        DType type = in.dtype();
        try {
            if (denseOrScalar(in) && out.isContiguous()) {
                // one dense row: no walk to set up (most ops, and all of a tiny op's overhead)
                int n = Math.toIntExact(out.size());
                int is = rowStride(in);
                int io = rowOffset(in);
                Simd.ElementwiseKernels simd = elementwise(n);
                if (simd != null && PARALLEL_ELEMENTWISE && n >= PARALLEL_MIN_ELEMENTS && threadCount > 1) {
                    int oo = (int) out.offset();
                    threads.forRange(blocks(n), true, (from, to) -> {
                        int start = from * PARALLEL_BLOCK;
                        simd.unaryRow(op, type, x, io + start * is, is, y, oo + start, 1, Math.min(n, to * PARALLEL_BLOCK) - start);
                    });
                } else if (simd != null) {
                    simd.unaryRow(op, type, x, io, is, y, (int) out.offset(), 1, n);
                } else {
                    ScalarElementwise.unaryRow(op, type, x, io, is, y, (int) out.offset(), 1, n);
                }
                return;
            }
            StridedWalk walk = StridedWalk.of(out.shape(), operand(in), out);
            while (walk.next()) {
                int n = walk.rowLength();
                Simd.ElementwiseKernels simd = elementwise(n);
                if (simd != null) {
                    simd.unaryRow(op, type, x, walk.offset(0), walk.stride(0), y, walk.offset(1), walk.stride(1), n);
                } else {
                    ScalarElementwise.unaryRow(op, type, x, walk.offset(0), walk.stride(0), y, walk.offset(1), walk.stride(1), n);
                }
            }
        } catch (RuntimeException e) {
            throw failure(e, op.opName(), in, out);
        }
    }

    @Override
    public void binary(Primitive op, StridedView a, StridedView b, StridedView out) {
        Object x = inputData(a, op.opName());
        Object z = inputData(b, op.opName());
        Object y = data(out, op.opName());
        DType type = a.dtype();
        try {
            if (denseOrScalar(a) && denseOrScalar(b) && out.isContiguous()) {
                // one dense row (a host scalar is a stride-0 input): no walk to set up (most ops, and all of a tiny
                // op's overhead)
                int n = Math.toIntExact(out.size());
                int as = rowStride(a);
                int bs = rowStride(b);
                int ao = rowOffset(a);
                int bo = rowOffset(b);
                Simd.ElementwiseKernels simd = elementwise(n);
                if (simd != null && PARALLEL_ELEMENTWISE && n >= PARALLEL_MIN_ELEMENTS && threadCount > 1) {
                    int oo = (int) out.offset();
                    threads.forRange(blocks(n), true, (from, to) -> {
                        int start = from * PARALLEL_BLOCK;
                        simd.binaryRow(op, type, x, ao + start * as, as, z, bo + start * bs, bs, y, oo + start, 1,
                                Math.min(n, to * PARALLEL_BLOCK) - start);
                    });
                } else if (simd != null) {
                    simd.binaryRow(op, type, x, ao, as, z, bo, bs, y, (int) out.offset(), 1, n);
                } else {
                    ScalarElementwise.binaryRow(op, type, x, ao, as, z, bo, bs, y, (int) out.offset(), 1, n);
                }
                return;
            }
            StridedWalk walk = StridedWalk.of(out.shape(), operand(a), operand(b), out);
            while (walk.next()) {
                int n = walk.rowLength();
                Simd.ElementwiseKernels simd = elementwise(n);
                if (simd != null) {
                    simd.binaryRow(op, type, x, walk.offset(0), walk.stride(0), z, walk.offset(1), walk.stride(1),
                            y, walk.offset(2), walk.stride(2), n);
                } else {
                    ScalarElementwise.binaryRow(op, type, x, walk.offset(0), walk.stride(0), z, walk.offset(1), walk.stride(1),
                            y, walk.offset(2), walk.stride(2), n);
                }
            }
        } catch (RuntimeException e) {
            throw failure(e, op.opName(), a, b, out);
        }
    }

    @Override
    public void where(StridedView conditionInput, StridedView trueInput, StridedView falseInput, StridedView out) {
        StridedView condition = operand(conditionInput);
        StridedView whenTrue = operand(trueInput);
        StridedView whenFalse = operand(falseInput);
        boolean[] c = (boolean[]) inputData(condition, "where");
        Object t = inputData(whenTrue, "where");
        Object f = inputData(whenFalse, "where");
        Object y = data(out, "where");
        DType type = out.dtype();
        StridedWalk walk = StridedWalk.of(out.shape(), condition, whenTrue, whenFalse, out);
        try {
            while (walk.next()) {
                int n = walk.rowLength();
                Simd.ElementwiseKernels simd = elementwise(n);
                if (simd != null) {
                    simd.whereRow(type, c, walk.offset(0), walk.stride(0), t, walk.offset(1), walk.stride(1),
                            f, walk.offset(2), walk.stride(2), y, walk.offset(3), walk.stride(3), n);
                } else {
                    ScalarElementwise.whereRow(type, c, walk.offset(0), walk.stride(0), t, walk.offset(1), walk.stride(1),
                            f, walk.offset(2), walk.stride(2), y, walk.offset(3), walk.stride(3), n);
                }
            }
        } catch (RuntimeException e) {
            throw failure(e, "where", condition, whenTrue, whenFalse, out);
        }
    }

    @Override
    public void copy(StridedView in, StridedView out) {
        Object x = data(in, "copy");
        Object y = data(out, "copy");
        try {
            if (in.isContiguous() && out.isContiguous()) {
                // one dense row: no walk to set up (casts and dense copies)
                int n = Math.toIntExact(out.size());
                Simd.ElementwiseKernels simd = elementwise(n);
                if (simd != null) {
                    simd.copyRow(in.dtype(), x, (int) in.offset(), 1, out.dtype(), y, (int) out.offset(), 1, n);
                } else {
                    ScalarKernels.copyRow(in.dtype(), x, (int) in.offset(), 1, out.dtype(), y, (int) out.offset(), 1, n);
                }
                return;
            }
            StridedWalk walk = StridedWalk.of(out.shape(), in, out);
            while (walk.next()) {
                int n = walk.rowLength();
                Simd.ElementwiseKernels simd = elementwise(n);
                if (simd != null) {
                    simd.copyRow(in.dtype(), x, walk.offset(0), walk.stride(0), out.dtype(), y, walk.offset(1), walk.stride(1), n);
                } else {
                    ScalarKernels.copyRow(in.dtype(), x, walk.offset(0), walk.stride(0), out.dtype(), y, walk.offset(1), walk.stride(1), n);
                }
            }
        } catch (RuntimeException e) {
            throw failure(e, "copy", in, out);
        }
    }

    // ---------------------------------------------------------------- fused kernels

    /**
     * True, at every size: a fused loop generates a {@link dev.quiver.spi.Drawn}
     * input chunk by chunk into a scratch row with the fill {@link #random} uses, so a compiled step's draws never go
     * through memory. The SIMD fill keeps its chunk scratch per thread, so generating chunk by chunk allocates nothing
     * (probe of the batch-2^20 linear-regression step on 2 Zen 5 cores: 2.4-3.6 ms fused, 3.4-4.3 ms drawn apart; when
     * each chunk's fill allocated its 37 KB scratch, fused was 4.0-6.6 ms and erratic).
     */
    @Override
    public boolean fusesDraws() {
        return true;
    }

    /** True: {@link #fused} and {@link #fusedReduce} run as one loop over chunks ({@link FusedLoop}). */
    @Override
    public boolean runsFusedKernels() {
        return true;
    }

    /**
     * The kernel's steps run chunk by chunk ({@link FusedLoop#CHUNK} elements) in per-thread scratch rows, each with the
     * row kernel its own call would use: the unfused calls' bits, with no full-size temporary.
     */
    @Override
    public void fused(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputs) {
        fusedLoop.run(kernel, inputs, outputs);
    }

    /**
     * One pass: each chunk computes the kernel once, folds every reduced output into its own accumulators and writes the
     * others. Each SUM's order is fixed by the shape alone (the same bits at every thread count and SIMD width, and as
     * the output reduced alone), see {@link FusedLoop#reduce}.
     */
    @Override
    public void fusedReduce(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions,
                            StridedView[] outputs) {
        fusedLoop.reduce(kernel, inputs, reductions, outputs);
    }

    // ---------------------------------------------------------------- reduce, matmul, random

    @Override
    public void reduce(Primitive op, StridedView in, StridedView out) {
        if (in.rank() != 3 || out.rank() != 2) {
            throw new IllegalArgumentException("cpu: " + op.opName() + " expects in (outer, reduced, inner) and out (outer, inner), got "
                    + in + " and " + out);
        }
        // core promises contiguous operands; a strided one is made contiguous rather than misread
        StridedView source = in.isContiguous() ? in : contiguousCopy(in);
        StridedView target = out.isContiguous() ? out : StridedView.contiguous(allocate(out.dtype(), out.size()), out.shape());
        int outer = in.shape()[0];
        int reduced = in.shape()[1];
        int inner = in.shape()[2];
        Object x = data(source, op.opName());
        Object y = data(target, op.opName());
        try {
            Simd.ReductionKernels simd = reductions((long) outer * reduced * inner);
            if (simd != null && outer == 1 && inner == 1 && reduced >= PARALLEL_MIN_ELEMENTS && threadCount > 1
                    && in.dtype().isFloating()) {
                reduceInParallel(simd, op, in.dtype(), x, (int) source.offset(), y, (int) target.offset(), reduced);
            } else if (simd != null) {
                simd.reduce(op, in.dtype(), x, (int) source.offset(), y, (int) target.offset(), outer, reduced, inner);
            } else {
                ScalarKernels.reduce(op, in.dtype(), x, (int) source.offset(), y, (int) target.offset(), outer, reduced, inner);
            }
        } catch (RuntimeException e) {
            throw failure(e, op.opName(), in, out);
        }
        if (target != out) {
            copy(target, out);
        }
    }

    private static int blocks(int n) {
        return (n + PARALLEL_BLOCK - 1) / PARALLEL_BLOCK;
    }

    /**
     * A full reduction of one long row split across the threads: each reduces its blocks into one partial (SUM keeps
     * its float64 block accumulation inside each part), then the partials are combined in float64 in a fixed
     * order, so the result does not depend on timing.
     */
    private void reduceInParallel(Simd.ReductionKernels simd, Primitive op, DType type, Object x, int xo, Object y,
            int yo, int n) {
        int parts = Math.min(threadCount, blocks(n));
        Object partials = CpuBuffer.newArray(type, parts);
        int blocks = blocks(n);
        threads.forRange(parts, true, (from, to) -> {
            for (int p = from; p < to; p++) {
                int start = (int) ((long) blocks * p / parts) * PARALLEL_BLOCK;
                int end = Math.min(n, (int) ((long) blocks * (p + 1) / parts) * PARALLEL_BLOCK);
                simd.reduce(op, type, x, xo + start, partials, p, 1, end - start, 1);
            }
        });
        double result = ScalarKernels.readDouble(type, partials, 0);
        for (int p = 1; p < parts; p++) {
            double partial = ScalarKernels.readDouble(type, partials, p);
            result = op == Primitive.SUM ? result + partial
                    : Double.isNaN(result) || Double.isNaN(partial) ? Double.NaN
                    : op == Primitive.MAX ? Math.max(result, partial) : Math.min(result, partial);
        }
        if (type == DType.FLOAT32) {
            ((float[]) y)[yo] = (float) result;
        } else {
            ((double[]) y)[yo] = result;
        }
    }

    @Override
    public void matmul(StridedView a, StridedView b, StridedView out) {
        if (a.rank() != 3 || b.rank() != 3 || out.rank() != 3) {
            throw new IllegalArgumentException("cpu: matmul expects (batch, m, k) @ (batch, k, n) -> (batch, m, n), got "
                    + a + ", " + b + ", " + out);
        }
        StridedView target = out.isContiguous() ? out : StridedView.contiguous(allocate(out.dtype(), out.size()), out.shape());
        int batch = out.shape()[0];
        int m = out.shape()[1];
        int n = out.shape()[2];
        int k = a.shape()[2];
        Object x = data(a, "matmul");
        Object z = data(b, "matmul");
        Object y = data(target, "matmul");
        try {
            Matmul simd = matmulKernels();
            if (simd != null) {
                simd.multiply(out.dtype(), x, a.offset(), a.strides(), z, b.offset(), b.strides(), y, (int) target.offset(), batch, m, k, n);
            } else {
                ScalarKernels.matmul(out.dtype(), x, a.offset(), a.strides(), z, b.offset(), b.strides(), y, (int) target.offset(), batch, m, k, n);
            }
        } catch (RuntimeException e) {
            throw failure(e, "matmul", a, b, out);
        }
        if (target != out) {
            copy(target, out);
        }
    }

    @Override
    public void gather(StridedView params, StridedView indices, StridedView out) {
        Object x = data(params, "gather");
        Object index = data(indices, "gather");
        Object y = data(out, "gather");
        int outer = params.shape()[0];
        int limit = params.shape()[1];
        int inner = params.shape()[2];
        int n = indices.shape()[0];
        try {
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < n; j++) {
                    long row = checkedIndex("gather", index, indices, j, limit);
                    int from = Math.toIntExact(params.offset() + o * params.strides()[0] + row * params.strides()[1]);
                    int to = Math.toIntExact(out.offset() + ((long) o * n + j) * inner);
                    // one row of the result: the strided copy the copy kernel's scalar twin makes
                    ScalarKernels.copyRow(params.dtype(), x, from, Math.toIntExact(params.strides()[2]), out.dtype(), y,
                            to, 1, inner);
                }
            }
        } catch (RuntimeException e) {
            throw failure(e, "gather", params, indices, out);
        }
    }

    @Override
    public void scatterAdd(StridedView updates, StridedView indices, StridedView out) {
        Object x = data(updates, "scatter_add");
        Object index = data(indices, "scatter_add");
        Object y = data(out, "scatter_add");
        int outer = out.shape()[0];
        int limit = out.shape()[1];
        int inner = out.shape()[2];
        int n = indices.shape()[0];
        try {
            // j in increasing order for each output row, as the device kernel does: the same sums, the same bits
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < n; j++) {
                    long row = checkedIndex("scatter_add", index, indices, j, limit);
                    long from = updates.offset() + o * updates.strides()[0] + j * updates.strides()[1];
                    long to = out.offset() + ((long) o * limit + row) * inner;
                    addRow(out.dtype(), x, from, updates.strides()[2], y, to, inner);
                }
            }
        } catch (RuntimeException e) {
            throw failure(e, "scatter_add", updates, indices, out);
        }
    }

    /** Index {@code j} of a 1-D int32/int64 view, or the error every backend gives when it is outside the limit. */
    private static long checkedIndex(String op, Object index, StridedView indices, int j, int limit) {
        int at = Math.toIntExact(indices.offset() + j * indices.strides()[0]);
        long value = index instanceof int[] ints ? ints[at] : ((long[]) index)[at];
        if (value < 0 || value >= limit) {
            throw Backend.indexOutOfRange(op, j, value, limit);
        }
        return value;
    }

    /** {@code y[to + i] += x[from + i * stride]} for {@code i < n}. */
    private static void addRow(DType type, Object x, long from, long stride, Object y, long to, int n) {
        int xo = Math.toIntExact(from);
        int xs = Math.toIntExact(stride);
        int yo = Math.toIntExact(to);
        switch (type) {
            case FLOAT32 -> {
                float[] in = (float[]) x;
                float[] target = (float[]) y;
                for (int i = 0; i < n; i++) {
                    target[yo + i] += in[xo + i * xs];
                }
            }
            case FLOAT64 -> {
                double[] in = (double[]) x;
                double[] target = (double[]) y;
                for (int i = 0; i < n; i++) {
                    target[yo + i] += in[xo + i * xs];
                }
            }
            case INT32 -> {
                int[] in = (int[]) x;
                int[] target = (int[]) y;
                for (int i = 0; i < n; i++) {
                    target[yo + i] += in[xo + i * xs];
                }
            }
            case INT64 -> {
                long[] in = (long[]) x;
                long[] target = (long[]) y;
                for (int i = 0; i < n; i++) {
                    target[yo + i] += in[xo + i * xs];
                }
            }
            case BOOL -> throw new UnsupportedOperationException("scatter_add is not defined for bool");
        }
    }

    @Override
    public void random(RandomDistribution distribution, long seed, long counter, double first, double second, StridedView out) {
        DType type = out.dtype();
        if (!type.isFloating()) {
            throw new IllegalArgumentException("cpu: random " + distribution + " needs a float32 or float64 output, got " + out);
        }
        StridedView target = out.isContiguous() ? out : StridedView.contiguous(allocate(type, out.size()), out.shape());
        Object y = data(target, "random");
        int at = (int) target.offset();
        int size = Math.toIntExact(out.size());
        threads.forRange(size, size >= RANDOM_PARALLEL_MIN_ELEMENTS,
                (from, to) -> RandomFill.fill(simdBits, distribution, seed, counter, first, second, type, y, at, from, to));
        if (target != out) {
            copy(target, out);
        }
    }

    @Override
    public void synchronize() {
        // every call completes before it returns
    }

    @Override
    public void close() {
        threads.close();
        pool.clear();
    }

    @Override
    public String toString() {
        return "CpuBackend[" + deviceDescription() + "]";
    }

    // ---------------------------------------------------------------- helpers

    private StridedView contiguousCopy(StridedView view) {
        StridedView copy = StridedView.contiguous(allocate(view.dtype(), view.size()), view.shape());
        copy(view, copy);
        return copy;
    }

    private static CpuBuffer cpuBuffer(DeviceBuffer buffer, String op) {
        if (buffer instanceof CpuBuffer cpu) {
            return cpu;
        }
        if (buffer instanceof HostScalar scalar) {
            throw new IllegalArgumentException("cpu: " + op + " got a host scalar (" + scalar + "): only the inputs of "
                    + "unary, binary and where take one; core makes it a buffer first for every other call");
        }
        throw new IllegalArgumentException("cpu: " + op + " got a buffer that the cpu backend did not make: "
                + (buffer == null ? "null" : buffer.getClass().getName() + " " + buffer.dtype()));
    }

    private static Object data(StridedView view, String op) {
        return cpuBuffer(view.buffer(), op).array();
    }

    /**
     * An elementwise input's array: its buffer's, or for a {@link HostScalar} a one-element array read with stride 0
     * (a Java array per op: no pooled buffer, no Cleaner, no fill call).
     */
    private static Object inputData(StridedView view, String op) {
        return view.buffer() instanceof HostScalar scalar ? scalar.toArray(1) : data(view, op);
    }

    /** A host scalar's view as stride 0 and offset 0 everywhere, whatever its shape; other views unchanged. */
    private static StridedView operand(StridedView view) {
        return view.buffer() instanceof HostScalar scalar ? scalar.broadcast(view.shape()) : view;
    }

    /** Whether an input is one dense row or one repeated value (a host scalar, already made stride 0). */
    private static boolean denseOrScalar(StridedView view) {
        return view.buffer() instanceof HostScalar || view.isContiguous();
    }

    /** The row stride of a {@link #denseOrScalar} input. */
    private static int rowStride(StridedView view) {
        return view.buffer() instanceof HostScalar ? 0 : 1;
    }

    /** Where a {@link #denseOrScalar} input's row starts in its array (a host scalar's one element: 0). */
    private static int rowOffset(StridedView view) {
        return view.buffer() instanceof HostScalar ? 0 : (int) view.offset();
    }

    /** Adds the op, dtypes and layouts to a kernel failure, keeping its type (ArithmeticException stays one). */
    static RuntimeException failure(RuntimeException e, String op, StridedView... views) {
        StringBuilder operands = new StringBuilder();
        for (StridedView view : views) {
            operands.append(operands.isEmpty() ? "" : ", ").append(view.dtype()).append(Arrays.toString(view.shape()));
        }
        String where = "cpu: " + op + " on " + operands + ": ";
        return switch (e) {
            case ArithmeticException arithmetic -> new ArithmeticException(where + arithmetic.getMessage());
            case IndexOutOfBoundsException outside -> new IllegalArgumentException(where
                    + "a view reaches outside its buffer (" + outside.getMessage() + "); views: " + Arrays.toString(views), e);
            case UnsupportedOperationException unsupported -> new UnsupportedOperationException(where + unsupported.getMessage(), e);
            default -> e;
        };
    }
}
