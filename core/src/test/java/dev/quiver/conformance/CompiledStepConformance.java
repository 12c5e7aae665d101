package dev.quiver.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.CompiledFunction;
import dev.quiver.DType;
import dev.quiver.Losses;
import dev.quiver.Quiver;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.TestAccess;
import dev.quiver.TrainingStep;
import dev.quiver.Variable;
import dev.quiver.optimizers.Adam;
import dev.quiver.optimizers.Nadam;
import dev.quiver.optimizers.Optimizer;
import dev.quiver.optimizers.SGD;
import dev.quiver.spi.Backend;
import dev.quiver.spi.StridedView;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Compiled training steps ({@link TrainingStep}) against the eager loop they were traced from: the same numbers (bit
 * for bit without fusion, within float rounding with it), the random stream continued at every replay, history
 * buffers, a replay that allocates nothing, and the errors of what cannot be traced.
 */
public abstract class CompiledStepConformance extends BackendConformance {
    private static final int STEPS = 12;

    /** Linear regression y = 7x + 4 + noise from w = 10, b = 1, with the batch drawn inside the step. */
    private record LinearRegression(Variable w, Variable b, RandomGenerator random, int batch) {
        static LinearRegression fresh(int batch) {
            return new LinearRegression(Variable.of(10.0f, "w"), Variable.of(1.0f, "b"), new RandomGenerator(7), batch);
        }

        Tensor loss() {
            Tensor x = random.normal(batch, 1);
            Tensor y = x.mul(7.0).add(4.0).add(random.normal(batch, 1).mul(0.5));
            return Losses.meanSquaredError(y, x.mul(w).add(b));
        }
    }

    /** The quadratic fit of the tutorial with Nadam: fixed data, three coefficients. */
    private record Quadratic(Variable a, Variable b, Variable c, Tensor x, Tensor y) {
        static Quadratic fresh(DType dtype) {
            Tensor x = Tensor.linspace(-2, 2, 37, dtype);
            Tensor y = x.square().mul(3.0).sub(x.mul(2.0)).add(1.0);
            return new Quadratic(new Variable(Tensor.scalar(0.5, dtype), "a"),
                    new Variable(Tensor.scalar(0.25, dtype), "b"), new Variable(Tensor.scalar(-0.5, dtype), "c"), x, y);
        }

        Tensor loss() {
            return Losses.meanSquaredError(y, x.square().mul(a).add(x.mul(b)).add(c));
        }
    }

    private static float[] eagerLosses(Optimizer optimizer, List<Variable> variables, Supplier<Tensor> loss, int steps,
                                       Map<Variable, float[]> values) {
        float[] losses = new float[steps];
        for (Map.Entry<Variable, float[]> entry : values.entrySet()) {
            assertEquals(steps * entry.getKey().size(), entry.getValue().length);
        }
        for (int i = 0; i < steps; i++) {
            losses[i] = optimizer.minimize(loss, variables).floatValue();
            for (Map.Entry<Variable, float[]> entry : values.entrySet()) {
                float[] now = entry.getKey().toFloatArray();
                System.arraycopy(now, 0, entry.getValue(), i * now.length, now.length);
            }
        }
        return losses;
    }

    @Test
    void unfusedReplayOfLinearRegressionGivesTheEagerBitsWithTheStreamContinued() {
        LinearRegression eager = LinearRegression.fresh(64);
        float[] eagerW = new float[STEPS];
        float[] eagerB = new float[STEPS];
        float[] eagerLoss = eagerLosses(new SGD(0.03), List.of(eager.w, eager.b), eager::loss, STEPS,
                Map.of(eager.w, eagerW, eager.b, eagerB));

        LinearRegression compiled = LinearRegression.fresh(64);
        try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(compiled.w, compiled.b), compiled::loss,
                false)) {
            TrainingStep.History history = step.run(STEPS, compiled.w, compiled.b);
            assertArrayEquals(eagerLoss, history.losses().toFloatArray(), "losses, step by step");
            assertArrayEquals(eagerW, history.of(compiled.w).toFloatArray(), "w, step by step");
            assertArrayEquals(eagerB, history.of(compiled.b).toFloatArray(), "b, step by step");
            assertEquals(eager.random.position(), compiled.random.position(), "the stream moved on as in the eager loop");
            // a second run continues where the first stopped
            float eagerNext = new SGD(0.03).minimize(eager::loss, List.of(eager.w, eager.b)).floatValue();
            TrainingStep.History next = step.run(1, compiled.w);
            assertEquals(eagerNext, next.losses().floatValue(), "the next run's loss");
            assertEquals(eager.w.floatValue(), next.of(compiled.w).floatValue(), "w after the next run");
        }
    }

    @Test
    void fusedReplayOfLinearRegressionMatchesEagerWithinRounding() {
        LinearRegression eager = LinearRegression.fresh(1001);
        float[] eagerW = new float[STEPS];
        float[] eagerLoss = eagerLosses(new SGD(0.03), List.of(eager.w, eager.b), eager::loss, STEPS,
                Map.of(eager.w, eagerW));
        LinearRegression compiled = LinearRegression.fresh(1001);
        try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(compiled.w, compiled.b), compiled::loss)) {
            TrainingStep.History history = step.run(STEPS, compiled.w);
            float[] w = history.of(compiled.w).toFloatArray();
            float[] loss = history.losses().toFloatArray();
            for (int i = 0; i < STEPS; i++) {
                assertEquals(eagerW[i], w[i], 1e-5 * Math.abs(eagerW[i]), "w at step " + i);
                assertEquals(eagerLoss[i], loss[i], 1e-5 * Math.abs(eagerLoss[i]), "loss at step " + i);
            }
            assertTrue(step.callsPerStep() < step.eagerCallsPerStep() || !Quiver.backend().runsFusedKernels(),
                    step.describe());
        }
    }

    @Test
    void theFusionPassKeepsTheNumbersWhateverTheBackendsFusedKernels() {
        // fused kernels run by the SPI's slow twin: what the fusion pass groups must compute what the eager calls did
        CountingBackend fusing = new CountingBackend(Quiver.backend(), true);
        for (boolean nadam : new boolean[] {false, true}) {
            Variable eagerW = new Variable(TestAccess.on(fusing, new float[] {0.5f, -1, 2}), "w");
            Variable eagerB = new Variable(TestAccess.on(fusing, 1.0f), "b");
            Variable w = new Variable(TestAccess.on(fusing, new float[] {0.5f, -1, 2}), "w");
            Variable b = new Variable(TestAccess.on(fusing, 1.0f), "b");
            Tensor x = TestAccess.on(fusing, new float[][] {{1, 2, 3}, {-1, 0.5f, 2}, {0, -2, 1}, {3, 1, -1},
                    {0.25f, 0.5f, -0.75f}});
            Tensor y = TestAccess.on(fusing, new float[] {1, -2, 0.5f, 3, 0});
            Function<List<Variable>, Supplier<Tensor>> model = vs -> () -> Losses.meanSquaredError(y,
                    x.matmul(vs.get(0).reshape(3, 1)).reshape(5).add(vs.get(1)).tanh().mul(2.0).sub(0.5));
            Optimizer eagerOptimizer = nadam ? new Nadam(0.1) : new SGD(0.1, 0.9, true);
            float[] eagerLoss = eagerLosses(eagerOptimizer, List.of(eagerW, eagerB), model.apply(List.of(eagerW,
                    eagerB)), STEPS, Map.of());
            try (TrainingStep step = TrainingStep.compile(nadam ? new Nadam(0.1) : new SGD(0.1, 0.9, true),
                    List.of(w, b), model.apply(List.of(w, b)))) {
                float[] loss = step.run(STEPS).losses().toFloatArray();
                for (int i = 0; i < STEPS; i++) {
                    assertEquals(eagerLoss[i], loss[i], 2e-6 * Math.abs(eagerLoss[i]), "loss at step " + i);
                }
                assertArrayEquals(eagerW.toFloatArray(), w.toFloatArray(), 2e-6f, "w after the steps");
                assertTrue(step.callsPerStep() < step.eagerCallsPerStep(), step.describe());
                System.out.println((nadam ? "Nadam" : "SGD") + " step, fusion by the slow twin on "
                        + fusing.name() + ":\n" + step.describe());
            }
        }
    }

    @Test
    void adamAndNadamKeepTheirStepStateOnTheDeviceSoReplaysMatchTheEagerLoop() {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            for (Function<Double, Optimizer> make : List.<Function<Double, Optimizer>>of(Nadam::new, Adam::new)) {
                Quadratic eager = Quadratic.fresh(dtype);
                Optimizer eagerOptimizer = make.apply(0.05);
                List<Variable> eagerVariables = List.of(eager.a, eager.b, eager.c);
                double[] eagerA = new double[STEPS];
                for (int i = 0; i < STEPS; i++) {
                    eagerOptimizer.minimize(eager::loss, eagerVariables);
                    eagerA[i] = eager.a.doubleValue();
                }
                Quadratic compiled = Quadratic.fresh(dtype);
                Optimizer optimizer = make.apply(0.05);
                try (TrainingStep step = TrainingStep.compile(optimizer, List.of(compiled.a, compiled.b, compiled.c),
                        compiled::loss, false)) {
                    double[] a = step.run(STEPS, compiled.a).of(compiled.a).toDoubleArray();
                    assertArrayEquals(eagerA, a, optimizer.getClass().getSimpleName() + " " + dtype);
                    assertEquals(STEPS, optimizer.iterations(), "replays count as steps");
                }
            }
        }
    }

    @Test
    void aNewLearningRateReachesTheReplaysWithoutTracingAgain() {
        LinearRegression eager = LinearRegression.fresh(32);
        SGD eagerOptimizer = new SGD(0.05);
        LinearRegression compiled = LinearRegression.fresh(32);
        SGD optimizer = new SGD(0.05);
        try (TrainingStep step = TrainingStep.compile(optimizer, List.of(compiled.w, compiled.b), compiled::loss,
                false)) {
            for (double rate : new double[] {0.05, 0.01, 0.2}) {
                eagerOptimizer.setLearningRate(rate);
                optimizer.setLearningRate(rate);
                for (int i = 0; i < 4; i++) {
                    eagerOptimizer.minimize(eager::loss, List.of(eager.w, eager.b));
                }
                step.run(4);
                assertEquals(eager.w.floatValue(), compiled.w.floatValue(), "w after 4 steps at rate " + rate);
            }
            assertThrows(IllegalArgumentException.class, () -> optimizer.setLearningRate(-1));
            assertEquals(0.2, optimizer.learningRate(), "a rejected rate changes nothing");
        }
    }

    @Test
    void aReplayAllocatesNothingAndMakesFewerCallsThanTheEagerStep() {
        CountingBackend counting = new CountingBackend(Quiver.backend());
        Variable w = new Variable(TestAccess.on(counting, 10.0f), "w");
        Variable b = new Variable(TestAccess.on(counting, 1.0f), "b");
        Tensor x = TestAccess.on(counting, new float[] {-1.5f, -0.5f, 0.25f, 1, 2.5f});
        Tensor y = x.mul(7.0).add(4.0);
        try (TrainingStep step = TrainingStep.compile(new Nadam(0.1), List.of(w, b),
                () -> Losses.meanSquaredError(y, x.mul(w).add(b)))) {
            step.run(3);
            counting.reset();
            step.run(5);
            Map<String, Integer> calls = counting.calls();
            assertEquals(0, calls.getOrDefault("allocate", 0) - 1, "a run allocates its loss history only: " + calls);
            assertEquals(5 * step.callsPerStep() + 5, counting.total() - 1, "calls of 5 replays (and the history "
                    + "copy per step): " + calls + "\n" + step.describe());
            assertTrue(step.callsPerStep() <= step.eagerCallsPerStep(), step.describe());
        }
    }

    @Test
    void aStepFedBatchesBindsThemAndTracesOncePerBatchShape() {
        RandomGenerator data = new RandomGenerator(5);
        Variable eagerW = Variable.of(10.0f, "w");
        Variable eagerB = Variable.of(1.0f, "b");
        Variable w = Variable.of(10.0f, "w");
        Variable b = Variable.of(1.0f, "b");
        SGD eagerOptimizer = new SGD(0.05);
        try (TrainingStep step = TrainingStep.compile(new SGD(0.05), List.of(w, b),
                batch -> Losses.meanSquaredError(batch.get(1), batch.get(0).mul(w).add(b)), false)) {
            for (int size : new int[] {16, 16, 16, 16, 9, 16, 9, 9}) {
                Tensor x = data.normal(size, 1);
                Tensor y = x.mul(7.0).add(4.0);
                float eagerLoss = eagerOptimizer.minimize(() -> Losses.meanSquaredError(y, x.mul(eagerW).add(eagerB)),
                        List.of(eagerW, eagerB)).floatValue();
                assertEquals(eagerLoss, step.step(x, y).floatValue(), "loss of a batch of " + size);
                assertEquals(eagerW.floatValue(), w.floatValue(), "w after a batch of " + size);
            }
        }
    }

    @Test
    void aBatchPassedTwiceIsItsOwnSignatureSoLaterDistinctBatchesBindApart() {
        Variable eagerW = Variable.of(2.0f, "w");
        Variable w = Variable.of(2.0f, "w");
        SGD eagerOptimizer = new SGD(0.1);
        try (TrainingStep step = TrainingStep.compile(new SGD(0.1), List.of(w),
                batch -> batch.get(0).mul(w).sub(batch.get(1)).square().mean(), false)) {
            Tensor same = Tensor.of(new float[] {1, 2, 3});
            Tensor x = Tensor.of(new float[] {1, -1, 0.5f});
            Tensor y = Tensor.of(new float[] {4, 0, 2});
            for (Tensor[] batch : new Tensor[][] {{same, same}, {same, same}, {same, same}, {x, y}, {x, y}}) {
                float eager = eagerOptimizer.minimize(() -> batch[0].mul(eagerW).sub(batch[1]).square().mean(),
                        List.of(eagerW)).floatValue();
                assertEquals(eager, step.step(batch[0], batch[1]).floatValue());
                assertEquals(eagerW.floatValue(), w.floatValue());
            }
        }
    }

    @Test
    void whatCannotBeReplayedIsRefusedWhileTracingNamingTheMethod() {
        Variable w = Variable.of(2.0f, "w");
        Tensor x = Tensor.of(new float[] {1, 2, 3});
        try (TrainingStep step = TrainingStep.compile(new SGD(0.1), List.of(w), () -> {
            Tensor loss = x.mul(w).square().mean();
            if (loss.floatValue() > 1e9) { // a host decision on a device value
                throw new AssertionError("unreachable");
            }
            return loss;
        })) {
            step.run(1); // the eager step may read
            IllegalStateException error = assertThrows(IllegalStateException.class, () -> step.run(1));
            assertTrue(error.getMessage().contains("floatValue") && error.getMessage().contains("compiled step"),
                    error.getMessage());
        }
        try (TrainingStep step = TrainingStep.compile(new SGD(0.1), List.of(w), () -> {
            Variable inside = new Variable(x);
            return inside.mul(w).sum();
        })) {
            step.run(1);
            IllegalStateException error = assertThrows(IllegalStateException.class, () -> step.run(1));
            assertTrue(error.getMessage().contains("Variable") && error.getMessage().contains("inside a compiled step"),
                    error.getMessage());
        }
    }

    // ---------------------------------------------------------------- compiled functions

    /** A random graph of table ops with broadcasting, reductions, views and matmul over three inputs. */
    private static List<Tensor> randomGraph(long seed, List<Tensor> in) {
        java.util.Random random = new java.util.Random(seed);
        List<Tensor> values = new java.util.ArrayList<>(in);
        for (int i = 0; i < 14; i++) {
            Tensor x = values.get(random.nextInt(values.size()));
            Tensor y = values.get(random.nextInt(values.size()));
            boolean fits = x.shape().equals(y.shape()) || x.rank() == 2 && y.rank() <= 2
                    && (y.rank() < 2 || y.shape().dim(0) == 1 || y.shape().dim(0) == x.shape().dim(0))
                    && (y.rank() < 1 || y.shape().dim(-1) == 1 || y.shape().dim(-1) == x.shape().dim(-1));
            Tensor next = switch (random.nextInt(12)) {
                case 0 -> x.tanh();
                case 1 -> x.mul(0.5).exp();
                case 2 -> x.abs().sqrt().add(0.25);
                case 3 -> fits ? x.add(y) : x.neg();
                case 4 -> fits ? x.mul(y) : x.sin();
                case 5 -> fits ? x.sub(y).mul(1.5) : x.square();
                case 6 -> fits ? x.maximum(y) : x.cos();
                case 7 -> fits ? Tensor.where(x.greater(y), x, y.mul(-1.0)) : x.abs().log1p();
                case 8 -> x.rank() == 2 ? x.sum(new int[] {random.nextInt(2)}, true) : x.mul(3.0);
                case 9 -> x.rank() == 2 ? x.mean(random.nextInt(2)) : x.sub(1.0);
                case 10 -> x.rank() == 2 ? x.transpose().matmul(x).div(10.0) : x.div(y.abs().add(1.0).max());
                default -> fits ? x.div(y.abs().add(1.0)) : x.relu();
            };
            values.add(next);
        }
        return List.of(values.get(values.size() - 1), values.get(values.size() - 3).sum(), values.get(5));
    }

    /**
     * Random models trained by random optimizers: the loss of a random graph (table ops with broadcasting, reductions
     * over either axis, means, matmul) of three variables, compiled, against the eager loop, with the backend's fused
     * kernels and with the fusion pass's groups run by the slow twin: the hoisting, postponing, sibling reductions and
     * uniform computations of the pass must keep every value and every in-place update of the step.
     */
    @Test
    void compiledStepsOfRandomModelsAgreeWithTheEagerLoop() {
        java.util.Random data = new java.util.Random(21);
        float[][] x = new float[5][7];
        float[] y = new float[5];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 7; j++) {
                x[i][j] = (float) data.nextGaussian();
            }
            y[i] = (float) data.nextGaussian();
        }
        for (boolean slowTwin : new boolean[] {false, true}) {
            CountingBackend backend = new CountingBackend(Quiver.backend(), slowTwin);
            Tensor inputs = TestAccess.on(backend, x);
            Tensor targets = TestAccess.on(backend, y).reshape(5, 1);
            for (long seed = 0; seed < randomModels(); seed++) {
                long graph = seed;
                Function<List<Variable>, Supplier<Tensor>> model = vs -> () -> {
                    Tensor prediction = inputs.matmul(vs.get(0)).add(vs.get(1));
                    List<Tensor> outputs = randomGraph(graph, List.of(inputs.mul(vs.get(2)), vs.get(2), prediction));
                    return Losses.meanSquaredError(targets, prediction).add(outputs.get(0).tanh().mean().mul(0.1))
                            .add(outputs.get(1).tanh().mul(0.01)).add(outputs.get(2).square().mean().mul(0.01));
                };
                Function<Long, Optimizer> optimizer = s -> switch ((int) (s % 3)) {
                    case 0 -> new SGD(0.01, 0.9, true);
                    case 1 -> new Adam(0.01);
                    default -> new Nadam(0.01);
                };
                List<Variable> eager = variables(backend, seed);
                float[] eagerLoss = eagerLosses(optimizer.apply(seed), eager, model.apply(eager), 6, Map.of());
                List<Variable> compiled = variables(backend, seed);
                try (TrainingStep step = TrainingStep.compile(optimizer.apply(seed), compiled, model.apply(compiled))) {
                    float[] loss = step.run(6).losses().toFloatArray();
                    String what = "model " + graph + (slowTwin ? " (slow-twin fusion)" : "") + "\n" + step.describe();
                    for (int i = 0; i < loss.length; i++) {
                        assertEquals(eagerLoss[i], loss[i], 1e-4 * Math.max(1, Math.abs(eagerLoss[i])),
                                "loss at step " + i + " of " + what);
                    }
                    for (int v = 0; v < eager.size(); v++) {
                        assertClose(eager.get(v), compiled.get(v), "variable " + v + " of " + what);
                    }
                }
            }
        }
    }

    /**
     * How many random models {@link #compiledStepsOfRandomModelsAgreeWithTheEagerLoop} trains: each builds a few fused
     * kernels, which a backend that compiles a program per kernel (PoCL: ~0.5 s each) pays for in test time.
     */
    protected int randomModels() {
        return 12;
    }

    /** W (7, 1), b (1, 1) and a row scale s (1, 7), drawn from {@code seed}. */
    private static List<Variable> variables(CountingBackend backend, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[][] w = new float[7][1];
        float[][] s = new float[1][7];
        for (int j = 0; j < 7; j++) {
            w[j][0] = (float) random.nextGaussian() * 0.5f;
            s[0][j] = 1 + (float) random.nextGaussian() * 0.1f;
        }
        return List.of(new Variable(TestAccess.on(backend, w), "W"),
                new Variable(TestAccess.on(backend, new float[][] {{0.25f}}), "b"),
                new Variable(TestAccess.on(backend, s), "s"));
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.cast(DType.FLOAT64).toDoubleArray();
        double[] a = actual.cast(DType.FLOAT64).toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-5 * Math.max(1, Math.abs(e[i])), what + " element " + i);
        }
    }

    @Test
    void compiledFunctionsOfRandomGraphsAgreeWithEagerAndReplayNewInputs() {
        for (boolean slowTwin : new boolean[] {false, true}) {
            CountingBackend backend = new CountingBackend(Quiver.backend(), slowTwin);
            RandomGenerator data = new RandomGenerator(11);
            for (long seed = 0; seed < 25; seed++) {
                long graph = seed;
                CompiledFunction compiled = Quiver.function(in -> randomGraph(graph, in));
                for (int call = 0; call < 3; call++) {
                    List<Tensor> inputs = List.of(TestAccess.on(backend, data.normal(5, 7).toFloatArray()).reshape(5, 7),
                            TestAccess.on(backend, data.normal(1, 7).toFloatArray()).reshape(1, 7),
                            TestAccess.on(backend, data.normal(5, 1).toFloatArray()).reshape(5, 1));
                    List<Tensor> eager = randomGraph(graph, inputs);
                    List<Tensor> outputs = compiled.call(inputs);
                    for (int i = 0; i < eager.size(); i++) {
                        assertClose(eager.get(i), outputs.get(i), "graph " + graph + " call " + call + " output " + i
                                + (slowTwin ? " (slow-twin fusion)" : "") + "\n" + compiled.describe());
                    }
                }
                assertEquals(1, compiled.tracedSignatures(), "one signature, traced once");
                compiled.close();
            }
        }
    }

    @Test
    void anElementwiseChainFeedingASumBecomesOneFusedReduction() {
        CountingBackend fusing = new CountingBackend(Quiver.backend(), true);
        Tensor x = TestAccess.on(fusing, new float[] {1, 2, 3, 4, 5, 6, 7});
        Tensor y = TestAccess.on(fusing, new float[] {0.5f, -1, 2, 8, 1, 0, -3});
        try (CompiledFunction f = Quiver.function(in -> List.of(in.get(0).sub(in.get(1)).square().sum()))) {
            assertEquals(x.sub(y).square().sum().floatValue(), f.call(x, y).getFirst().floatValue(), 1e-5f);
            fusing.reset();
            assertEquals(x.sub(y).square().sum().floatValue(), f.call(x, y).getFirst().floatValue(), 1e-5f);
            assertTrue(f.describe().contains("sum(fused[sub mul])"), f.describe());
            assertEquals(1, fusing.calls().getOrDefault("fusedReduce", 0), "one kernel: " + fusing.calls());
        }
    }

    /**
     * The linear-regression step fuses to one draw (x and the noise follow each other in the stream; none where the
     * backend generates draws in its kernels), one pass over the batch (the loss and both gradients as
     * sibling sums: the scalar 1/n computed per element) and one scalar update; the numbers stay the eager loop's.
     */
    @Test
    void theLinearRegressionStepIsTheDrawsOnePassAndOneUpdate() {
        LinearRegression eager = LinearRegression.fresh(64);
        float[] eagerLoss = eagerLosses(new SGD(0.03), List.of(eager.w, eager.b), eager::loss, STEPS, Map.of());
        LinearRegression compiled = LinearRegression.fresh(64);
        try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(compiled.w, compiled.b),
                compiled::loss)) {
            float[] loss = step.run(STEPS).losses().toFloatArray();
            for (int i = 0; i < STEPS; i++) {
                assertEquals(eagerLoss[i], loss[i], 1e-5 * Math.abs(eagerLoss[i]), "loss at step " + i);
            }
            assertEquals(eager.w.floatValue(), compiled.w.floatValue(), 1e-5f * Math.abs(eager.w.floatValue()));
            String program = step.describe().substring(step.describe().indexOf("compiled ("));
            if (Quiver.backend().runsFusedKernels()) {
                // a backend that fuses draws generates the batch in the pass that reads it: no normal call
                boolean drawsInKernels = Quiver.backend().fusesDraws();
                assertEquals(drawsInKernels ? 2 : 3, step.callsPerStep(), program);
                assertTrue(program.contains("sum,sum,sum(fused["), program);
                assertEquals(!drawsInKernels, program.contains("normal                                  t0[128]"),
                        program);
            }
        }
    }

    /**
     * Draws that follow each other in one stream with the same distribution become one draw, with the bits of the
     * separate draws; a draw of another distribution, a draw the function returns and an unfused program stay apart
     * (and where the backend generates draws in its kernels, only the returned draw is drawn into memory).
     */
    @Test
    void consecutiveDrawsOfOneStreamAreOneDrawWithTheSameBits() {
        for (boolean fuse : new boolean[] {true, false}) {
            RandomGenerator random = new RandomGenerator(5);
            RandomGenerator twin = new RandomGenerator(5);
            Function<RandomGenerator, List<Tensor>> f = r -> {
                Tensor a = r.normal(5, 3);
                Tensor b = r.normal(5, 3);
                Tensor c = r.normal(5, 3).mul(0.5);
                Tensor u = r.uniform(5, 3);
                Tensor kept = r.uniform(5, 3);
                return List.of(a.add(b).sub(c).mul(u), kept);
            };
            try (CompiledFunction compiled = fuse ? Quiver.function(in -> f.apply(random))
                    : Quiver.function(in -> f.apply(random), false)) {
                for (int call = 0; call < 3; call++) {
                    List<Tensor> expected = f.apply(twin);
                    List<Tensor> actual = compiled.call(List.of());
                    for (int i = 0; i < expected.size(); i++) {
                        assertArrayEquals(expected.get(i).toFloatArray(), actual.get(i).toFloatArray(), 0f,
                                "call " + call + " output " + i + "\n" + compiled.describe());
                    }
                }
                String program = compiled.describe();
                long draws = program.lines().filter(line -> line.matches("\\s*\\d+\\s+(normal|uniform)\\s.*")).count();
                boolean merged = fuse && Quiver.backend().runsFusedKernels();
                // a backend that fuses draws generates the merged draw in the kernel: only the returned one is drawn
                boolean drawsInKernels = merged && Quiver.backend().fusesDraws();
                assertEquals(drawsInKernels ? 0 : merged ? 3 : 5, draws, program);
                assertEquals(merged && !drawsInKernels, program.contains("[45] <-"), program);
                assertEquals(drawsInKernels, program.contains(
                        "Drawn[normal(0.0, 1.0) float32 seed 5 from counter + 0]@30"), program);
            }
        }
    }

    /**
     * On a backend that fuses draws, the step's draws are generated in the kernels that read them: the
     * linear-regression step is one pass and one update, with the eager loop's numbers; a draw that a matmul also
     * reads is still written to memory once, for the matmul, by a fused copy of the draw. Every draw reads the stream
     * position from a counter on the device that the step's last call advances, so a run sets it once and then makes
     * the very same calls, view for view, at every step (only the history copy moves to its row).
     */
    @Test
    void drawsAreGeneratedInTheKernelsThatReadThem() {
        CountingBackend fusing = new CountingBackend(Quiver.backend(), true);
        for (boolean matmulReadsTheDraw : new boolean[] {false, true}) {
            float[][] losses = new float[2][];
            float[][] ws = new float[2][];
            String program = "";
            for (int compiled = 0; compiled < 2; compiled++) {
                Variable w = new Variable(TestAccess.on(fusing, 10.0f), "w");
                Variable b = new Variable(TestAccess.on(fusing, 1.0f), "b");
                RandomGenerator random = new RandomGenerator(7);
                Supplier<Tensor> loss = () -> {
                    Tensor x = TestAccess.normal(fusing, random, 64, 1);
                    Tensor y = x.mul(7.0).add(4.0).add(TestAccess.normal(fusing, random, 64, 1).mul(0.5));
                    Tensor error = Losses.meanSquaredError(y, x.mul(w).add(b));
                    return matmulReadsTheDraw ? error.add(x.transpose().matmul(x).mul(1e-3).reshape()) : error;
                };
                if (compiled == 0) {
                    losses[0] = eagerLosses(new SGD(0.03), List.of(w, b), loss, STEPS, Map.of());
                    ws[0] = w.toFloatArray();
                } else {
                    try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(w, b), loss)) {
                        losses[1] = step.run(STEPS).losses().toFloatArray();
                        program = step.describe().substring(step.describe().indexOf("compiled ("));
                        if (!matmulReadsTheDraw) {
                            assertEquals(2, step.callsPerStep(), program);
                        }
                        ws[1] = w.toFloatArray();
                        fusing.recordCalls();
                        step.run(4);
                        // where the backend captured the step (CUDA), the replays are graph launches: no call of
                        // their own (this wrapper's slow twins download the counter, so CUDA refuses to capture them)
                        boolean captured = step.describe().contains("replay: captured");
                        assertSameCallsEveryStep(fusing.recordedCalls(), 4, captured ? 0 : step.callsPerStep(),
                                program);
                    }
                }
            }
            for (int i = 0; i < STEPS; i++) {
                assertEquals(losses[0][i], losses[1][i], 1e-5 * Math.abs(losses[0][i]), "loss at step " + i + "\n"
                        + program);
            }
            assertEquals(ws[0][0], ws[1][0], 1e-5f * Math.abs(ws[0][0]), program);
            long draws = program.lines().filter(line -> line.matches("\\s*\\d+\\s+normal\\s.*")).count();
            assertEquals(0, draws, program);
            long copies = program.lines().filter(line -> line.matches("\\s*\\d+\\s+fused\\[\\]\\s.*")).count();
            assertEquals(matmulReadsTheDraw ? 1 : 0, copies, program);
            assertTrue(program.contains("Drawn[normal(0.0, 1.0) float32 seed 7 from counter + 0]"), program);
        }
    }

    /**
     * On a backend that captures work (a CUDA graph; here a counting wrapper that keeps the calls and runs them at each
     * launch), a compiled step is captured once, after its first replayed step, and launched once per step, with the
     * eager loop's numbers; a later run launches the same capture; a function captures at its second replay. A refused
     * capture, and an unfused program (its draws take their position from the host), replay call by call, and describe
     * says why.
     */
    @Test
    void aStepIsCapturedOnceAndLaunchedOncePerStep() {
        RandomGenerator eagerRandom = new RandomGenerator(11);
        CountingBackend plain = new CountingBackend(Quiver.backend(), true);
        Variable eagerW = new Variable(TestAccess.on(plain, 10.0f), "w");
        Variable eagerB = new Variable(TestAccess.on(plain, 1.0f), "b");
        float[] expected = eagerLosses(new SGD(0.03), List.of(eagerW, eagerB), regression(plain, eagerRandom, eagerW,
                eagerB), STEPS + 5, Map.of());
        for (String refusal : new String[] {null, "no graphs today"}) {
            for (boolean fuse : new boolean[] {true, false}) {
                CountingBackend capturing = new CountingBackend(Quiver.backend(), true).capturingWork(refusal);
                RandomGenerator random = new RandomGenerator(11);
                Variable w = new Variable(TestAccess.on(capturing, 10.0f), "w");
                Variable b = new Variable(TestAccess.on(capturing, 1.0f), "b");
                try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(w, b), regression(capturing,
                        random, w, b), fuse)) {
                    float[] losses = step.run(STEPS).losses().toFloatArray();
                    float[] more = step.run(5).losses().toFloatArray();
                    String what = (fuse ? "fused" : "unfused") + (refusal == null ? "" : ", refused") + "\n"
                            + step.describe();
                    for (int i = 0; i < STEPS + 5; i++) {
                        float actual = i < STEPS ? losses[i] : more[i - STEPS];
                        assertEquals(expected[i], actual, fuse ? 1e-5 * Math.abs(expected[i]) : 0, "loss at step "
                                + i + ": " + what);
                    }
                    int captures = capturing.calls().getOrDefault("capture", 0);
                    int launches = capturing.calls().getOrDefault("launch", 0);
                    if (fuse && refusal == null) {
                        assertEquals(1, captures, what);
                        // the first replayed step runs call by call, the capture is made after it
                        assertEquals(STEPS - 3 + 5, launches, "one launch per replayed step: " + what);
                        assertTrue(step.describe().contains("replay: captured: one graph launch per step"), what);
                    } else if (fuse) {
                        assertEquals(1, captures, "a refused capture is not tried again: " + what);
                        assertEquals(0, launches, what);
                        assertTrue(step.describe().contains("replay: call by call: the capture was refused: "
                                + "no graphs today"), what);
                    } else {
                        assertEquals(0, captures, what);
                        assertTrue(step.describe().contains("replay: call by call: its draws take their stream "
                                + "position from the host"), what);
                    }
                }
            }
        }
        // a function replays one step per call: its second replay captures, later calls launch the capture
        CountingBackend capturing = new CountingBackend(Quiver.backend(), true).capturingWork(null);
        RandomGenerator random = new RandomGenerator(5);
        RandomGenerator twin = new RandomGenerator(5);
        Tensor scale = TestAccess.on(capturing, 2.0f);   // an input on the wrapper: the function runs there
        java.util.function.BiFunction<RandomGenerator, Tensor, List<Tensor>> f = (generator, input) -> List.of(
                TestAccess.normal(capturing, generator, 8, 1).mul(input).add(1.0));
        try (CompiledFunction compiled = Quiver.function(in -> f.apply(random, in.getFirst()))) {
            for (int call = 0; call < 5; call++) {
                float[] expectedValues = f.apply(twin, scale).getFirst().toFloatArray();
                assertArrayEquals(expectedValues, compiled.call(List.of(scale)).getFirst().toFloatArray(), 0f,
                        "call " + call + "\n" + compiled.describe());
            }
            assertEquals(1, capturing.calls().getOrDefault("capture", 0), compiled.describe());
            assertEquals(3, capturing.calls().getOrDefault("launch", 0), "calls 2, 3 and 4: " + compiled.describe());
            assertTrue(compiled.describe().contains("replay: captured"), compiled.describe());
        }
    }

    /**
     * On the backend itself: where it captures work (CUDA), a compiled step is captured as one graph after its first
     * replayed step and launched once per step, with the eager loop's numbers; elsewhere it replays call by call and
     * describe gives the backend's reason.
     */
    @Test
    void aCompiledStepReplaysAsTheBackendCan() {
        Backend backend = Quiver.backend();
        float[][] losses = new float[2][];
        String describe = "";
        for (int compiled = 0; compiled < 2; compiled++) {
            Variable w = new Variable(TestAccess.on(backend, 10.0f), "w");
            Variable b = new Variable(TestAccess.on(backend, 1.0f), "b");
            Supplier<Tensor> loss = regression(backend, new RandomGenerator(3), w, b);
            if (compiled == 0) {
                losses[0] = eagerLosses(new SGD(0.03), List.of(w, b), loss, STEPS, Map.of());
            } else {
                try (TrainingStep step = TrainingStep.compile(new SGD(0.03), List.of(w, b), loss)) {
                    losses[1] = step.run(STEPS).losses().toFloatArray();
                    describe = step.describe();
                }
            }
        }
        for (int i = 0; i < STEPS; i++) {
            assertEquals(losses[0][i], losses[1][i], 1e-5 * Math.abs(losses[0][i]), "loss at step " + i + "\n"
                    + describe);
        }
        String mode = backend.captureUnavailable() == null ? "replay: captured: one graph launch per step ("
                + backend.name() + ")" : "replay: call by call: " + backend.captureUnavailable();
        assertTrue(describe.contains(mode), "expected '" + mode + "' in\n" + describe);
    }

    /** The linear-regression loss of a batch of 64 drawn from {@code random}, on {@code backend}. */
    private static Supplier<Tensor> regression(Backend backend, RandomGenerator random, Variable w, Variable b) {
        return () -> {
            Tensor x = TestAccess.normal(backend, random, 64, 1);
            Tensor y = x.mul(7.0).add(4.0).add(TestAccess.normal(backend, random, 64, 1).mul(0.5));
            return Losses.meanSquaredError(y, x.mul(w).add(b));
        };
    }

    /**
     * {@code calls}, recorded over a run of {@code steps} replayed steps of {@code perStep} calls each, are the stream
     * counter's one fill, then per step the same calls with the same views (the same objects) and the loss's history
     * copy.
     */
    private static void assertSameCallsEveryStep(List<List<Object>> calls, int steps, int perStep, String program) {
        assertEquals(1 + steps * (perStep + 1), calls.size(), calls + "\n" + program);
        assertEquals("fill", calls.getFirst().getFirst(), "the run sets the stream counter first: " + calls.getFirst());
        StridedView counter = (StridedView) calls.getFirst().get(1);
        assertEquals(DType.INT64, counter.dtype(), "the stream counter: " + counter);
        for (int step = 1; step < steps; step++) {
            for (int k = 0; k < perStep; k++) {
                List<Object> first = calls.get(1 + k);
                List<Object> later = calls.get(1 + step * (perStep + 1) + k);
                assertEquals(first.size(), later.size(), "step " + step + " call " + k + ": " + later);
                for (int a = 0; a < first.size(); a++) {
                    if (first.get(a) instanceof StridedView) {
                        assertSame(first.get(a), later.get(a), "step " + step + " call " + k + " argument " + a + ": "
                                + first + " then " + later);
                    } else {
                        assertEquals(first.get(a), later.get(a), "step " + step + " call " + k + " argument " + a);
                    }
                }
            }
            assertEquals("copy", calls.get((step + 1) * (perStep + 1)).getFirst(), "the history copy of step " + step);
        }
    }

    /**
     * What a reduction feeds is not fused into the pass that computes the reduction: {@code x - mean(x)} reads the
     * mean after the kernel that sums, and the variance is a second pass; reductions over different axes of one value
     * are separate; a scalar needed both inside the pass and after it is still written.
     */
    @Test
    void aReductionsResultIsReadOnlyAfterItsPass() {
        CountingBackend fusing = new CountingBackend(Quiver.backend(), true);
        Tensor x = TestAccess.on(fusing, new float[][] {{1, 2, 3}, {-1, 0.5f, 4}, {2, -2, 0.25f}, {0, 1, -3}});
        Tensor two = TestAccess.on(fusing, 2.0f);
        Function<List<Tensor>, List<Tensor>> f = in -> {
            Tensor v = in.get(0);
            Tensor centred = v.sub(v.mean());
            Tensor scale = in.get(1).div(3.0f); // one number, computed from one number: a pure scalar
            return List.of(centred.square().mean(), v.mul(scale).sum(new int[] {0}, false),
                    v.mul(scale).sum(new int[] {1}, false), scale);
        };
        try (CompiledFunction compiled = Quiver.function(f)) {
            for (int call = 0; call < 2; call++) {
                List<Tensor> expected = f.apply(List.of(x, two));
                List<Tensor> actual = compiled.call(x, two);
                for (int i = 0; i < expected.size(); i++) {
                    assertClose(expected.get(i), actual.get(i), "output " + i + "\n" + compiled.describe());
                }
            }
        }
    }

    @Test
    void aNewShapeTracesAgainAndARandomStreamContinuesAcrossCalls() {
        RandomGenerator random = new RandomGenerator(3);
        RandomGenerator twin = new RandomGenerator(3);
        try (CompiledFunction f = Quiver.function(in -> List.of(in.get(0).add(random.normal(in.get(0).shape()))))) {
            for (int[] dims : new int[][] {{4}, {4}, {2, 3}, {4}, {2, 3}}) {
                Tensor x = Tensor.ones(dims);
                Tensor expected = x.add(twin.normal(Shape.of(dims)));
                assertArrayEquals(expected.toFloatArray(), f.call(x).getFirst().toFloatArray(),
                        "shape " + java.util.Arrays.toString(dims));
            }
            assertEquals(2, f.tracedSignatures());
        }
    }

    @Test
    void tracingErrorsNameTheOpAndTheShapes() {
        try (CompiledFunction f = Quiver.function(in -> List.of(in.get(0).matmul(in.get(1))))) {
            IllegalStateException error = assertThrows(IllegalStateException.class,
                    () -> f.call(Tensor.ones(2, 3), Tensor.ones(4, 5)));
            assertTrue(error.getMessage().contains("matmul") && error.getMessage().contains("(2, 3)")
                    && error.getMessage().contains("(4, 5)"), error.getMessage());
        }
    }
}
