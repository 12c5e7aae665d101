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
 * Eager dispatch overhead: a 1-element float32 add whose result is a new tensor, no tape, not closed (the naive
 * loop; the garbage collector reclaims it). Everything measured is overhead: validation, allocation, views,
 * the tape lookup, the backend call. Read as ns/op = 1e9 / score.
 *
 * <pre>{@code
 * bench/run --only 'TinyOpBench'
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class TinyOpBench {
    @Param({"cpu", "cpu-scalar", "java", "nd4j"})
    public String engine;

    private Kernel add;

    @Setup
    public void setUp() {
        Kernels.prepare(engine);
        add = Kernels.tinyAdd(engine, 1.25f, 2.5f);
        Data.check("tiny add on " + engine, new double[] {3.75}, add.read(add.run()), 0);
    }

    @Benchmark
    public Object add() {
        return add.run();
    }
}
