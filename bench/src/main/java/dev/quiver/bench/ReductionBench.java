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
 * Full reductions of a float32 vector of {@code size} elements to a scalar: {@code sum} and {@code mean}. Bytes
 * moved: 4 per element. The plain-Java peer is the one-accumulator loop (bound by the add's latency).
 *
 * <pre>{@code
 * bench/run --only 'ReductionBench.sum' -p size=16777216
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms4g", "-Xmx4g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class ReductionBench {
    @Param({"cpu", "cpu-scalar", "java", "nd4j"})
    public String engine;

    @Param({"1024", "65536", "1048576", "16777216"})
    public int size;

    private Kernel sum;
    private Kernel mean;

    @Setup
    public void setUp() {
        Kernels.prepare(engine);
        float[] a = Data.floats(size, 4);
        sum = Kernels.sum(engine, a, false);
        mean = Kernels.sum(engine, a, true);
        double exact = 0;
        double magnitude = 0;
        for (float value : a) {
            exact += value;
            magnitude += Math.abs(value);
        }
        // float32 accumulation in any order stays far inside this; dropping even 1% of the elements does not
        double tolerance = 2e-6 * magnitude + 1e-6;
        Data.check("sum on " + engine, new double[] {exact}, sum.read(sum.run()), tolerance);
        Data.check("mean on " + engine, new double[] {exact / size}, mean.read(mean.run()), tolerance / size);
    }

    @Benchmark
    public Object sum() {
        Object result = sum.run();
        sum.release(result);
        return result;
    }

    @Benchmark
    public Object mean() {
        Object result = mean.run();
        mean.release(result);
        return result;
    }
}
