package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.TestAccess;
import dev.quiver.Tensor;
import dev.quiver.TrainingStep;
import dev.quiver.Variable;
import dev.quiver.optimizers.Adam;
import dev.quiver.optimizers.GradientAndVariable;
import dev.quiver.optimizers.Nadam;
import dev.quiver.optimizers.Optimizer;
import dev.quiver.optimizers.RMSprop;
import dev.quiver.optimizers.SGD;
import dev.quiver.optimizers.StepScalar;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Optimizers against the Keras 3 update formulas re-implemented here in plain Java doubles, step by step, on a
 * loss whose gradient is known in closed form ({@code loss = sum(c * w^2) + sum(w)}, so {@code g = 2 c w + 1});
 * plus the contract of {@code applyGradients} (null gradients skipped, validation before any change).
 */
public abstract class OptimizerConformance extends BackendConformance {
    private static final double[] INITIAL = {0.5, -1.25, 2.0, 0.0, -0.3};
    private static final double[] C = {1.0, 0.5, 2.0, 3.0, 0.25};
    private static final int STEPS = 5;

    /** A Keras 3 optimizer re-implemented on doubles: updates {@code w} in place from {@code g}. */
    public interface ReferenceOptimizer {
        void step(double[] w, double[] g);
    }

    static ReferenceOptimizer sgd(double lr, double momentum, boolean nesterov) {
        double[][] state = new double[1][];
        return (w, g) -> {
            if (momentum == 0) {
                for (int i = 0; i < w.length; i++) {
                    w[i] -= lr * g[i];
                }
                return;
            }
            if (state[0] == null) {
                state[0] = new double[w.length];
            }
            double[] m = state[0];
            for (int i = 0; i < w.length; i++) {
                m[i] = momentum * m[i] - lr * g[i];
                w[i] += nesterov ? momentum * m[i] - lr * g[i] : m[i];
            }
        };
    }

    static ReferenceOptimizer adam(double lr, double beta1, double beta2, double epsilon) {
        return new ReferenceOptimizer() {
            double[] m;
            double[] v;
            int t;

            @Override
            public void step(double[] w, double[] g) {
                if (m == null) {
                    m = new double[w.length];
                    v = new double[w.length];
                }
                t++;
                double alpha = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
                for (int i = 0; i < w.length; i++) {
                    m[i] += (g[i] - m[i]) * (1 - beta1);
                    v[i] += (g[i] * g[i] - v[i]) * (1 - beta2);
                    w[i] -= m[i] * alpha / (Math.sqrt(v[i]) + epsilon);
                }
            }
        };
    }

    /** keras/src/optimizers/nadam.py: u_t = beta1 (1 - 0.5 * 0.96^t); the product of u is kept across steps. */
    static ReferenceOptimizer nadam(double lr, double beta1, double beta2, double epsilon) {
        return new ReferenceOptimizer() {
            double[] m;
            double[] v;
            int t;
            double uProduct = 1.0;

            @Override
            public void step(double[] w, double[] g) {
                if (m == null) {
                    m = new double[w.length];
                    v = new double[w.length];
                }
                t++;
                double uT = beta1 * (1 - 0.5 * Math.pow(0.96, t));
                double uNext = beta1 * (1 - 0.5 * Math.pow(0.96, t + 1));
                uProduct *= uT;
                double uProductNext = uProduct * uNext;
                double beta2Power = Math.pow(beta2, t);
                for (int i = 0; i < w.length; i++) {
                    m[i] += (g[i] - m[i]) * (1 - beta1);
                    v[i] += (g[i] * g[i] - v[i]) * (1 - beta2);
                    double mHat = uNext * m[i] / (1 - uProductNext) + (1 - uT) * g[i] / (1 - uProduct);
                    double vHat = v[i] / (1 - beta2Power);
                    w[i] -= mHat * lr / (Math.sqrt(vHat) + epsilon);
                }
            }
        };
    }

    static ReferenceOptimizer rmsprop(double lr, double rho, double momentum, double epsilon, boolean centered) {
        return new ReferenceOptimizer() {
            double[] velocity;
            double[] average;
            double[] accumulated;

            @Override
            public void step(double[] w, double[] g) {
                if (velocity == null) {
                    velocity = new double[w.length];
                    average = new double[w.length];
                    accumulated = new double[w.length];
                }
                for (int i = 0; i < w.length; i++) {
                    velocity[i] = rho * velocity[i] + (1 - rho) * g[i] * g[i];
                    double denominator;
                    if (centered) {
                        average[i] = rho * average[i] + (1 - rho) * g[i];
                        denominator = velocity[i] - average[i] * average[i] + epsilon;
                    } else {
                        denominator = velocity[i] + epsilon;
                    }
                    double increment = lr * g[i] / Math.sqrt(denominator);
                    if (momentum > 0) {
                        accumulated[i] = momentum * accumulated[i] + increment;
                        w[i] -= accumulated[i];
                    } else {
                        w[i] -= increment;
                    }
                }
            }
        };
    }

    public enum Case {
        SGD_PLAIN(() -> new SGD(0.1), () -> sgd(0.1, 0, false)),
        SGD_MOMENTUM(() -> new SGD(0.05, 0.9, false), () -> sgd(0.05, 0.9, false)),
        SGD_NESTEROV(() -> new SGD(0.05, 0.9, true), () -> sgd(0.05, 0.9, true)),
        ADAM(() -> new Adam(0.1), () -> adam(0.1, 0.9, 0.999, 1e-7)),
        ADAM_CUSTOM(() -> new Adam(0.02, 0.8, 0.99, 1e-3), () -> adam(0.02, 0.8, 0.99, 1e-3)),
        NADAM(() -> new Nadam(0.1), () -> nadam(0.1, 0.9, 0.999, 1e-7)),
        RMSPROP(() -> new RMSprop(0.01), () -> rmsprop(0.01, 0.9, 0, 1e-7, false)),
        RMSPROP_MOMENTUM_CENTERED(() -> new RMSprop(0.01, 0.8, 0.5, 1e-6, true),
                () -> rmsprop(0.01, 0.8, 0.5, 1e-6, true));

        final Supplier<Optimizer> optimizer;
        final Supplier<ReferenceOptimizer> reference;

        Case(Supplier<Optimizer> optimizer, Supplier<ReferenceOptimizer> reference) {
            this.optimizer = optimizer;
            this.reference = reference;
        }
    }

    static double[] gradient(double[] w) {
        double[] g = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            g[i] = 2 * C[i] * w[i] + 1;
        }
        return g;
    }

    void runAgainstReference(Case testCase, DType dtype) {
        Optimizer optimizer = testCase.optimizer.get();
        ReferenceOptimizer reference = testCase.reference.get();
        Variable w = new Variable(Tensor.constant(INITIAL, dtype), "w");
        Tensor c = Tensor.constant(C, dtype);
        double[] expected;
        for (int step = 1; step <= STEPS; step++) {
            // the reference sees the same (rounded) weights the backend holds, so errors do not compound
            double[] current = w.toDoubleArray();
            try (GradientTape tape = new GradientTape()) {
                Tensor loss = c.mul(w.square()).sum().add(w.sum());
                List<Tensor> grads = tape.gradient(loss, List.of(w));
                assertValues(testCase + " gradient at step " + step, grads.getFirst(), dtype, new int[] {5},
                        gradient(current));
                optimizer.applyGradients(grads, List.of(w));
            }
            expected = current.clone();
            reference.step(expected, gradient(current));
            assertValues(testCase + " " + dtype + " weights after step " + step, w, dtype, new int[] {5}, expected);
            assertEquals(step, optimizer.iterations());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Case.class)
    public void float64MatchesKerasFormulas(Case testCase) {
        runAgainstReference(testCase, DType.FLOAT64);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Case.class)
    public void float32MatchesKerasFormulas(Case testCase) {
        runAgainstReference(testCase, DType.FLOAT32);
    }

    /**
     * An eager step computes the step's numbers on the host, a compiled step on the device, and an eager step after a
     * compiled one on the device again (the replays own the state): mixed in any order, with the learning rate changed
     * between them, they give the eager loop's bits (compiled without fusion).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Case.class)
    public void eagerStepsAndCompiledReplaysMixedGiveTheEagerLoopsBits(Case testCase) {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            Tensor c = Tensor.constant(C, dtype);
            Variable eager = new Variable(Tensor.constant(INITIAL, dtype), "eager");
            Variable mixed = new Variable(Tensor.constant(INITIAL, dtype), "mixed");
            Optimizer eagerOptimizer = testCase.optimizer.get();
            Optimizer mixedOptimizer = testCase.optimizer.get();
            Supplier<Tensor> eagerLoss = () -> c.mul(eager.square()).sum().add(eager.sum());
            Supplier<Tensor> mixedLoss = () -> c.mul(mixed.square()).sum().add(mixed.sum());
            try (TrainingStep compiled = TrainingStep.compile(mixedOptimizer, List.of(mixed), mixedLoss, false)) {
                // eager steps; compiled ones (the first run: its eager first step, the trace, a replay); eager again;
                // a new learning rate; replays; eager
                String[] phases = {"eager 2", "compiled 3", "eager 2", "rate", "compiled 3", "eager 2"};
                int steps = 0;
                for (String phase : phases) {
                    if (phase.equals("rate")) {
                        eagerOptimizer.setLearningRate(eagerOptimizer.learningRate() / 2);
                        mixedOptimizer.setLearningRate(mixedOptimizer.learningRate() / 2);
                        continue;
                    }
                    int count = Integer.parseInt(phase.substring(phase.indexOf(' ') + 1));
                    for (int i = 0; i < count; i++) {
                        eagerOptimizer.minimize(eagerLoss, List.of(eager));
                    }
                    if (phase.startsWith("eager")) {
                        for (int i = 0; i < count; i++) {
                            mixedOptimizer.minimize(mixedLoss, List.of(mixed));
                        }
                    } else {
                        compiled.run(count);
                    }
                    steps += count;
                    String where = testCase + " " + dtype + " after " + steps + " steps (" + phase + ")";
                    assertArrayEquals(eager.toDoubleArray(), mixed.toDoubleArray(), where);
                    assertEquals(steps, mixedOptimizer.iterations(), where);
                    assertEquals(steps, eagerOptimizer.iterations(), where);
                }
            }
        }
    }

    /**
     * The two forms of a step's numbers are twins: a formula of {@link StepScalar}s gives the same bits on the host as
     * on the device (and with one operand of each), and so do the updates that use them, in float32 and float64.
     */
    @Test
    public void stepScalarsGiveTheSameBitsOnTheHostAndOnTheDevice() {
        Tensor x32 = Tensor.constant(new double[] {0.1, -2.5, 3e-4, 7}, DType.FLOAT32);
        Tensor x64 = Tensor.constant(new double[] {0.1, -2.5, 3e-4, 7}, DType.FLOAT64);
        double power = 1;
        double decay = 1;
        for (int step = 1; step <= 40; step++) {
            power *= 0.999;
            decay *= 0.96;
            StepScalar powerOnDevice = StepScalar.of(Tensor.scalar(power, DType.FLOAT64));
            StepScalar decayOnDevice = StepScalar.of(Tensor.scalar(decay, DType.FLOAT64));
            StepScalar[][] operands = {{StepScalar.of(power), StepScalar.of(decay)}, {powerOnDevice, decayOnDevice},
                    {StepScalar.of(power), decayOnDevice}, {powerOnDevice, StepScalar.of(decay)}};
            double[] expected = null;
            for (StepScalar[] pair : operands) {
                // Adam's and Nadam's shapes of formula: sqrt(1 - p) * u / (1 - p u), u = 0.9 (1 - 0.5 d)
                StepScalar u = pair[1].mul(-0.5).add(1).mul(0.9);
                StepScalar coefficient = pair[0].neg().add(1).sqrt().mul(u).div(pair[0].mul(u).neg().add(1));
                double[] values = new double[9];
                values[0] = coefficient.scale(Tensor.scalar(1.0, DType.FLOAT64)).doubleValue();
                float[] scaled = coefficient.scale(x32).toFloatArray();
                float[] divided = coefficient.divide(x32).toFloatArray();
                for (int i = 0; i < 4; i++) {
                    values[1 + i] = scaled[i];
                    values[5 + i] = divided[i];
                }
                assertArrayEquals(coefficient.scale(x64).toDoubleArray(), x64.mul(values[0]).toDoubleArray(),
                        "float64 scale at step " + step);
                if (expected == null) {
                    expected = values;
                } else {
                    assertArrayEquals(expected, values, "step " + step + ": " + pair[0] + ", " + pair[1]);
                }
            }
        }
    }

    @Test
    public void referenceStateCarriesAcrossSteps() {
        // guards the test itself: with momentum, two steps differ from two fresh single steps
        double[] a = INITIAL.clone();
        ReferenceOptimizer withMomentum = sgd(0.05, 0.9, false);
        withMomentum.step(a, gradient(a));
        withMomentum.step(a, gradient(a));
        double[] b = INITIAL.clone();
        sgd(0.05, 0.9, false).step(b, gradient(b));
        sgd(0.05, 0.9, false).step(b, gradient(b));
        assertTrue(!Arrays.equals(a, b));
    }

    @Test
    public void minimizeTakesOneStep() {
        Variable w = new Variable(Tensor.constant(INITIAL, DType.FLOAT64), "w");
        Tensor c = Tensor.constant(C, DType.FLOAT64);
        Optimizer optimizer = new SGD(0.1);
        Tensor loss = optimizer.minimize(() -> c.mul(w.square()).sum().add(w.sum()), List.of(w));
        double expectedLoss = 0;
        for (int i = 0; i < INITIAL.length; i++) {
            expectedLoss += C[i] * INITIAL[i] * INITIAL[i] + INITIAL[i];
        }
        assertEquals(expectedLoss, loss.doubleValue(), 1e-12);
        double[] expected = INITIAL.clone();
        sgd(0.1, 0, false).step(expected, gradient(INITIAL));
        assertValues("after minimize", w, DType.FLOAT64, new int[] {5}, expected);
    }

    @Test
    public void nullGradientIsSkipped() {
        Variable used = new Variable(Tensor.constant(new double[] {1, 2}, DType.FLOAT64), "used");
        Variable unused = new Variable(Tensor.constant(new double[] {5, 6}, DType.FLOAT64), "unused");
        Optimizer optimizer = new Adam(0.1);
        try (GradientTape tape = new GradientTape(); LogCapture log = new LogCapture(Optimizer.class.getName())) {
            Tensor loss = used.square().sum();
            List<Tensor> grads = tape.gradient(loss, List.of(used, unused));
            assertEquals(null, grads.get(1));
            optimizer.applyGradients(grads, List.of(used, unused));
            assertTrue(log.messages().toString().contains("'unused'"), "skipped with a warning: " + log.messages());
        }
        assertArrayEquals(new double[] {5, 6}, unused.toDoubleArray(), "a variable without gradient is unchanged");
        double[] expected = {1, 2};
        adam(0.1, 0.9, 0.999, 1e-7).step(expected, new double[] {2, 4});
        assertValues("the other variable steps", used, DType.FLOAT64, new int[] {2}, expected);
        List<Tensor> allNull = new ArrayList<>();
        allNull.add(null);
        assertThrows(IllegalArgumentException.class, () -> optimizer.applyGradients(allNull, List.of(used)),
                "all gradients missing is an error (the loss is not connected)");
    }

    @Test
    public void pairsLikeKerasZipStepTheSameAsTwoLists() {
        Variable a = new Variable(Tensor.constant(new double[] {1, -2}, DType.FLOAT64), "a");
        Variable b = new Variable(Tensor.constant(new double[] {1, -2}, DType.FLOAT64), "b");
        Optimizer byPairs = new Nadam(0.1);
        Optimizer byLists = new Nadam(0.1);
        for (int step = 0; step < 3; step++) {
            Tensor gradA = a.mul(2.0).stopGradient();
            Tensor gradB = b.mul(2.0).stopGradient();
            byPairs.applyGradients(GradientAndVariable.zip(List.of(gradA), List.of(a)));
            byLists.applyGradients(List.of(gradB), List.of(b));
        }
        assertArrayEquals(b.toDoubleArray(), a.toDoubleArray(), 0.0, "same updates either way");
        assertTrue(a.toDoubleArray()[0] < 1, "the pairs actually stepped");
        assertThrows(IllegalArgumentException.class,
                () -> GradientAndVariable.zip(List.of(a.stopGradient()), List.of(a, b)), "zip needs equal lengths");
    }

    @Test
    public void rejectedCallsChangeNothing() {
        Variable a = new Variable(Tensor.constant(new double[] {1, 2}, DType.FLOAT64), "a");
        Variable b = new Variable(Tensor.constant(new double[] {3, 4, 5}, DType.FLOAT64), "b");
        for (Optimizer optimizer : List.of(new SGD(0.1, 0.9, false), new Adam(0.1), new Nadam(0.1),
                new RMSprop(0.1))) {
            Tensor goodA = Tensor.constant(new double[] {1, 1}, DType.FLOAT64);
            Tensor badB = Tensor.constant(new double[] {1, 1}, DType.FLOAT64);   // wrong shape for b
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> optimizer.applyGradients(List.of(goodA, badB), List.of(a, b)));
            assertTrue(shape.getMessage().contains("(2,)") && shape.getMessage().contains("(3,)"),
                    shape.getMessage());
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                    () -> optimizer.applyGradients(List.of(goodA), List.of(a, b)));
            assertTrue(count.getMessage().contains("1") && count.getMessage().contains("2"), count.getMessage());
            assertArrayEquals(new double[] {1, 2}, a.toDoubleArray(), "a is unchanged: validation comes first");
            assertArrayEquals(new double[] {3, 4, 5}, b.toDoubleArray(), "b is unchanged");
            assertEquals(0, optimizer.iterations(), "a rejected call is not a step");
            assertTrue(optimizer.slots(a).stream().allMatch(slot -> Arrays.stream(slot.toDoubleArray())
                    .allMatch(v -> v == 0)), "no optimizer state was written");
        }
        assertThrows(IllegalArgumentException.class, () -> new SGD(-1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new SGD(0.1, 1.5, false));
    }

    @Test
    public void gradientOfAnotherDtypeIsCast() {
        Variable w = new Variable(Tensor.constant(new double[] {1, 2}, DType.FLOAT32), "w");
        new SGD(0.5).applyGradients(List.of(Tensor.constant(new double[] {2, -4}, DType.FLOAT64)), List.of(w));
        assertValues("float32 variable, float64 gradient", w, DType.FLOAT32, new int[] {2}, new double[] {0, 4});
    }

    /** One optimizer of each kind, each with slots (SGD with momentum), built fresh for every rejected call. */
    private static List<Supplier<Optimizer>> everyOptimizer() {
        return List.of(() -> new SGD(0.1, 0.9, false), () -> new Adam(0.1), () -> new Nadam(0.1),
                () -> new RMSprop(0.1));
    }

    @Test
    public void aRejectedPairInAnyPositionChangesNoVariableAndCreatesNoSlot() {
        Variable a = new Variable(Tensor.constant(new double[] {1, 2}, DType.FLOAT64), "a");
        Variable b = new Variable(Tensor.constant(new double[] {3, 4, 5}, DType.FLOAT64), "b");
        Variable closedVariable = new Variable(Tensor.constant(new double[] {3, 4, 5}, DType.FLOAT64), "closed");
        closedVariable.close();
        Tensor closedGradient = Tensor.constant(new double[] {1, 1, 1}, DType.FLOAT64);
        closedGradient.close();
        Tensor elsewhere = TestAccess.onAnotherInstance(new double[] {1, 1, 1});
        List<Object[]> bad = List.of(
                new Object[] {"a closed gradient", closedGradient, b, "closed"},
                new Object[] {"a closed variable", Tensor.constant(new double[] {1, 1, 1}, DType.FLOAT64),
                        closedVariable, "closed"},
                new Object[] {"a wrong shape", Tensor.constant(new double[] {1, 1}, DType.FLOAT64), b, "(3,)"},
                new Object[] {"an int gradient", Tensor.constant(new int[] {1, 1, 1}), b, "int32"},
                new Object[] {"a gradient on another backend instance", elsewhere, b, "backend"});
        for (Supplier<Optimizer> make : everyOptimizer()) {
            for (Object[] pair : bad) {
                Optimizer optimizer = make.get();
                String what = optimizer.getClass().getSimpleName() + " with " + pair[0];
                Tensor goodA = Tensor.constant(new double[] {1, 1}, DType.FLOAT64);
                List<Tensor> gradients = List.of(goodA, (Tensor) pair[1]);
                List<Variable> variables = List.of(a, (Variable) pair[2]);
                RuntimeException error = assertThrows(RuntimeException.class,
                        () -> optimizer.applyGradients(gradients, variables), what);
                String message = String.valueOf(error.getMessage());
                assertTrue(message.contains(optimizer.getClass().getSimpleName() + ".applyGradients")
                        && message.contains((String) pair[3]), what + ": " + message);
                assertArrayEquals(new double[] {1, 2}, a.toDoubleArray(), what + ": the good variable is unchanged");
                assertArrayEquals(new double[] {3, 4, 5}, b.toDoubleArray(), what + ": b is unchanged");
                assertEquals(List.of(), optimizer.slots(a), what + ": no slot was created");
                assertEquals(0, optimizer.iterations(), what + ": a rejected call is not a step");
            }
            Optimizer optimizer = make.get();
            List<Variable> withNull = new ArrayList<>(List.of(a));
            withNull.add(null);
            RuntimeException nullVariable = assertThrows(RuntimeException.class,
                    () -> optimizer.applyGradients(List.of(a.mul(1.0), a.mul(1.0)), withNull));
            assertTrue(String.valueOf(nullVariable.getMessage()).contains("variable 1"), nullVariable.getMessage());
            assertEquals(List.of(), optimizer.slots(a));
            assertArrayEquals(new double[] {1, 2}, a.toDoubleArray());
        }
    }

    @Test
    public void hyperParametersOutsideTheirDomainAreRejectedAtConstruction() {
        List<Object[]> cases = List.of(
                new Object[] {(Supplier<Optimizer>) () -> new Adam(0.1, 1.0, 0.999, 1e-7), "Adam", "beta1", "[0, 1)"},
                new Object[] {(Supplier<Optimizer>) () -> new Adam(0.1, 0.9, -0.1, 1e-7), "Adam", "beta2", "[0, 1)"},
                new Object[] {(Supplier<Optimizer>) () -> new Adam(0.1, Double.NaN, 0.999, 1e-7), "Adam", "beta1",
                        "NaN"},
                new Object[] {(Supplier<Optimizer>) () -> new Adam(0.1, 0.9, 0.999, 0), "Adam", "epsilon", "> 0"},
                new Object[] {(Supplier<Optimizer>) () -> new Adam(-0.1), "Adam", "learning rate", "> 0"},
                new Object[] {(Supplier<Optimizer>) () -> new Nadam(0.1, 1.5, 0.999, 1e-7), "Nadam", "beta1",
                        "[0, 1)"},
                new Object[] {(Supplier<Optimizer>) () -> new Nadam(0.1, 0.9, 1.0, 1e-7), "Nadam", "beta2", "[0, 1)"},
                new Object[] {(Supplier<Optimizer>) () -> new Nadam(0.1, 0.9, 0.999, -1e-7), "Nadam", "epsilon",
                        "> 0"},
                new Object[] {(Supplier<Optimizer>) () -> new RMSprop(0.1, 1.0, 0, 1e-7, false), "RMSprop", "rho",
                        "[0, 1)"},
                new Object[] {(Supplier<Optimizer>) () -> new RMSprop(0.1, 0.9, -0.5, 1e-7, false), "RMSprop",
                        "momentum", "[0, 1]"},
                new Object[] {(Supplier<Optimizer>) () -> new RMSprop(0.1, 0.9, 0, Double.NaN, true), "RMSprop",
                        "epsilon", "> 0"},
                new Object[] {(Supplier<Optimizer>) () -> new SGD(0.1, Double.NaN, false), "SGD", "momentum",
                        "[0, 1]"},
                new Object[] {(Supplier<Optimizer>) () -> new SGD(Double.POSITIVE_INFINITY), "SGD", "learning rate",
                        "finite"});
        for (Object[] testCase : cases) {
            @SuppressWarnings("unchecked")
            Supplier<Optimizer> make = (Supplier<Optimizer>) testCase[0];
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, make::get);
            for (int i = 1; i < testCase.length; i++) {
                assertTrue(error.getMessage().contains((String) testCase[i]),
                        "should name '" + testCase[i] + "': " + error.getMessage());
            }
        }
        // the edges of each domain are accepted
        new Adam(0.1, 0.0, 0.0, 1e-12);
        new RMSprop(0.1, 0.0, 1.0, 1e-12, true);
        new SGD(0.1, 1.0, true);
    }

    @Test
    public void nullArgumentsNameApplyGradientsAndTheArgument() {
        Variable w = new Variable(Tensor.constant(new double[] {1, 2}, DType.FLOAT64), "w");
        Optimizer optimizer = new SGD(0.1);
        NullPointerException gradients = assertThrows(NullPointerException.class,
                () -> optimizer.applyGradients(null, List.of(w)));
        assertTrue(gradients.getMessage().contains("applyGradients") && gradients.getMessage().contains("gradients"),
                gradients.getMessage());
        NullPointerException variables = assertThrows(NullPointerException.class,
                () -> optimizer.applyGradients(List.of(w.mul(1.0)), null));
        assertTrue(variables.getMessage().contains("applyGradients") && variables.getMessage().contains("variables"),
                variables.getMessage());
        NullPointerException pairs = assertThrows(NullPointerException.class,
                () -> optimizer.applyGradients((List<GradientAndVariable>) null));
        assertTrue(pairs.getMessage().contains("applyGradients"), pairs.getMessage());
        assertArrayEquals(new double[] {1, 2}, w.toDoubleArray());
    }

    @Test
    public void aMissingGradientIsLoggedOncePerVariable() {
        try (LogCapture log = new LogCapture(Optimizer.class.getName())) {
            Variable used = new Variable(Tensor.constant(new double[] {1, 2}, DType.FLOAT64), "used");
            Variable forgotten = new Variable(Tensor.constant(new double[] {5, 6}, DType.FLOAT64), "forgotten");
            Variable unnamed = new Variable(Tensor.constant(new double[] {7}, DType.FLOAT64));
            Optimizer optimizer = new SGD(0.1);
            List<Variable> variables = List.of(used, forgotten, unnamed);
            for (int step = 0; step < 3; step++) {
                try (GradientTape tape = new GradientTape()) {
                    Tensor loss = used.square().sum();
                    optimizer.applyGradients(tape.gradient(loss, variables), variables);
                }
            }
            List<String> warnings = log.messages();
            List<String> missing = warnings.stream().filter(w -> w.contains("Gradients do not exist")).toList();
            assertTrue(missing.stream().allMatch(w -> w.startsWith("WARNING")), warnings.toString());
            // each variable without a gradient is named once over the three steps, the used one never
            String all = String.join("\n", missing);
            assertEquals(1, all.split("'forgotten'", -1).length - 1, all);
            assertEquals(1, all.split("'" + unnamed.name() + "'", -1).length - 1, all);
            assertTrue(!all.contains("'used'"), all);
        }
    }
}
