package dev.quiver.bench;

import dev.quiver.DType;
import dev.quiver.Losses;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.TrainingStep;
import dev.quiver.Variable;
import dev.quiver.optimizers.Nadam;
import dev.quiver.optimizers.SGD;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of compiled training steps ({@link TrainingStep}), in steps per second: the
 * models of {@link TrainingBench} (same data, same optimizers) traced once and replayed, {@value #STEPS} steps per
 * invocation, so {@code TrainingBench}'s eager rows and these compare directly. {@code batchedRegression10k} is
 * K = 10,000 independent lines (batch 64 each) as one step with a leading K axis; a loop of K eager steps costs
 * K x {@code TrainingBench.linearRegressionBatch64}. Setup trains from the tutorials' start and checks convergence.
 *
 * <pre>{@code
 * bench/run --only 'CompiledTrainingBench|TrainingBench' --engines cpu
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class CompiledTrainingBench {
    static final int STEPS = 100;
    static final int PROBLEMS = 10_000;

    /** A compiled step and the parameters that show it converged. */
    @State(Scope.Benchmark)
    public abstract static class Compiled {
        @Param({"cpu"})
        public String engine;

        TrainingStep step;
        Variable[] parameters;

        abstract void build();

        abstract void check();

        @Setup
        public void setUp() {
            if (!Engines.isQuiver(engine)) {
                throw new UnsupportedOperationException("CompiledTrainingBench runs Quiver's backends, not " + engine);
            }
            Kernels.prepare(engine);
            build();
            step.run(300);
            check();
            System.out.println("bench: compiled step on " + engine + ": " + step.callsPerStep()
                    + " backend calls per step (eager " + step.eagerCallsPerStep() + ")\n" + step.describe());
        }

        /** {@value #STEPS} steps, then waits for the device (the eager rows wait after each step). */
        Object runAndWait() {
            TrainingStep.History history = step.run(STEPS);
            parameters[0].backend().synchronize();
            return history;
        }

        @TearDown
        public void tearDown() {
            step.close();
        }
    }

    /** The linear regression of the tutorial, batch drawn inside the step. */
    @State(Scope.Benchmark)
    public abstract static class Linear extends Compiled {
        abstract int batch();

        @Override
        void build() {
            RandomGenerator random = new RandomGenerator(42);
            Variable w = new Variable(Tensor.scalar(10), "w");
            Variable b = new Variable(Tensor.scalar(1), "b");
            parameters = new Variable[] {w, b};
            int n = batch();
            step = TrainingStep.compile(new SGD(TrainingBench.LINEAR_RATE), List.of(w, b), () -> {
                Tensor x = random.normal(Shape.of(n, 1));
                Tensor noise = random.normal(Shape.of(n, 1), 0, 1, DType.FLOAT32);
                Tensor y = x.mul(TrainingBench.TRUE_W).add(TrainingBench.TRUE_B).add(noise);
                return Losses.meanSquaredError(y, x.mul(w).add(b));
            });
        }

        @Override
        void check() {
            Data.check("compiled linear regression (batch " + batch() + ") on " + engine, new double[] {
                    TrainingBench.TRUE_W, TrainingBench.TRUE_B}, new double[] {parameters[0].doubleValue(),
                    parameters[1].doubleValue()}, 0.25);
        }
    }

    /** Batch 64. */
    @State(Scope.Benchmark)
    public static class Batch64 extends Linear {
        @Override
        int batch() {
            return 64;
        }
    }

    /** Batch 2^20. */
    @State(Scope.Benchmark)
    public static class Batch1M extends Linear {
        @Override
        int batch() {
            return 1 << 20;
        }
    }

    /** The polynomial fit with Nadam. */
    @State(Scope.Benchmark)
    public static class Polynomial extends Compiled {
        @Override
        void build() {
            RandomGenerator random = new RandomGenerator(42);
            Tensor x = random.uniform(Shape.of(20, 1), -10, 10, DType.FLOAT32);
            Tensor y = x.square().add(x.mul(2)).add(3);
            Tensor features = Tensor.concat(List.of(x.square(), x, Tensor.onesLike(x)), 1);
            Variable weights = new Variable(random.normal(Shape.of(3, 1)), "w");
            parameters = new Variable[] {weights};
            step = TrainingStep.compile(new Nadam(0.1), List.of(weights),
                    () -> Losses.sumSquaredError(y, features.matmul(weights)));
        }

        @Override
        void check() {
            // 300 steps from a random start: moving toward (1, 2, 3); the full fit is TrainingBench's check
            double[] weights = parameters[0].toDoubleArray();
            for (double value : weights) {
                if (!Double.isFinite(value)) {
                    throw new IllegalStateException("compiled polynomial fit diverged: " + java.util.Arrays.toString(
                            weights));
                }
            }
        }
    }

    /** K = 10,000 independent lines y = w_k x + b_k + noise, batch 64 each, one step over a leading K axis. */
    @State(Scope.Benchmark)
    public static class Batched extends Compiled {
        @Override
        void build() {
            RandomGenerator random = new RandomGenerator(42);
            Tensor trueW = random.uniform(Shape.of(PROBLEMS, 1), -5, 5, DType.FLOAT32);
            Tensor trueB = random.uniform(Shape.of(PROBLEMS, 1), -5, 5, DType.FLOAT32);
            Variable w = new Variable(Tensor.zeros(PROBLEMS, 1), "w");
            Variable b = new Variable(Tensor.zeros(PROBLEMS, 1), "b");
            parameters = new Variable[] {w, b, new Variable(trueW, "trueW", false)};
            step = TrainingStep.compile(new SGD(0.1), List.of(w, b), () -> {
                Tensor x = random.normal(Shape.of(PROBLEMS, 64));
                Tensor y = x.mul(trueW).add(trueB).add(random.normal(Shape.of(PROBLEMS, 64), 0, 0.1, DType.FLOAT32));
                // each problem's own mean squared error, summed: problem k's gradient is its own fit's
                return x.mul(w).add(b).sub(y).square().mean(new int[] {1}, false).sum();
            });
        }

        @Override
        void check() {
            float[] w = parameters[0].toFloatArray();
            float[] truth = parameters[2].toFloatArray();
            double worst = 0;
            for (int k = 0; k < w.length; k++) {
                worst = Math.max(worst, Math.abs(w[k] - truth[k]));
            }
            if (!(worst < 0.1)) {
                throw new IllegalStateException("batched regression: max |w_k - true w_k| = " + worst);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Object linearRegressionBatch64(Batch64 state) {
        return state.runAndWait();
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Object linearRegressionBatch1M(Batch1M state) {
        return state.runAndWait();
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Object polynomialNadam(Polynomial state) {
        return state.runAndWait();
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public Object batchedRegression10k(Batched state) {
        return state.runAndWait();
    }
}
