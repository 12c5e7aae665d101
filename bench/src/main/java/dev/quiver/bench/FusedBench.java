package dev.quiver.bench;

import dev.quiver.DType;
import dev.quiver.Quiver;
import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The regression step's elementwise chain {@code (x * w + b - y)^2} on the CPU backend, float32, as one fused kernel
 * ({@code CpuBackend.fused}: one pass over x and y, no temporaries) against the same four steps as separate backend
 * calls ({@code FusedElementwise.runUnfused}: a pooled temporary per step, what eager execution does). w and b are host
 * scalars, as {@code x.mul(7.0)} passes them. The backend runs at the JVM's SIMD width on all cores (the parallel
 * paths start at 2^20 elements). {@code @Setup} checks that both give the same bits.
 *
 * <pre>{@code
 * ./mvnw -B -q package -pl bench -am -DskipTests
 * java -cp "bench/target/classes:bench/target/lib/*" org.openjdk.jmh.Main FusedBench -f 1 -wi 2 -i 3
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class FusedBench {
    @Param({"64", "1048576"})
    public int size;

    @Param({"fused", "unfused"})
    public String mode;

    private Backend backend;
    private FusedElementwise kernel;
    private StridedView[] inputs;
    private StridedView[] outputs;

    @Setup(Level.Trial)
    public void setUp() {
        Kernels.prepare("cpu");
        backend = Quiver.use("cpu");
        if (!backend.runsFusedKernels()) {
            throw new IllegalStateException("fused bench: " + backend.name() + " does not run fused kernels");
        }
        DType f32 = DType.FLOAT32;
        kernel = new FusedElementwise(List.of(f32, f32, f32, f32), List.of(
                new FusedElementwise.Step(Primitive.MUL, new int[] {0, 1}, f32),    // 4 = x * w
                new FusedElementwise.Step(Primitive.ADD, new int[] {4, 2}, f32),    // 5 = 4 + b
                new FusedElementwise.Step(Primitive.SUB, new int[] {5, 3}, f32),    // 6 = 5 - y
                new FusedElementwise.Step(Primitive.MUL, new int[] {6, 6}, f32)),   // 7 = 6 * 6
                new int[] {7});
        StridedView x = StridedView.contiguous(backend.upload(Data.floats(size, 1)), size);
        StridedView y = StridedView.contiguous(backend.upload(Data.floats(size, 2)), size);
        inputs = new StridedView[] {x, HostScalar.of(f32, 7.0).broadcast(size), HostScalar.of(f32, 4.0).broadcast(size), y};
        outputs = new StridedView[] {StridedView.contiguous(backend.allocate(f32, size), size)};
        DeviceBuffer reference = backend.allocate(f32, size);
        FusedElementwise.runUnfused(backend, kernel, inputs, new StridedView[] {StridedView.contiguous(reference, size)});
        run();
        float[] expected = (float[]) backend.download(reference, 0, size);
        float[] actual = (float[]) backend.download(outputs[0].buffer(), 0, size);
        for (int i = 0; i < size; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new IllegalStateException("fused bench: element " + i + " fused " + actual[i] + " unfused "
                        + expected[i]);
            }
        }
        reference.release();
    }

    @Benchmark
    public Object run() {
        if (mode.equals("fused")) {
            backend.fused(kernel, inputs, outputs);
        } else {
            FusedElementwise.runUnfused(backend, kernel, inputs, outputs);
        }
        return outputs;
    }
}
