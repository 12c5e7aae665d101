package dev.quiver.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square matrix products {@code (size x size) @ (size x size)} in float32 and float64, result allocated (and closed
 * after use). FLOPs: {@code 2 size^3}. Engines with {@code -1t} run on one thread, the others on all cores. The
 * plain-Java peer is the flat i-k-j loop (the runner limits it to {@code size <= 512}: it runs at a few GFLOP/s).
 *
 * <pre>{@code
 * bench/run --only 'MatmulBench' -p size=1024 -p dtype=float32
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class MatmulBench {
    @Param({"cpu", "cpu-1t", "java", "nd4j", "nd4j-1t"})
    public String engine;

    @Param({"float32", "float64"})
    public String dtype;

    @Param({"64", "128", "256", "512", "1024", "2048"})
    public int size;

    private Kernel matmul;

    @Setup
    public void setUp() {
        Kernels.prepare(engine);
        matmul = create(engine, dtype, 0, size);
    }

    /** Makes the kernel and checks sampled entries of its result against a float64 dot product. */
    static Kernel create(String engine, String dtype, int batch, int size) {
        boolean float64 = dtype.equals("float64");
        int batches = Math.max(batch, 1);
        int elements = batches * size * size;
        Object a = float64 ? Data.doubles(elements, 5) : Data.floats(elements, 5);
        Object b = float64 ? Data.doubles(elements, 6) : Data.floats(elements, 6);
        Kernel kernel = Kernels.matmul(engine, a, b, batch, size, size, size);
        double[] c = kernel.read(kernel.run());
        // 256 sampled entries, each a float64 dot product: a full reference would cost more than the benchmark
        SplittableRandom random = new SplittableRandom(7);
        int samples = 256;
        double[] expected = new double[samples];
        double[] actual = new double[samples];
        double[] tolerance = new double[samples];
        for (int s = 0; s < samples; s++) {
            int bi = random.nextInt(batches);
            int i = random.nextInt(size);
            int j = random.nextInt(size);
            double dot = 0;
            double magnitude = 0;
            for (int p = 0; p < size; p++) {
                double term = Data.at(a, bi * size * size + i * size + p) * Data.at(b, bi * size * size + p * size + j);
                dot += term;
                magnitude += Math.abs(term);
            }
            expected[s] = dot;
            actual[s] = c[bi * size * size + i * size + j];
            // the worst-case bound of any summation order: k roundings of at most the running magnitude
            tolerance[s] = 2 * size * Data.epsilon(float64) * magnitude;
        }
        Data.check("matmul " + dtype + " " + (batch == 0 ? "" : batch + "x") + size + "^3 on " + engine, expected,
                actual, tolerance);
        return kernel;
    }

    @Benchmark
    public Object matmul() {
        Object result = matmul.run();
        matmul.release(result);
        return result;
    }
}
