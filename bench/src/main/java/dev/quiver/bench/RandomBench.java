package dev.quiver.bench;

import dev.quiver.DType;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.spi.Philox;
import dev.quiver.spi.RandomDistribution;
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
 * A standard-normal draw of {@code size} elements on one thread, as a user writes it
 * ({@code Tensor.randomNormal}, result allocated and closed). The plain-Java peer fills a preallocated array
 * with {@link SplittableRandom#nextGaussian()} (the JDK's ziggurat). The goal is libtorch's
 * {@code torch.randn} speed (3.6-4.2 ms per 1M float32 measured before this bench existed).
 *
 * <pre>{@code
 * bench/run --only 'RandomBench' --engines cpu-1t,cpu-scalar,java
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class RandomBench {
    @Param({"cpu-1t", "cpu-scalar", "java"})
    public String engine;

    @Param({"float32", "float64"})
    public String dtype;

    @Param({"1048576"})
    public int size;

    private DType type;
    private long seed = 1;
    private float[] floats;
    private double[] doubles;
    private SplittableRandom random;

    @Setup
    public void setUp() {
        type = "float32".equals(dtype) ? DType.FLOAT32 : DType.FLOAT64;
        if ("java".equals(engine)) {
            random = new SplittableRandom(7);
            floats = new float[size];
            doubles = new double[size];
            return;
        }
        Kernels.prepare(engine);
        // a fast wrong stream cannot win: the draw is Philox's reference, bit for bit
        try (Tensor z = Tensor.randomNormal(Shape.of(size), 0, 1, 99, type)) {
            double[] values = z.toDoubleArray();
            for (int i = 0; i < size; i += 997) {
                double expected = type == DType.FLOAT32
                        ? Philox.sampleFloat(RandomDistribution.NORMAL, 99, i, 0, 1)
                        : Philox.sampleDouble(RandomDistribution.NORMAL, 99, i, 0, 1);
                if (values[i] != expected) {
                    throw new AssertionError("normal draw on " + engine + ": element " + i + " is " + values[i]
                            + ", the Philox reference " + expected);
                }
            }
        }
    }

    @Benchmark
    public Object normal() {
        if (random != null) {
            if (type == DType.FLOAT32) {
                for (int i = 0; i < size; i++) {
                    floats[i] = (float) random.nextGaussian();
                }
                return floats;
            }
            for (int i = 0; i < size; i++) {
                doubles[i] = random.nextGaussian();
            }
            return doubles;
        }
        Tensor z = Tensor.randomNormal(Shape.of(size), 0, 1, seed++, type);
        z.close();
        return z;
    }
}
