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
 * Batched products {@code (batch, size, size) @ (batch, size, size)} in float32: {@code batch * 2 size^3} FLOPs
 * per op. Small matrices in a batch are where threading must split the batch, not each product.
 *
 * <pre>{@code
 * bench/run --only 'BatchedMatmulBench'
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class BatchedMatmulBench {
    @Param({"cpu", "cpu-1t", "java", "nd4j", "nd4j-1t"})
    public String engine;

    @Param({"64"})
    public int batch;

    @Param({"32", "128"})
    public int size;

    private Kernel matmul;

    @Setup
    public void setUp() {
        Kernels.prepare(engine);
        matmul = MatmulBench.create(engine, "float32", batch, size);
    }

    @Benchmark
    public Object matmul() {
        Object result = matmul.run();
        matmul.release(result);
        return result;
    }
}
