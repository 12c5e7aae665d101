package dev.quiver.bench;

import dev.quiver.DType;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.spi.Philox;
import dev.quiver.spi.RandomDistribution;
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
 * A standard-normal draw of {@code size} elements, as a user writes it ({@code Tensor.randomNormal}, result
 * allocated and closed, a new seed each call). The plain-Java peer fills a preallocated array with
 * {@link java.util.SplittableRandom#nextGaussian()} (the JDK's ziggurat); with {@code -Ppeers}, {@code torch-1t} is
 * libtorch's {@code torch::randn} and {@code tf-1t} TensorFlow's {@code RandomStandardNormal}, each on one thread.
 * Reported in ms per draw (the score is draws per second, like every other benchmark, so ratios read alike).
 *
 * <p>Setup checks every engine's draw statistically (mean and standard deviation of 1M values within 0.01 of 0 and
 * 1: ten standard errors) and Quiver's bit for bit against the Philox reference.
 *
 * <pre>{@code
 * bench/run --only 'RandomBench' --engines cpu-1t,cpu-scalar,java
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
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

    private Kernel normal;

    @Setup
    public void setUp() {
        Kernels.prepare(engine);
        boolean float64 = "float64".equals(dtype);
        normal = Kernels.normal(engine, float64, size);
        Object first = normal.run();
        checkMoments("normal draw " + dtype + " on " + engine, normal.read(first));
        normal.release(first);
        if (Engines.isQuiver(engine)) {
            checkPhilox(float64);
        }
    }

    /** A draw whose mean or standard deviation is off by more than 0.01 is not a standard normal draw. */
    static void checkMoments(String what, double[] values) {
        double sum = 0;
        double squares = 0;
        for (double v : values) {
            sum += v;
            squares += v * v;
        }
        double mean = sum / values.length;
        double std = Math.sqrt(squares / values.length - mean * mean);
        Data.check(what + " (mean, standard deviation)", new double[] {0, 1}, new double[] {mean, std}, 0.01);
    }

    /** Quiver's stream is a contract: a fast wrong stream cannot win. */
    private void checkPhilox(boolean float64) {
        DType type = float64 ? DType.FLOAT64 : DType.FLOAT32;
        try (Tensor z = Tensor.randomNormal(Shape.of(size), 0, 1, 99, type)) {
            double[] values = z.toDoubleArray();
            for (int i = 0; i < size; i += 997) {
                double expected = float64
                        ? Philox.sampleDouble(RandomDistribution.NORMAL, 99, i, 0, 1)
                        : Philox.sampleFloat(RandomDistribution.NORMAL, 99, i, 0, 1);
                if (values[i] != expected) {
                    throw new AssertionError("normal draw on " + engine + ": element " + i + " is " + values[i]
                            + ", the Philox reference " + expected);
                }
            }
        }
    }

    @Benchmark
    public Object normal() {
        Object result = normal.run();
        normal.release(result);
        return result;
    }
}
