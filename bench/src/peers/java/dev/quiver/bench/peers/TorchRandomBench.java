package dev.quiver.bench.peers;

import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
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
 * The libtorch peer of {@code RandomBench}: {@code torch.randn(size)} on one intra-op thread (libtorch 2.10 through
 * {@code org.bytedeco:pytorch}, profile {@code -Ppeers}), the result allocated and freed like Quiver's.
 *
 * <pre>{@code
 * ./mvnw -B -q package -pl bench -am -DskipTests -Ppeers
 * java -cp 'bench/target/classes:bench/target/lib/*' org.openjdk.jmh.Main 'RandomBench'
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class TorchRandomBench {
    @Param({"float32", "float64"})
    public String dtype;

    @Param({"1048576"})
    public int size;

    private TensorOptions options;

    @Setup
    public void setUp() {
        torch.set_num_threads(1);
        torch.manual_seed(1);
        options = new TensorOptions("float32".equals(dtype) ? torch.ScalarType.Float : torch.ScalarType.Double);
        try (Tensor z = torch.randn(new long[] {size}, options)) {
            double mean = z.mean().item_double();
            double std = z.std().item_double();
            if (Math.abs(mean) > 0.01 || Math.abs(std - 1) > 0.01) {
                throw new AssertionError("torch.randn: mean " + mean + ", std " + std);
            }
        }
    }

    @Benchmark
    public Object normal() {
        Tensor z = torch.randn(new long[] {size}, options);
        z.close();
        return z;
    }
}
