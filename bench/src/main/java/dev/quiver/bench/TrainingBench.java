package dev.quiver.bench;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Losses;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.optimizers.Nadam;
import dev.quiver.optimizers.Optimizer;
import dev.quiver.optimizers.SGD;
import java.util.List;
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
 * The tutorials' training steps, as steps per second (samples per second = steps x batch; batch "1M" is 2^20):
 * <ul>
 *   <li>{@code linearRegressionBatch64} and {@code linearRegressionBatch1M}: y = 7x + 4 + noise, the batch drawn
 *       on the backend each step, mean squared error, SGD(0.03) — the examples' {@code LinearRegression} step;</li>
 *   <li>{@code polynomialNadam}: a x^2 + b x + c fitted to 20 samples with Nadam(0.1), the examples'
 *       {@code PolynomialRegression} step.</li>
 * </ul>
 * The plain-Java peer is the same model with hand-derived gradients in one fused loop (what a programmer writes
 * without a tensor library). With {@code -Ppeers} the linear regression also runs on {@code torch} (libtorch eager:
 * {@code randn}, {@code mse_loss}, {@code backward}, {@code torch::optim::SGD}, as the PyTorch tutorial writes it)
 * and {@code tf} (TensorFlow Java: the same step as one graph, {@code GradientDescent.minimize}, one session run). Setup trains each model from the tutorials' start and checks that it converged.
 *
 * <pre>{@code
 * bench/run --only 'TrainingBench'
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class TrainingBench {
    public static final double TRUE_W = 7;
    public static final double TRUE_B = 4;
    public static final double LINEAR_RATE = 0.03;
    static final int LINEAR_CHECK_STEPS = 100;

    /**
     * One training step of a model; returns something that depends on it (for the Blackhole). Peers implement it
     * too ({@link Peer#linearRegression}).
     *
     * <pre>{@code
     * TrainingBench.Step step = Kernels.linearRegression("cpu", 64);
     * step.run();
     * double[] wb = step.parameters();
     * }</pre>
     */
    public interface Step {
        Object run();

        /** The trained parameters, for the convergence check. */
        double[] parameters();
    }

    /**
     * Linear regression state for one batch size: the model, its optimizer and its random stream on the engine,
     * trained for {@value #LINEAR_CHECK_STEPS} steps and checked in setup.
     *
     * <pre>{@code
     * bench/run --only 'TrainingBench.linearRegressionBatch64' --engines cpu,java
     * }</pre>
     */
    @State(Scope.Benchmark)
    public abstract static class LinearState {
        @Param({"cpu", "cpu-scalar", "java"})
        public String engine;

        Step step;

        void setUp(int batch) {
            Kernels.prepare(engine);
            step = Kernels.linearRegression(engine, batch);
            for (int i = 0; i < LINEAR_CHECK_STEPS; i++) {
                step.run();
            }
            double[] wb = step.parameters();
            Data.check("linear regression (batch " + batch + ") on " + engine + " after " + LINEAR_CHECK_STEPS
                    + " steps", new double[] {TRUE_W, TRUE_B}, wb, 0.25);
        }
    }

    /** Batch 64, the tutorial's. Example: {@code bench/run --only 'Batch64'}. */
    @State(Scope.Benchmark)
    public static class Batch64 extends LinearState {
        @Setup
        public void setUp() {
            setUp(64);
        }
    }

    /** Batch 2^20: a step dominated by memory traffic. Example: {@code bench/run --only 'Batch1M'}. */
    @State(Scope.Benchmark)
    public static class Batch1M extends LinearState {
        @Setup
        public void setUp() {
            setUp(1 << 20);
        }
    }

    /**
     * The polynomial fit (20 samples, Nadam), trained 2000 steps and checked in setup.
     *
     * <pre>{@code
     * bench/run --only 'TrainingBench.polynomialNadam'
     * }</pre>
     */
    @State(Scope.Benchmark)
    public static class Polynomial {
        @Param({"cpu", "cpu-scalar", "java"})
        public String engine;

        Step step;

        @Setup
        public void setUp() {
            Kernels.prepare(engine);
            if (Engines.isQuiver(engine)) {
                step = quiverPolynomial();
            } else if (engine.equals(Engines.JAVA)) {
                step = javaPolynomial();
            } else {
                throw new UnsupportedOperationException("polynomialNadam has no " + engine + " peer (engines: Quiver's, java)");
            }
            for (int i = 0; i < 2000; i++) {
                step.run();
            }
            Data.check("polynomial regression on " + engine + " after 2000 steps", new double[] {1, 2, 3},
                    step.parameters(), 0.05);
        }
    }

    @Benchmark
    public Object linearRegressionBatch64(Batch64 state) {
        return state.step.run();
    }

    @Benchmark
    public Object linearRegressionBatch1M(Batch1M state) {
        return state.step.run();
    }

    @Benchmark
    public Object polynomialNadam(Polynomial state) {
        return state.step.run();
    }

    // ---------------------------------------------------------------- Quiver: the examples' loops

    static Step quiverLinear(int batch) {
        RandomGenerator random = new RandomGenerator(42);
        Variable w = new Variable(Tensor.scalar(10), "w");
        Variable b = new Variable(Tensor.scalar(1), "b");
        List<Variable> parameters = List.of(w, b);
        Optimizer sgd = new SGD(LINEAR_RATE);
        return new Step() {
            @Override
            public Object run() {
                Tensor x = random.normal(Shape.of(batch, 1));
                Tensor noise = random.normal(Shape.of(batch, 1), 0, 1, DType.FLOAT32);
                Tensor y = x.mul(TRUE_W).add(TRUE_B).add(noise);
                try (GradientTape tape = new GradientTape()) {
                    Tensor loss = Losses.meanSquaredError(y, x.mul(w).add(b));
                    sgd.applyGradients(tape.gradient(loss, parameters), parameters);
                }
                w.backend().synchronize();
                return w;
            }

            @Override
            public double[] parameters() {
                return new double[] {w.doubleValue(), b.doubleValue()};
            }
        };
    }

    static Step quiverPolynomial() {
        RandomGenerator random = new RandomGenerator(42);
        Tensor x = random.uniform(Shape.of(20, 1), -10, 10, DType.FLOAT32);
        Tensor y = x.square().add(x.mul(2)).add(3);
        Tensor features = Tensor.concat(List.of(x.square(), x, Tensor.onesLike(x)), 1);
        Variable weights = new Variable(random.normal(Shape.of(3, 1)), "w");
        List<Variable> parameters = List.of(weights);
        Optimizer nadam = new Nadam(0.1);
        return new Step() {
            @Override
            public Object run() {
                try (GradientTape tape = new GradientTape()) {
                    Tensor loss = Losses.sumSquaredError(y, features.matmul(weights));
                    nadam.applyGradients(tape.gradient(loss, parameters), parameters);
                }
                weights.backend().synchronize();
                return weights;
            }

            @Override
            public double[] parameters() {
                return weights.toDoubleArray();
            }
        };
    }

    // ---------------------------------------------------------------- plain Java: the same models by hand

    static Step javaLinear(int batch) {
        SplittableRandom random = new SplittableRandom(42);
        float[] x = new float[batch];
        float[] y = new float[batch];
        return new Step() {
            float w = 10;
            float b = 1;

            @Override
            public Object run() {
                for (int i = 0; i < batch; i++) {
                    x[i] = (float) random.nextGaussian();
                    y[i] = (float) (TRUE_W * x[i] + TRUE_B + random.nextGaussian());
                }
                // d/dw mean((w x + b - y)^2) = mean(2 (w x + b - y) x), likewise for b
                float gradientW = 0;
                float gradientB = 0;
                for (int i = 0; i < batch; i++) {
                    float error = w * x[i] + b - y[i];
                    gradientW += 2 * error * x[i];
                    gradientB += 2 * error;
                }
                w -= (float) (LINEAR_RATE * gradientW / batch);
                b -= (float) (LINEAR_RATE * gradientB / batch);
                return w;
            }

            @Override
            public double[] parameters() {
                return new double[] {w, b};
            }
        };
    }

    static Step javaPolynomial() {
        SplittableRandom random = new SplittableRandom(42);
        int samples = 20;
        float[][] features = new float[samples][3];
        float[] y = new float[samples];
        for (int i = 0; i < samples; i++) {
            float x = (float) (random.nextDouble() * 20 - 10);
            features[i] = new float[] {x * x, x, 1};
            y[i] = x * x + 2 * x + 3;
        }
        return new Step() {
            final float[] weights = {(float) random.nextGaussian(), (float) random.nextGaussian(),
                    (float) random.nextGaussian()};
            final float[] m = new float[3];
            final float[] v = new float[3];
            final float[] gradient = new float[3];
            double uProduct = 1;
            long step;

            double u(long t) {
                return 0.9 * (1 - 0.5 * Math.pow(0.96, t));
            }

            @Override
            public Object run() {
                // loss = sum (F w - y)^2, gradient = 2 F^T (F w - y)
                java.util.Arrays.fill(gradient, 0);
                for (int i = 0; i < samples; i++) {
                    float[] f = features[i];
                    float residual = f[0] * weights[0] + f[1] * weights[1] + f[2] * weights[2] - y[i];
                    for (int j = 0; j < 3; j++) {
                        gradient[j] += 2 * residual * f[j];
                    }
                }
                // Nadam with Keras' formulas, as dev.quiver.optimizers.Nadam documents them
                step++;
                double uT = u(step);
                double uNext = u(step + 1);
                uProduct *= uT;
                double uProductNext = uProduct * uNext;
                for (int j = 0; j < 3; j++) {
                    float g = gradient[j];
                    m[j] += (g - m[j]) * 0.1f;
                    v[j] += (g * g - v[j]) * 0.001f;
                    double mHat = uNext * m[j] / (1 - uProductNext) + (1 - uT) * g / (1 - uProduct);
                    double vHat = v[j] / (1 - Math.pow(0.999, step));
                    weights[j] -= (float) (0.1 * mHat / (Math.sqrt(vHat) + 1e-7));
                }
                return weights;
            }

            @Override
            public double[] parameters() {
                return JavaKernels.widen(weights);
            }
        };
    }
}
