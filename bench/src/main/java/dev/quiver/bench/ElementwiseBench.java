package dev.quiver.bench;

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
 * Elementwise float32 over {@code size} elements: {@code add} ({@code a + b}) and {@code mulAdd}
 * ({@code a * b + c}, two ops for Quiver as a user writes it). Quiver allocates each result and the benchmark
 * closes it, as a user scoping big tensors does; the plain-Java peer writes into a preallocated array (STREAM's
 * convention), so its 16M {@code add} is the machine's triad bandwidth. Bytes moved: 12 per element for add,
 * 16 for mulAdd (the minimum: inputs read once, output written once).
 *
 * <pre>{@code
 * bench/run --only 'ElementwiseBench' -p size=16777216
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms4g", "-Xmx4g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class ElementwiseBench {
    @Param({"cpu", "cpu-scalar", "java", "nd4j"})
    public String engine;

    @Param({"1024", "16384", "262144", "4194304", "16777216"})
    public int size;

    private Kernel add;
    private Kernel mulAdd;

    @Setup
    public void setUp() {
        Kernels.prepare(engine);
        float[] a = Data.floats(size, 1);
        float[] b = Data.floats(size, 2);
        float[] c = Data.floats(size, 3);
        add = Kernels.add(engine, a, b);
        mulAdd = Kernels.mulAdd(engine, a, b, c);
        double[] sum = new double[size];
        double[] fused = new double[size];
        double[] tolerance = new double[size];
        for (int i = 0; i < size; i++) {
            sum[i] = a[i] + b[i]; // a float add: every engine must give exactly this
            fused[i] = (double) a[i] * b[i] + c[i];
            tolerance[i] = 2 * Data.epsilon(false) * (Math.abs(a[i] * b[i]) + Math.abs(c[i]));
        }
        Data.check("add on " + engine, sum, add.read(add.run()), 0);
        Data.check("mulAdd on " + engine, fused, mulAdd.read(mulAdd.run()), tolerance);
    }

    @Benchmark
    public Object add() {
        Object result = add.run();
        add.release(result);
        return result;
    }

    @Benchmark
    public Object mulAdd() {
        Object result = mulAdd.run();
        mulAdd.release(result);
        return result;
    }
}
