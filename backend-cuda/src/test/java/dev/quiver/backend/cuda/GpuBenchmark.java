package dev.quiver.backend.cuda;

import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasDgemm_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cudart.cuCtxSynchronize;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoDAsync;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Losses;
import dev.quiver.Quiver;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.TrainingStep;
import dev.quiver.Variable;
import dev.quiver.optimizers.Optimizer;
import dev.quiver.optimizers.SGD;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.PooledBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The GPU benchmarks of issue 10, run by {@code backend-cuda/gpu/run-on-gpu.sh} on a machine with an NVIDIA GPU
 * (not a unit test: no GPU in CI). Each figure is set against a baseline measured in the same run: float32 add and
 * {@code a*b+c} at 256M elements and sum of 256M against the device-to-device copy bandwidth; sgemm and dgemm 4096
 * against cuBLAS called directly; the tutorials' training step (batch 64 and 1M) is printed in µs per step for
 * {@code torch_step.py} to compare. Results are also checked (a fast wrong kernel must not win).
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp ... dev.quiver.backend.cuda.GpuBenchmark out/bench
 * }</pre>
 */
public final class GpuBenchmark {
    private static final long ELEMENTS = 256L << 20;

    private GpuBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path folder = Path.of(args.length > 0 ? args[0] : "bench-out");
        Files.createDirectories(folder);
        CudaBackend backend = (CudaBackend) Quiver.use("cuda");
        try (PrintStream out = new PrintStream(Files.newOutputStream(folder.resolve("quiver-cuda.txt")), true)) {
            Tee tee = new Tee(out);
            tee.line("device: " + backend.deviceDescription());
            tee.line("date: " + Instant.now() + "; command: GpuBenchmark " + String.join(" ", args));
            double copy = copyBandwidth(backend, tee);
            elementwise(backend, copy, tee);
            sum(backend, copy, tee);
            gemm(backend, DType.FLOAT32, 4096, tee);
            gemm(backend, DType.FLOAT64, 4096, tee);
            for (int batch : new int[] {64, 1 << 20}) {
                trainingStep(batch, batch == 64 ? 500 : 100, tee);
                compiledTrainingStep(batch, batch == 64 ? 2000 : 200, tee);
            }
            tee.line("statistics: " + backend.statistics());
        }
    }

    /** Prints to stdout and the results file. */
    private record Tee(PrintStream file) {
        void line(String text) {
            System.out.println(text);
            file.println(text);
        }
    }

    private static long pointer(DeviceBuffer buffer) {
        @SuppressWarnings("unchecked")
        PooledBuffer<Long> pooled = (PooledBuffer<Long>) buffer;
        return pooled.memory("benchmark");
    }

    /** Device-to-device copy of 1 GiB, counted as bytes read plus written. */
    private static double copyBandwidth(CudaBackend backend, Tee tee) {
        DeviceBuffer a = backend.allocate(DType.FLOAT32, ELEMENTS);
        DeviceBuffer b = backend.allocate(DType.FLOAT32, ELEMENTS);
        long bytes = ELEMENTS * 4;
        double seconds = time(20, () -> CudaCheck.check(cuMemcpyDtoDAsync(pointer(b), pointer(a), bytes,
                (CUstream_st) null), "copy"), () -> CudaCheck.check(cuCtxSynchronize(), "sync"));
        double bandwidth = 2.0 * bytes / seconds;
        tee.line(String.format(Locale.ROOT, "copy 256M float32 (cuMemcpyDtoD): %.3f ms, %.0f GB/s (read + written)",
                seconds * 1e3, bandwidth / 1e9));
        a.release();
        b.release();
        return bandwidth;
    }

    private static void elementwise(CudaBackend backend, double copy, Tee tee) {
        DeviceBuffer a = backend.allocate(DType.FLOAT32, ELEMENTS);
        DeviceBuffer b = backend.allocate(DType.FLOAT32, ELEMENTS);
        DeviceBuffer c = backend.allocate(DType.FLOAT32, ELEMENTS);
        DeviceBuffer out = backend.allocate(DType.FLOAT32, ELEMENTS);
        StridedView va = StridedView.contiguous(a, (int) ELEMENTS);
        StridedView vb = StridedView.contiguous(b, (int) ELEMENTS);
        StridedView vc = StridedView.contiguous(c, (int) ELEMENTS);
        StridedView vo = StridedView.contiguous(out, (int) ELEMENTS);
        backend.fill(va, 1.5);
        backend.fill(vb, 2.0);
        backend.fill(vc, 0.25);
        double add = time(20, () -> backend.binary(Primitive.ADD, va, vb, vo), backend::synchronize);
        check(backend, out, 3.5f, "add");
        report(tee, "add 256M float32", add, 3.0 * ELEMENTS * 4, copy);
        // a*b+c is two kernels (no fusion yet): the ideal traffic is 4 arrays, the kernels move 6
        double fma = time(20, () -> {
            backend.binary(Primitive.MUL, va, vb, vo);
            backend.binary(Primitive.ADD, vo, vc, vo);
        }, backend::synchronize);
        check(backend, out, 3.25f, "a*b+c");
        report(tee, "a*b+c 256M float32 (ideal bytes: 4 arrays)", fma, 4.0 * ELEMENTS * 4, copy);
        List.of(a, b, c, out).forEach(DeviceBuffer::release);
    }

    private static void sum(CudaBackend backend, double copy, Tee tee) {
        DeviceBuffer a = backend.allocate(DType.FLOAT32, ELEMENTS);
        DeviceBuffer total = backend.allocate(DType.FLOAT32, 1);
        backend.fill(StridedView.contiguous(a, (int) ELEMENTS), 1.0 / 1024);
        StridedView in = new StridedView(a, new int[] {1, (int) ELEMENTS, 1}, new long[] {ELEMENTS, 1, 1}, 0);
        StridedView result = StridedView.contiguous(total, 1, 1);
        double seconds = time(20, () -> backend.reduce(Primitive.SUM, in, result), backend::synchronize);
        check(backend, total, ELEMENTS / 1024f, "sum");
        report(tee, "sum 256M float32 (bytes read; baseline: copy bandwidth)", seconds, ELEMENTS * 4.0, copy);
        a.release();
        total.release();
    }

    private static void gemm(CudaBackend backend, DType dtype, int n, Tee tee) {
        DeviceBuffer a = backend.allocate(dtype, (long) n * n);
        DeviceBuffer b = backend.allocate(dtype, (long) n * n);
        DeviceBuffer c = backend.allocate(dtype, (long) n * n);
        StridedView va = new StridedView(a, new int[] {1, n, n}, new long[] {(long) n * n, n, 1}, 0);
        StridedView vb = new StridedView(b, new int[] {1, n, n}, new long[] {(long) n * n, n, 1}, 0);
        StridedView vc = new StridedView(c, new int[] {1, n, n}, new long[] {(long) n * n, n, 1}, 0);
        backend.fill(va, 0.5);
        backend.fill(vb, 0.25);
        int reps = dtype == DType.FLOAT32 ? 20 : 5;
        double quiver = time(reps, () -> backend.matmul(va, vb, vc), backend::synchronize);
        check(backend, c, (float) (0.125 * n), "matmul");
        cublasContext handle = new cublasContext();
        CudaCheck.checkCublas(cublasCreate_v2(handle), "cublasCreate");
        CudaBackend.DevicePointer pa = new CudaBackend.DevicePointer(pointer(a));
        CudaBackend.DevicePointer pb = new CudaBackend.DevicePointer(pointer(b));
        CudaBackend.DevicePointer pc = new CudaBackend.DevicePointer(pointer(c));
        double direct;
        if (dtype == DType.FLOAT32) {
            FloatPointer one = new FloatPointer(1f);
            FloatPointer zero = new FloatPointer(0f);
            direct = time(reps, () -> CudaCheck.checkCublas(cublasSgemm_v2(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, one,
                    new FloatPointer(pb), n, new FloatPointer(pa), n, zero, new FloatPointer(pc), n), "sgemm"),
                    () -> CudaCheck.check(cuCtxSynchronize(), "sync"));
        } else {
            DoublePointer one = new DoublePointer(1d);
            DoublePointer zero = new DoublePointer(0d);
            direct = time(reps, () -> CudaCheck.checkCublas(cublasDgemm_v2(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, one,
                    new DoublePointer(pb), n, new DoublePointer(pa), n, zero, new DoublePointer(pc), n), "dgemm"),
                    () -> CudaCheck.check(cuCtxSynchronize(), "sync"));
        }
        cublasDestroy_v2(handle);
        double flops = 2.0 * n * n * n;
        tee.line(String.format(Locale.ROOT, "%s %d: Quiver %.3f ms (%.1f TFLOP/s), cuBLAS direct %.3f ms (%.1f TFLOP/s), "
                + "ratio %.3f (goal >= 0.95)", dtype == DType.FLOAT32 ? "sgemm" : "dgemm", n, quiver * 1e3,
                flops / quiver / 1e12, direct * 1e3, flops / direct / 1e12, direct / quiver));
        List.of(a, b, c).forEach(DeviceBuffer::release);
    }

    /** The linear-regression tutorial's step (fresh batch, forward, tape gradient, SGD) at {@code batch} samples. */
    private static void trainingStep(int batch, int steps, Tee tee) {
        RandomGenerator random = new RandomGenerator(42);
        Variable w = new Variable(Tensor.scalar(10f), "w");
        Variable b = new Variable(Tensor.scalar(1f), "b");
        List<Variable> parameters = List.of(w, b);
        Optimizer optimizer = new SGD(0.03);
        Runnable step = () -> {
            Tensor x = random.normal(Shape.of(batch, 1));
            Tensor noise = random.normal(Shape.of(batch, 1), 0, 1, DType.FLOAT32);
            Tensor y = x.mul(7f).add(4f).add(noise);
            try (GradientTape tape = new GradientTape()) {
                Tensor loss = Losses.meanSquaredError(y, x.mul(w).add(b));
                optimizer.applyGradients(tape.gradient(loss, parameters), parameters);
            }
        };
        double seconds = time(steps, step, () -> w.floatValue());
        tee.line(String.format(Locale.ROOT, "training step batch %d: %.1f µs/step (w=%.3f b=%.3f after %d steps)",
                batch, seconds * 1e6, w.floatValue(), b.floatValue(), steps * 2 + 3));
    }

    /**
     * The same step compiled ({@link TrainingStep}): traced, fused, its random position on the device, captured as a
     * CUDA graph after its first replay and launched once per step; the goals are 10 µs per step at batch 64
     * and the bound at batch 1M. How it replayed (captured or call by call, and why) is printed with it.
     */
    private static void compiledTrainingStep(int batch, int steps, Tee tee) {
        RandomGenerator random = new RandomGenerator(42);
        Variable w = new Variable(Tensor.scalar(10f), "w");
        Variable b = new Variable(Tensor.scalar(1f), "b");
        try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(w, b), () -> {
            Tensor x = random.normal(Shape.of(batch, 1));
            Tensor noise = random.normal(Shape.of(batch, 1), 0, 1, DType.FLOAT32);
            return Losses.meanSquaredError(x.mul(7f).add(4f).add(noise), x.mul(w).add(b));
        })) {
            step.run(5);
            double seconds = time(1, () -> step.run(steps), () -> w.floatValue()) / steps;
            String describe = step.describe();
            String replay = describe.lines().filter(line -> line.startsWith("replay: ")).findFirst().orElse("?");
            tee.line(String.format(Locale.ROOT, "compiled training step batch %d: %.2f µs/step (w=%.3f b=%.3f; %d calls "
                    + "per step; %s)", batch, seconds * 1e6, w.floatValue(), b.floatValue(), step.callsPerStep(),
                    replay));
        }
    }

    private static void report(Tee tee, String what, double seconds, double bytes, double copy) {
        double bandwidth = bytes / seconds;
        tee.line(String.format(Locale.ROOT, "%s: %.3f ms, %.0f GB/s, %.3f of copy bandwidth (goal >= 0.85)", what,
                seconds * 1e3, bandwidth / 1e9, bandwidth / copy));
    }

    private static void check(CudaBackend backend, DeviceBuffer buffer, float expected, String what) {
        float[] first = (float[]) backend.download(buffer, 0, 1);
        if (Math.abs(first[0] - expected) > 1e-3 * Math.abs(expected)) {
            throw new IllegalStateException(what + " computed " + first[0] + ", expected " + expected);
        }
    }

    /** Seconds per run: 3 warm-up runs, then the best of two timed batches of {@code reps} runs. */
    private static double time(int reps, Runnable op, Runnable sync) {
        for (int i = 0; i < 3; i++) {
            op.run();
        }
        sync.run();
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 2; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                op.run();
            }
            sync.run();
            best = Math.min(best, (System.nanoTime() - start) / 1e9 / reps);
        }
        return best;
    }
}
