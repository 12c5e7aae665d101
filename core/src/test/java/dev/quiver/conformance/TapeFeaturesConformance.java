package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.CustomGradient;
import dev.quiver.DType;
import dev.quiver.ForwardAccumulator;
import dev.quiver.GradientTape;
import dev.quiver.Tensor;
import dev.quiver.TestAccess;
import dev.quiver.Variable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The tape features TensorFlow users rely on beyond one target and one source: several targets and
 * {@code output_gradients}, {@code reset()}, {@code jacobian} of several sources, {@code batch_jacobian},
 * {@code tf.custom_gradient}, and forward mode ({@code tf.autodiff.ForwardAccumulator}), whose JVP of every covered
 * primitive is checked against the reverse mode ({@code J·v} against the tape's Jacobian times {@code v}). Cases
 * named after a TensorFlow test are translated from {@code backprop_test.py} / {@code forwardprop_test.py}.
 */
public abstract class TapeFeaturesConformance extends BackendConformance {
    private static final DType F64 = DType.FLOAT64;

    static Tensor f64(double... values) {
        return Tensor.constant(values, F64);
    }

    static Tensor random(long seed, double low, double high, int... dims) {
        return Reference.tensor(Reference.uniform(seed, Reference.size(dims), low, high, F64), F64, dims);
    }

    static void assertMessage(RuntimeException error, String... parts) {
        for (String part : parts) {
            assertTrue(error.getMessage().contains(part), "'" + part + "' in: " + error.getMessage());
        }
    }

    // ================================================================ several targets, output gradients

    @Test
    public void aListOfTargetsSumsTheirGradients() {
        Tensor x = f64(1, 2);
        Tensor w = f64(-1, 3);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x, w);
            Tensor y1 = x.square();               // (2,): summed
            Tensor y2 = x.mul(w).sum();           // scalar
            assertValues("d(x^2 + x.w)/dx", tape.gradient(List.of(y1, y2), x), F64, new int[] {2},
                    new double[] {2 - 1, 4 + 3});
            List<Tensor> both = tape.gradient(List.of(y1, y2), List.of(x, w));
            assertValues("dx", both.get(0), F64, new int[] {2}, new double[] {1, 7});
            assertValues("dw", both.get(1), F64, new int[] {2}, new double[] {1, 2});
            assertValues("a target given twice counts twice", tape.gradient(List.of(y2, y2), w), F64,
                    new int[] {2}, new double[] {2, 4});
            assertNull(tape.gradient(List.of(Tensor.constant(1.0), w.mul(2.0)), x),
                    "targets that are not recorded contribute nothing");
        }
    }

    /** TF testTapeGradientMultiTargetOneIsSource: gradient([x, x*x], x) = 1 + 2x. */
    @Test
    public void multiTargetOneIsSource() {
        Tensor x = Tensor.scalar(2.0);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor y = x.mul(x);
            assertEquals(5.0, tape.gradient(List.of(x, y), x).doubleValue(), 1e-6);
        }
    }

    /** TF testTapeNoOpGradientMultiTarget2Sources: gradient([x, y, y*y], [x, y]) = [1, 1 + 2y]. */
    @Test
    public void multiTargetTwoSources() {
        Tensor x = Tensor.scalar(3.0);
        Tensor y = Tensor.scalar(5.0);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x, y);
            Tensor z = y.mul(y);
            List<Tensor> grads = tape.gradient(List.of(x, y, z), List.of(x, y));
            assertEquals(1.0, grads.get(0).doubleValue(), 1e-6);
            assertEquals(11.0, grads.get(1).doubleValue(), 1e-6);
        }
    }

    /**
     * TF testTwoTargets, testTapeNoOpGradientWithMultiTargetAllSource, testTapeNoOpGradientMultiTarget2By2,
     * testVariablesAndConstantsProduceTheSameGradients and testSelectivelyWatchVariables.
     */
    @Test
    public void moreMultiTargetCasesFromTensorFlow() {
        Tensor x = Tensor.scalar(3.0);
        Tensor y = Tensor.scalar(2.0);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x, y);
            List<Tensor> grads = tape.gradient(List.of(x.mul(2.0), y.mul(3.0)), List.of(x, y));
            assertEquals(2.0, grads.get(0).doubleValue());
            assertEquals(3.0, grads.get(1).doubleValue());
        }
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor same = x;
            assertEquals(2.0, tape.gradient(List.of(same, same), x).doubleValue(), "[y, y] with y = x");
        }
        Tensor twoByTwo = Tensor.fill(new int[] {2, 2}, 2.0);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(twoByTwo);
            assertValues("d[a, a]/da", tape.gradient(List.of(twoByTwo, twoByTwo), List.of(twoByTwo)).getFirst(),
                    DType.FLOAT32, new int[] {2, 2}, new double[] {2, 2, 2, 2});
        }
        List<Tensor> fromConstants;
        Tensor a = Tensor.scalar(2.0);
        Tensor b = Tensor.scalar(2.0);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(a, b);
            fromConstants = tape.gradient(List.of(a.pow(3), b.pow(2)), List.of(a, b));
        }
        Variable va = new Variable(Tensor.scalar(2.0));
        Variable vb = new Variable(Tensor.scalar(2.0));
        List<Tensor> fromVariables;
        try (GradientTape tape = new GradientTape()) {
            fromVariables = tape.gradient(List.of(va.pow(3), vb.pow(2)), List.of(va, vb));
        }
        for (List<Tensor> grads : List.of(fromConstants, fromVariables)) {
            assertEquals(12.0, grads.get(0).doubleValue(), 1e-5);
            assertEquals(4.0, grads.get(1).doubleValue(), 1e-6);
        }
        Variable x1 = new Variable(Tensor.scalar(1.0));
        Variable x2 = new Variable(Tensor.scalar(1.0));
        try (GradientTape tape = new GradientTape(false, false)) {
            tape.watch(x2);
            Tensor y1 = x1.pow(2);
            Tensor z = x2.pow(3);
            assertEquals(List.of(x2), tape.watched());
            List<Tensor> grads = tape.gradient(List.of(y1, z), List.of(x1, x2));
            assertNull(grads.get(0));
            assertEquals(3.0, grads.get(1).doubleValue(), 1e-6);
        }
    }

    /** TF testWatchingIsTapeLocal: nested tapes, each with its own watches, over lists of targets and sources. */
    @Test
    public void watchingIsTapeLocalWithListTargets() {
        Variable x1 = new Variable(Tensor.scalar(2.0), "x1", false);
        Variable x2 = new Variable(Tensor.scalar(2.0), "x2", false);
        try (GradientTape tape1 = new GradientTape(); GradientTape tape2 = new GradientTape()) {
            tape1.watch(x1);
            tape2.watch(x1, x2);
            Tensor y = x1.pow(3);
            Tensor z = x2.pow(2);
            List<Tensor> first = tape2.gradient(List.of(y, z), List.of(x1, x2));
            List<Tensor> second = tape1.gradient(first, List.of(x1, x2));
            assertEquals(12.0, second.get(0).doubleValue(), 1e-5);
            assertNull(second.get(1), "tape1 never watched x2");
        }
    }

    /** TF testOutputGradUsedInComputation: gradient([x*y, x], [x], output_gradients=[1, 2]) = y + 2. */
    @Test
    public void outputGradientsWeighTheTargets() {
        Tensor x = Tensor.scalar(3.0);
        Tensor y = Tensor.scalar(2.0);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x, y);
            Tensor loss = x.mul(y);
            List<Tensor> dx = tape.gradient(List.of(loss, x), List.of(x), List.of(Tensor.scalar(1.0),
                    Tensor.scalar(2.0)), GradientTape.Unconnected.NONE);
            assertEquals(4.0, dx.getFirst().doubleValue(), 1e-6);
        }
        Tensor v = f64(1, -2, 3);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(v);
            Tensor square = v.square();
            assertValues("a vector-Jacobian product: 2v * [1, 10, 100]", tape.gradient(square, v,
                    f64(1, 10, 100)), F64, new int[] {3}, new double[] {2, -40, 600});
            assertValues("a null cotangent means ones", tape.gradient(List.of(square, v.sum()), List.of(v),
                    Arrays.asList(f64(1, 10, 100), null), GradientTape.Unconnected.NONE).getFirst(), F64,
                    new int[] {3}, new double[] {3, -39, 601});
            Tensor unrelated = f64(5);
            assertValues("unconnected as zeros", tape.gradient(List.of(square), List.of(unrelated),
                    List.of(f64(1, 1, 1)), GradientTape.Unconnected.ZERO).getFirst(), F64, new int[] {1},
                    new double[] {0});
        }
    }

    @Test
    public void outputGradientsOfTheWrongCountShapeOrDtypeAreErrors() {
        Tensor v = f64(1, 2, 3);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(v);
            Tensor y = v.square();
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class, () -> tape.gradient(
                    List.of(y), List.of(v), List.of(f64(1, 1, 1), f64(1)), GradientTape.Unconnected.NONE));
            assertMessage(count, "gradient", "2 entries for 1 targets");
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> tape.gradient(y, v, f64(1, 1)));
            assertMessage(shape, "gradient", "outputGradients 0", "(2,)", "(3,)");
            IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                    () -> tape.gradient(y, v, Tensor.constant(new double[] {1, 1, 1}, DType.FLOAT32)));
            assertMessage(dtype, "float32", "float64");
            assertThrows(NullPointerException.class, () -> tape.gradient(Arrays.asList(y, null), v));
        }
    }

    // ================================================================ reset

    /** TF testTapeReset: what was recorded before reset() is forgotten, recording goes on. */
    @Test
    public void resetForgetsWhatWasRecorded() {
        Variable v = new Variable(Tensor.scalar(1.0), "v");
        try (GradientTape tape = new GradientTape()) {
            Tensor loss = v.mul(v);
            tape.reset();
            loss = loss.add(v.mul(v));
            assertEquals(2.0, tape.gradient(loss, v).doubleValue(), 1e-6);
        }
    }

    /** TF testAutomaticWatchedVariables, testExplicitWatchedVariables, testWatchedVariablesRespectReset. */
    @Test
    public void resetEmptiesTheWatchedList() {
        Variable v = new Variable(Tensor.scalar(1.0), "v");
        Variable z = new Variable(Tensor.scalar(2.0), "z");
        try (GradientTape tape = new GradientTape()) {
            assertTrue(tape.watched().isEmpty());
            Tensor loss = v.mul(v);
            assertEquals(List.of(v), tape.watched());
            tape.reset();
            assertTrue(tape.watched().isEmpty());
            loss = loss.add(v.mul(v));
            assertEquals(List.of(v), tape.watched());
            tape.reset();
            tape.watch(z);
            assertEquals(List.of(z), tape.watched());
            assertEquals(1.0, tape.gradient(z, z).doubleValue());
            assertEquals(List.of(z), tape.watched(), "the watched list outlives the one gradient call");
        }
    }

    @Test
    public void resetDropsWatchesAndLetsANonPersistentTapeAnswerAgain() {
        Tensor x = f64(2);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            assertValues("first answer", tape.gradient(x.square(), x), F64, new int[] {1}, new double[] {4});
            tape.reset();
            assertTrue(tape.watched().isEmpty(), "nothing is watched after reset: " + tape.watched());
            assertNull(tape.gradient(x.square(), x), "x is no longer watched, and the tape answers again");
            IllegalStateException once = assertThrows(IllegalStateException.class, () -> tape.gradient(x, x));
            assertMessage(once, "once");
            tape.reset();
            tape.watch(x);
            assertValues("after watching again", tape.gradient(x.mul(3.0), x), F64, new int[] {1},
                    new double[] {3});
        }
        GradientTape closed = new GradientTape();
        closed.close();
        assertMessage(assertThrows(IllegalStateException.class, closed::reset), "GradientTape.reset", "closed");
    }

    // ================================================================ jacobian, batch jacobian

    /** TF JacobianTest._jacobian: jacobian(x * x * y, [x, y]) = [diag(2xy), diag(x^2)]. */
    @Test
    public void jacobianOfAListOfSources() {
        Tensor x = f64(1, 2);
        Tensor y = f64(3, 4);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x, y);
            Tensor z = x.mul(x).mul(y);
            List<Tensor> jacobians = tape.jacobian(z, List.of(x, y));
            assertValues("dz/dx", jacobians.get(0), F64, new int[] {2, 2}, new double[] {6, 0, 0, 16});
            assertValues("dz/dy", jacobians.get(1), F64, new int[] {2, 2}, new double[] {1, 0, 0, 4});
        }
        Tensor unrelated = f64(7, 8, 9);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor z = x.exp();
            List<Tensor> none = tape.jacobian(z, List.of(x, unrelated));
            assertNotNull(none.get(0));
            assertNull(none.get(1), "an unconnected source gives null");
            assertValues("...or zeros of shape target + source", tape.jacobian(z, List.of(unrelated),
                    GradientTape.Unconnected.ZERO).getFirst(), F64, new int[] {2, 3}, new double[6]);
            Tensor empty = x.slice(0, 0, 0).exp();
            assertValues("an empty target that depends on x: an empty Jacobian, not null", tape.jacobian(empty, x),
                    F64, new int[] {0, 2}, new double[0]);
            assertNull(tape.jacobian(empty, unrelated), "...and null where the graph does not connect them");
        }
    }

    /** TF testJacobianScalar: a scalar target's Jacobian has the source's shape. */
    @Test
    public void jacobianOfAScalar() {
        Tensor x = Tensor.scalar(1.0, F64);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor y = x.mul(x);
            assertValues("d(x^2)/dx", tape.jacobian(y, x), F64, new int[0], new double[] {2});
        }
    }

    /** TF BatchJacobianTest._batch_jacobian: batch_jacobian(x * x * y, x) = stack(diag(2 x_i y_i)). */
    @Test
    public void batchJacobianGivesOneJacobianPerRow() {
        Tensor x = Tensor.constant(new double[][] {{1, 2}, {3, 4}}, F64);
        Tensor y = Tensor.constant(new double[][] {{3, 4}, {5, 6}}, F64);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor z = x.mul(x).mul(y);
            assertValues("per-row diagonals", tape.batchJacobian(z, x), F64, new int[] {2, 2, 2},
                    new double[] {6, 0, 0, 16, 30, 0, 0, 48});
        }
        // ranks above 2 on both sides, against the diagonal blocks of the full Jacobian
        Tensor a = random(11, -1, 1, 3, 2, 2);
        Tensor m = random(12, -1, 1, 6, 4);
        Tensor batchJacobian;
        Tensor full;
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(a);
            Tensor out = m.matmul(a.reshape(3, 4, 1)).sin().reshape(3, 2, 3); // row i from a[i] only
            batchJacobian = tape.batchJacobian(out, a);
            full = tape.jacobian(out, a);
        }
        assertEquals(List.of(3, 2, 3, 2, 2), toList(batchJacobian.shape().dims()));
        double[] batch = batchJacobian.toDoubleArray();
        double[] whole = full.toDoubleArray(); // (3, 2, 3, 3, 2, 2)
        boolean anyNonZero = false;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 6; j++) {
                for (int k = 0; k < 4; k++) {
                    double expected = whole[((i * 6 + j) * 3 + i) * 4 + k];
                    assertEquals(expected, batch[(i * 6 + j) * 4 + k], 1e-12, "row " + i + " element " + j);
                    anyNonZero |= expected != 0;
                }
            }
        }
        assertTrue(anyNonZero);
    }

    /**
     * TF test_nested_jacobian (a batch Jacobian of a Jacobian: the Hessian of sum(x^2) per row, 2I) and
     * BatchJacobianTest.test_parallel_iterations (x @ w: every row's Jacobian is w transposed).
     */
    @Test
    public void batchJacobianOfAJacobianAndOfAMatmul() {
        Tensor x = Tensor.ones(DType.FLOAT64, 10, 2);
        Tensor hessians;
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(x);
            inner.watch(x);
            Tensor y = x.square().sum();
            Tensor dyDx = inner.jacobian(y, x);
            hessians = outer.batchJacobian(dyDx, x);
        }
        double[] expected = new double[40];
        for (int i = 0; i < 10; i++) {
            expected[4 * i] = 2;
            expected[4 * i + 3] = 2;
        }
        assertValues("2I per row", hessians, F64, new int[] {10, 2, 2}, expected);
        Tensor rows = Tensor.constant(new double[][] {{1, 2}, {3, 4}}, F64);
        Tensor w = Tensor.constant(new double[][] {{1, 2, 3, 4}, {5, 6, 7, 8}}, F64);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(rows);
            Tensor y = rows.matmul(w);
            assertValues("w transposed per row", tape.batchJacobian(y, rows), F64, new int[] {2, 4, 2},
                    new double[] {1, 5, 2, 6, 3, 7, 4, 8, 1, 5, 2, 6, 3, 7, 4, 8});
        }
    }

    @Test
    public void batchJacobianUnconnectedAndEmpty() {
        Tensor x = random(3, -1, 1, 2, 3);
        Tensor other = random(4, -1, 1, 2, 5);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x, other);
            Tensor y = x.tanh();
            assertNull(tape.batchJacobian(y, other));
            assertValues("zeros when asked", tape.batchJacobian(y, other, GradientTape.Unconnected.ZERO), F64,
                    new int[] {2, 3, 5}, new double[30]);
            Tensor empty = x.slice(1, 0, 0).exp(); // (2, 0)
            assertValues("an empty row", tape.batchJacobian(empty, x), F64, new int[] {2, 0, 3}, new double[0]);
        }
    }

    /** TF testBadShape, testBadInputRank, testBadOutputRank: shapes that are no batch are errors naming both. */
    @Test
    public void batchJacobianOfMismatchedShapesIsAnError() {
        Tensor x = random(5, -1, 1, 2, 3);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor y = Tensor.concat(List.of(x, x), 0); // (4, 3): not a batch of x's rows
            assertMessage(assertThrows(IllegalArgumentException.class, () -> tape.batchJacobian(y, x)),
                    "batchJacobian", "(4, 3)", "(2, 3)", "first (batch) dimension");
            Tensor vector = f64(1, 2);
            tape.watch(vector);
            Tensor out = vector.square();
            assertMessage(assertThrows(IllegalArgumentException.class, () -> tape.batchJacobian(out, vector)),
                    "must have rank at least 2", "(2,)");
            Tensor rows = x.sum(1); // (2,)
            assertMessage(assertThrows(IllegalArgumentException.class, () -> tape.batchJacobian(rows, x)),
                    "must have rank at least 2", "target (2,)");
        }
    }

    // ================================================================ custom gradient

    /** TF testCustomGradient: my_mul(2, x) with its own gradient, trained by hand: losses 4, 3, 2, 1, 0. */
    @Test
    public void customGradientTrainsLikeTensorFlow() {
        Variable x = new Variable(Tensor.scalar(2.0), "x");
        List<Double> losses = new ArrayList<>();
        for (int step = 0; step < 5; step++) {
            try (GradientTape tape = new GradientTape()) {
                Tensor loss = GradientTape.customGradient(List.of(Tensor.scalar(2.0), x), in -> {
                    Tensor a = in.get(0);
                    Tensor b = in.get(1);
                    return new CustomGradient(a.mul(b), dr -> List.of(dr.mul(b), dr.mul(a)));
                });
                losses.add(loss.doubleValue());
                x.assignSub(tape.gradient(loss, x).mul(0.25));
            }
        }
        assertEquals(List.of(4.0, 3.0, 2.0, 1.0, 0.0), losses);
    }

    /** TF testCustomGradientIdentity: a body that returns its input, with gradient 2 dy. */
    @Test
    public void customGradientOfAnIdentity() {
        Tensor x = Tensor.scalar(1.0);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor y = GradientTape.customGradient(x, in -> CustomGradient.of(in, dy -> dy.mul(2.0)));
            assertEquals(1.0, y.doubleValue());
            assertEquals(2.0, tape.gradient(y, x).doubleValue(), 1e-6, "the custom backward, not the identity's 1");
        }
    }

    /**
     * TF testCustomGradientInEagerAndGraph (x*x with gradient 4 dy), testGradientsFunctionInCustomGradient (a body
     * that takes a gradient itself), testCustomGradientEmptyError (a backward returning no gradient) and testErrors
     * (an exception in the backward function reaches the caller).
     */
    @Test
    public void customGradientCasesFromTensorFlow() {
        Tensor c = Tensor.scalar(1.0);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(c);
            Tensor g = GradientTape.customGradient(c, x -> CustomGradient.of(x.mul(x), dy -> dy.mul(4.0)));
            assertEquals(4.0, tape.gradient(g, c).doubleValue());
        }
        Tensor inside = GradientTape.customGradient(c, x -> {
            Tensor y;
            try (GradientTape tape = new GradientTape()) {
                tape.watch(x);
                y = tape.gradient(x.mul(x), x);
            }
            return CustomGradient.of(y, dy -> dy.mul(2.0));
        });
        assertEquals(2.0, inside.doubleValue());
        Variable v = new Variable(Tensor.scalar(1.0));
        try (GradientTape tape = new GradientTape()) {
            Tensor y = GradientTape.customGradient(v, x -> new CustomGradient(x, dy -> List.of()));
            assertMessage(assertThrows(IllegalStateException.class, () -> tape.gradient(y, List.of(v))),
                    "customGradient", "0 gradients for 1 inputs");
        }
        try (GradientTape tape = new GradientTape()) {
            tape.watch(c);
            Tensor y = GradientTape.customGradient(c, x -> CustomGradient.of(x, dy -> {
                throw new ArithmeticException("from the backward function");
            }));
            assertMessage(assertThrows(ArithmeticException.class, () -> tape.gradient(y, c)),
                    "from the backward function");
        }
    }

    /**
     * TF testOverrideSecondOrderWithCustomGradient: the backward function itself uses a custom gradient, which
     * then sets the second derivative: f(c) = c + 10 with f' = -1.1 and f'' = -2.1.
     */
    @Test
    public void customGradientOverridesTheSecondOrderToo() {
        Tensor c = Tensor.scalar(1.0, F64);
        Function<Tensor, Tensor> f = input -> GradientTape.customGradient(input, x -> CustomGradient.of(x.add(10.0),
                dz -> dz.mul(GradientTape.customGradient(x, unused -> CustomGradient.of(Tensor.scalar(-1.1, F64),
                        ddz -> ddz.mul(-2.1))))));
        double fc = 11.0;
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(c);
            inner.watch(c);
            Tensor d = f.apply(c).pow(4);
            Tensor dd = inner.gradient(d, c);
            assertEquals(4 * Math.pow(fc, 3) * -1.1, dd.doubleValue(), 1e-9);
            assertEquals(3 * 4 * fc * fc * -1.1 * -1.1 + 4 * Math.pow(fc, 3) * -2.1,
                    outer.gradient(dd, c).doubleValue(), 1e-8);
        }
    }

    /**
     * TF testCustomGradientForwardprop: a watched output gradient, a two-input custom gradient inside the backward
     * function; the second order (2.2) and the transpose (3.1) come from its backward.
     */
    @Test
    public void customGradientWithAWatchedOutputGradient() {
        Tensor c = Tensor.scalar(1.0);
        Function<Tensor, Tensor> f = input -> GradientTape.customGradient(input, x -> CustomGradient.of(
                x.stopGradient().mul(2.0), dz -> GradientTape.customGradient(List.of(x, dz),
                        unused -> new CustomGradient(Tensor.scalar(2.1),
                                ddz -> List.of(Tensor.scalar(2.2), Tensor.scalar(3.1))))));
        try (GradientTape t = new GradientTape(true)) {
            Tensor gc;
            Tensor outputGrad = Tensor.ones(new int[0]);
            try (GradientTape tt = new GradientTape()) {
                t.watch(c);
                tt.watch(c);
                t.watch(outputGrad);
                Tensor output = f.apply(c);
                assertEquals(2.0, output.doubleValue());
                gc = tt.gradient(output, c, outputGrad);
                assertEquals(2.1, gc.doubleValue(), 1e-6);
            }
            assertEquals(2.2, t.gradient(gc, c).doubleValue(), 1e-6);
            assertEquals(3.1, t.gradient(gc, outputGrad).doubleValue(), 1e-6);
        }
    }

    /** TF's log1pexp example: at x = 100 in float32 the plain gradient is NaN (inf / inf), the custom one 1. */
    @Test
    public void customGradientKeepsAStableGradient() {
        Tensor x = Tensor.constant(new double[] {0, 100});
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor plain = x.exp().add(1.0).log();
            assertTrue(Double.isNaN(tape.gradient(plain, x).toDoubleArray()[1]), "the plain form's gradient is NaN");
            Tensor y = GradientTape.customGradient(x, in -> {
                Tensor e = in.exp();
                return CustomGradient.of(e.add(1.0).log(), dy -> dy.mul(e.add(1.0).reciprocal().neg().add(1.0)));
            });
            assertValues("the custom gradient", tape.gradient(y, x), DType.FLOAT32, new int[] {2},
                    new double[] {0.5, 1});
        }
    }

    /** Second order through a backward function made of ops: x^3 with backward 3 x^2 dy gives 6x, then 6. */
    @Test
    public void customGradientSecondOrder() {
        Tensor x = Tensor.scalar(2.0, F64);
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(x);
            inner.watch(x);
            Tensor y = GradientTape.customGradient(x, in -> CustomGradient.of(in.mul(in).mul(in),
                    dy -> dy.mul(in.square().mul(3.0))));
            Tensor dy = inner.gradient(y, x);
            assertEquals(12.0, dy.doubleValue(), 1e-12);
            assertEquals(12.0, outer.gradient(dy, x).doubleValue(), 1e-12, "d/dx 3x^2 = 6x");
        }
        // intermediates of the body are recorded too: a backward that reads them differentiates through them
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(x);
            inner.watch(x);
            Tensor y = GradientTape.customGradient(x, in -> {
                Tensor e = in.exp();
                return CustomGradient.of(e, dy -> dy.mul(e));
            });
            Tensor dy = inner.gradient(y, x);
            assertEquals(Math.exp(2), outer.gradient(dy, x).doubleValue(), 1e-12);
        }
    }

    @Test
    public void customGradientWithSeveralInputs() {
        Tensor a = f64(1, 2, 3);
        Tensor b = Tensor.scalar(4.0, F64);
        Tensor c = f64(-1, -2, -3);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(a, b, c);
            Tensor y = GradientTape.customGradient(List.of(a, b, c), in -> new CustomGradient(
                    in.get(0).mul(in.get(1)).add(in.get(2)).sum(),
                    dy -> Arrays.asList(dy.mul(in.get(1)).broadcastTo(in.get(0).shape()),
                            dy.mul(in.get(0)).sum().mul(10.0), null)));
            List<Tensor> grads = tape.gradient(y, List.of(a, b, c));
            assertValues("da", grads.get(0), F64, new int[] {3}, new double[] {4, 4, 4});
            assertEquals(60.0, grads.get(1).doubleValue(), 1e-12, "the custom rule's (scaled) db");
            assertNull(grads.get(2), "a null gradient from the backward function is None");
        }
    }

    @Test
    public void customGradientErrorsNameTheProblem() {
        Tensor x = f64(1, 2);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor wrongCount = GradientTape.customGradient(x, in -> new CustomGradient(in.square(),
                    dy -> List.of(dy, dy)));
            assertMessage(assertThrows(IllegalStateException.class, () -> tape.gradient(wrongCount, x)),
                    "customGradient", "2 gradients for 1 inputs", "(2,)");
            Tensor wrongShape = GradientTape.customGradient(x, in -> CustomGradient.of(in.sum(), dy -> dy));
            assertMessage(assertThrows(IllegalStateException.class, () -> tape.gradient(wrongShape, x)),
                    "customGradient", "gradient 0 is float64 ()", "input 0 is float64 (2,)");
        }
        assertMessage(assertThrows(NullPointerException.class, () -> GradientTape.customGradient(x, in -> null)),
                "customGradient", "the body's result");
        assertMessage(assertThrows(NullPointerException.class,
                () -> GradientTape.customGradient(x, in -> CustomGradient.of(in, null))), "backward");
    }

    // ================================================================ forward mode

    /**
     * J·v from a ForwardAccumulator against the reverse mode's Jacobian times v, for random inputs and tangents;
     * one case per covered primitive (elementwise, reductions, matmul, cast/copy, movement, custom gradients).
     */
    @Test
    public void jvpMatchesTheReverseModeForEveryCoveredPrimitive() {
        Tensor x = random(21, -2, 2, 2, 3);
        Tensor y = random(22, -2, 2, 2, 3);
        Tensor positive = random(23, 0.3, 2.5, 2, 3);
        Tensor awayFromZero = Reference.tensor(Reference.awayFromZero(24, 6, 0.3, 2, F64), F64, 2, 3);
        Tensor m = random(25, -1, 1, 3, 4);
        Tensor batch = random(26, -1, 1, 2, 2, 3);
        record Case(String name, Function<List<Tensor>, Tensor> f, Tensor... inputs) {
        }
        List<Case> cases = List.of(
                new Case("neg", in -> in.get(0).neg(), x),
                new Case("abs", in -> in.get(0).abs(), awayFromZero),
                new Case("exp", in -> in.get(0).exp(), x),
                new Case("log", in -> in.get(0).log(), positive),
                new Case("sqrt", in -> in.get(0).sqrt(), positive),
                new Case("sin", in -> in.get(0).sin(), x),
                new Case("cos", in -> in.get(0).cos(), x),
                new Case("tanh", in -> in.get(0).tanh(), x),
                new Case("erf", in -> in.get(0).erf(), x),
                new Case("log1p", in -> in.get(0).log1p(), positive),
                new Case("expm1", in -> in.get(0).expm1(), x),
                new Case("softplus", in -> in.get(0).softplus(), x),
                new Case("add (broadcast)", in -> in.get(0).add(in.get(1)), x, f64(1, 2, 3)),
                new Case("sub", in -> in.get(0).sub(in.get(1)), x, y),
                new Case("mul", in -> in.get(0).mul(in.get(1)), x, y),
                new Case("div", in -> in.get(0).div(in.get(1)), x, awayFromZero),
                new Case("pow", in -> in.get(0).pow(in.get(1)), positive, y),
                new Case("maximum", in -> in.get(0).maximum(in.get(1)), x, y),
                new Case("minimum", in -> in.get(0).minimum(in.get(1)), x, y),
                new Case("where", in -> Tensor.where(in.get(0).greater(0.0), in.get(0), in.get(1)), x, y),
                new Case("sum", in -> in.get(0).sum(1), x),
                new Case("max", in -> in.get(0).max(0), x),
                new Case("min (keepDims)", in -> in.get(0).min(new int[] {0, 1}, true), x),
                new Case("matmul", in -> in.get(0).matmul(in.get(1)), x, m),
                new Case("batched matmul", in -> in.get(0).matmul(in.get(1)), batch, m),
                new Case("cast", in -> in.get(0).cast(DType.FLOAT32), x),
                new Case("copy + reshape", in -> in.get(0).transpose().reshape(6), x),
                new Case("transpose", in -> in.get(0).transpose(), x),
                new Case("broadcastTo", in -> in.get(0).reshape(2, 1, 3).broadcastTo(dev.quiver.Shape.of(2, 4, 3)), x),
                new Case("slice", in -> in.get(0).slice(new int[] {1, 1}, new int[] {1, 2}), x),
                new Case("pad (the gradient of slice)", in -> {
                    try (GradientTape inner = new GradientTape()) {
                        inner.watch(in.get(0));
                        return inner.gradient(in.get(0).slice(1, 1, 3).square().sum(), in.get(0));
                    }
                }, x),
                new Case("reverse", in -> in.get(0).reverse(0, 1), x),
                new Case("gather", in -> in.get(0).gather(Tensor.of(new int[] {2, 0, 2, 1}), 1), x),
                new Case("scatter_add (the gradient of gather)", in -> {
                    try (GradientTape inner = new GradientTape()) {
                        inner.watch(in.get(0));
                        return inner.gradient(in.get(0).gather(Tensor.of(new int[] {1, 1, 0}), 0).square().sum(),
                                in.get(0));
                    }
                }, x),
                new Case("concat", in -> Tensor.concat(List.of(in.get(0), in.get(1).exp()), 1), x, y),
                new Case("stack", in -> Tensor.stack(List.of(in.get(0), in.get(1)), 0), x, y),
                new Case("customGradient (its backward, transposed)", in -> GradientTape.customGradient(in,
                        args -> new CustomGradient(args.get(0).mul(args.get(1)),
                                dy -> List.of(dy.mul(args.get(1)), dy.mul(args.get(0))))), x, y));
        long seed = 100;
        for (Case c : cases) {
            List<Tensor> inputs = List.of(c.inputs());
            List<Tensor> tangents = new ArrayList<>();
            for (Tensor input : inputs) {
                tangents.add(random(seed++, -1, 1, input.shape().dims()));
            }
            Tensor jvp;
            Tensor output;
            try (ForwardAccumulator accumulator = new ForwardAccumulator(inputs, tangents)) {
                output = c.f().apply(inputs);
                jvp = accumulator.jvp(output);
            }
            assertNotNull(jvp, c.name() + ": a JVP");
            assertEquals(output.shape(), jvp.shape(), c.name() + ": shaped like the output");
            assertEquals(output.dtype(), jvp.dtype(), c.name() + ": dtype");
            double[] expected = new double[(int) output.size()];
            try (GradientTape tape = new GradientTape()) {
                tape.watch(c.inputs());
                Tensor again = c.f().apply(inputs);
                List<Tensor> jacobians = tape.jacobian(again, inputs, GradientTape.Unconnected.ZERO);
                for (int i = 0; i < inputs.size(); i++) {
                    double[] jacobian = jacobians.get(i).toDoubleArray();
                    double[] v = tangents.get(i).toDoubleArray();
                    for (int row = 0; row < expected.length; row++) {
                        for (int k = 0; k < v.length; k++) {
                            expected[row] += jacobian[row * v.length + k] * v[k];
                        }
                    }
                }
            }
            double[] actual = jvp.toDoubleArray();
            double tolerance = output.dtype() == F64 ? 1e-12 : 1e-5;
            boolean nonZero = false;
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], tolerance * (1 + Math.abs(expected[i])),
                        c.name() + " element " + i + ": J.v " + Arrays.toString(actual) + " vs "
                                + Arrays.toString(expected));
                nonZero |= expected[i] != 0;
            }
            assertTrue(nonZero, c.name() + ": the check must not be trivially zero");
        }
    }

    /** TF testJVPManual: sin at 0.1 along 0.2 gives cos(0.1) * 0.2; the primal's own JVP is its tangent. */
    @Test
    public void jvpOfSine() {
        Tensor x = Tensor.scalar(0.1, F64);
        try (ForwardAccumulator accumulator = new ForwardAccumulator(x, Tensor.scalar(0.2, F64))) {
            Tensor y = x.sin();
            assertEquals(Math.cos(0.1) * 0.2, accumulator.jvp(y).doubleValue(), 1e-15);
            assertEquals(0.2, accumulator.jvp(x).doubleValue());
        }
    }

    /** TF testMultipleWatchesAdd: watch adds to a tangent; listing a primal twice in the constructor is refused. */
    @Test
    public void watchingAgainAddsTangents() {
        Tensor x = Tensor.scalar(-2.0, F64);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> new ForwardAccumulator(
                List.of(x, x), List.of(Tensor.scalar(1.0, F64), Tensor.scalar(2.0, F64))));
        assertMessage(twice, "ForwardAccumulator", "multiple times");
        Tensor y;
        ForwardAccumulator accumulator = new ForwardAccumulator(List.of(x), List.of(Tensor.scalar(3.0, F64)));
        try (accumulator) {
            assertEquals(3.0, accumulator.jvp(x).doubleValue());
            accumulator.watch(x, Tensor.scalar(10.0, F64));
            assertEquals(13.0, accumulator.jvp(x).doubleValue());
            accumulator.watch(x, Tensor.scalar(11.0, F64));
            assertEquals(24.0, accumulator.jvp(x).doubleValue());
            y = Tensor.scalar(3.0, F64).mul(x);
        }
        assertEquals(24.0, accumulator.jvp(x).doubleValue(), "readable after close");
        assertEquals(72.0, accumulator.jvp(y).doubleValue());
    }

    /**
     * TF testGradPureForward and testHigherOrderPureForward (x^3.5 at 1.1): nested accumulators give the second
     * derivative, an inner accumulator does not follow an outer one's JVP computation, and three nested forward
     * derivatives give the third.
     */
    @Test
    public void pureForwardHigherOrders() {
        Tensor primal = Tensor.scalar(1.1, F64);
        Tensor out;
        ForwardAccumulator inner;
        try (ForwardAccumulator outer = new ForwardAccumulator(primal, Tensor.scalar(1.0, F64))) {
            try (ForwardAccumulator acc = new ForwardAccumulator(primal, Tensor.scalar(1.0, F64))) {
                inner = acc;
                out = primal.pow(3.5);
            }
            Tensor innerJvp = inner.jvp(out);
            assertEquals(Math.pow(1.1, 3.5), out.doubleValue(), 1e-14);
            assertEquals(3.5 * Math.pow(1.1, 2.5), innerJvp.doubleValue(), 1e-14);
            assertEquals(3.5 * 2.5 * Math.pow(1.1, 1.5), outer.jvp(innerJvp).doubleValue(), 1e-13);
            assertNull(inner.jvp(outer.jvp(out)), "the inner accumulator does not see the outer one's JVP ops");
        }
        Function<Tensor, Tensor> f = x -> x.pow(3.5);
        for (int order = 0; order < 3; order++) {
            Function<Tensor, Tensor> inside = f;
            f = x -> {
                try (ForwardAccumulator acc = new ForwardAccumulator(x, Tensor.scalar(1.0, F64))) {
                    return acc.jvp(inside.apply(x));
                }
            };
        }
        assertEquals(3.5 * 2.5 * 1.5 * Math.pow(1.1, 0.5), f.apply(primal).doubleValue(), 1e-12);
    }

    /** TF testJVPPacking: an outer accumulator that watches the inner one's tangent follows it through the JVP. */
    @Test
    public void anOuterAccumulatorWatchingAnInnerTangent() {
        Tensor two = Tensor.scalar(2.0, F64);
        Tensor primal = Tensor.scalar(1.0, F64);
        Tensor innerTangent = Tensor.scalar(3.0, F64);
        try (ForwardAccumulator outer = new ForwardAccumulator(List.of(primal, innerTangent),
                List.of(Tensor.scalar(2.0, F64), Tensor.scalar(4.0, F64)));
             ForwardAccumulator inner = new ForwardAccumulator(primal, innerTangent)) {
            Tensor out = primal.mul(two);
            assertEquals(6.0, inner.jvp(out).doubleValue());
            assertEquals(4.0, outer.jvp(out).doubleValue());
            assertEquals(8.0, outer.jvp(inner.jvp(out)).doubleValue());
        }
    }

    /** TF testExceptionInCustomGradientNotSwallowed: the JVP of a custom gradient runs its backward function. */
    @Test
    public void anExceptionInACustomBackwardReachesTheForwardCaller() {
        Tensor c = Tensor.scalar(1.0);
        try (ForwardAccumulator accumulator = new ForwardAccumulator(c, Tensor.scalar(2.0))) {
            assertMessage(assertThrows(IllegalArgumentException.class, () -> GradientTape.customGradient(c,
                    x -> CustomGradient.of(Tensor.scalar(1.0), dy -> {
                        throw new IllegalArgumentException("test_error_string");
                    }))), "test_error_string");
            assertNotNull(accumulator.jvp(c));
        }
    }

    /** TF testDeadTensorsJVPCleared: a result the program dropped does not keep its tangent in the accumulator. */
    @Test
    public void droppedResultsTakeTheirTangentsWithThem() {
        Tensor x = f64(1, 2, 3);
        try (ForwardAccumulator accumulator = new ForwardAccumulator(x, f64(1, 1, 1))) {
            for (int i = 0; i < 200; i++) {
                x.mul(2.0).sum(); // each step's results are garbage at once
            }
            int count = TestAccess.tangentCount(accumulator);
            for (int attempt = 0; attempt < 50 && count > 1; attempt++) {
                System.gc();
                count = TestAccess.tangentCount(accumulator);
            }
            assertEquals(1, count, "only x itself, which this test still holds, keeps a tangent");
            assertValues("x's tangent", accumulator.jvp(x), F64, new int[] {3}, new double[] {1, 1, 1});
        }
    }

    @Test
    public void unconnectedResultsAndStopGradient() {
        Tensor x = f64(1, 2);
        Tensor other = f64(3);
        try (ForwardAccumulator accumulator = new ForwardAccumulator(x, f64(1, 1))) {
            Tensor before = other.exp();
            Tensor stopped = x.stopGradient().square();
            assertNull(accumulator.jvp(before), "not computed from a watched primal: null (None)");
            assertValues("...or zeros", accumulator.jvp(before, GradientTape.Unconnected.ZERO), F64, new int[] {1},
                    new double[] {0});
            assertNull(accumulator.jvp(stopped), "stopGradient stops tangents");
            Tensor signs = x.sign();
            assertValues("sign is flat: zeros", accumulator.jvp(signs), F64, new int[] {2}, new double[] {0, 0});
            assertNull(accumulator.jvp(x.greater(1.5)), "a bool result carries no tangent");
            Tensor hidden = GradientTape.noRecording(() -> x.exp());
            assertNull(accumulator.jvp(hidden), "noRecording pauses accumulators too");
        }
        Tensor after = x.exp();
        try (ForwardAccumulator accumulator = new ForwardAccumulator(x, f64(1, 1))) {
            assertNull(accumulator.jvp(after), "computed before the accumulator opened");
            accumulator.close();
            assertNull(accumulator.jvp(x.exp()), "nothing is accumulated after close");
        }
    }

    @Test
    public void forwardAccumulatorErrors() {
        Tensor x = f64(1, 2);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ForwardAccumulator(x, f64(1, 2, 3))),
                "ForwardAccumulator.watch", "float64 (3,)", "float64 (2,)");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ForwardAccumulator(x,
                Tensor.constant(new double[] {1, 2}, DType.FLOAT32))), "ForwardAccumulator.watch", "float32");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ForwardAccumulator(List.of(x),
                List.of())), "1 primals but 0 tangents");
        ForwardAccumulator closed = new ForwardAccumulator();
        closed.close();
        assertMessage(assertThrows(IllegalStateException.class, () -> closed.watch(x, f64(1, 1))),
                "ForwardAccumulator.watch", "closed");
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (ForwardAccumulator accumulator = new ForwardAccumulator(x, f64(1, 1))) {
            Throwable failure = other.submit(() -> {
                try {
                    accumulator.watch(x, f64(1, 1));
                    return null;
                } catch (Throwable error) {
                    return error;
                }
            }).get();
            assertTrue(failure instanceof IllegalStateException && failure.getMessage().contains("thread"),
                    String.valueOf(failure));
            assertNull(accumulator.jvp(other.submit(() -> x.exp()).get()), "another thread's ops are invisible");
        } catch (Exception unexpected) {
            throw new AssertionError(unexpected);
        } finally {
            other.shutdownNow();
        }
        Tensor ints = Tensor.constant(new int[] {1, 2});
        try (LogCapture log = new LogCapture(ForwardAccumulator.class.getName());
             ForwardAccumulator accumulator = new ForwardAccumulator(ints, Tensor.constant(new int[] {1, 1}))) {
            assertNull(accumulator.jvp(ints.mul(2)), "an int primal is not watched");
            assertEquals(1, log.messages().size(), log.messages().toString());
            assertTrue(log.messages().getFirst().contains("int32") && log.messages().getFirst().contains("(2,)"),
                    log.messages().getFirst());
        }
    }

    /** A primitive forward mode does not cover is named, with its operands and the backend. */
    @Test
    public void aPrimitiveWithoutAJvpRuleIsNamed() {
        IllegalStateException error = TestAccess.missingJvpRule(f64(1, 2));
        assertMessage(error, "ForwardAccumulator: no JVP (forward-mode) rule for sum (inputs [float64 (2,)])",
                "GradientTape.jacobian", backendName());
    }

    /** d/dx along 1 of an inner accumulator's JVP: the second derivative (sin'' = -sin), forward over forward. */
    @Test
    public void nestedAccumulatorsGiveSecondDerivatives() {
        Tensor x = Tensor.scalar(0.7, F64);
        try (ForwardAccumulator outer = new ForwardAccumulator(x, Tensor.scalar(1.0, F64))) {
            Tensor first;
            Tensor y;
            try (ForwardAccumulator inner = new ForwardAccumulator(x, Tensor.scalar(1.0, F64))) {
                y = x.sin().mul(x.exp());
                first = inner.jvp(y);
            }
            double expectedFirst = Math.exp(0.7) * (Math.cos(0.7) + Math.sin(0.7));
            assertEquals(expectedFirst, first.doubleValue(), 1e-14);
            assertEquals(expectedFirst, outer.jvp(y).doubleValue(), 1e-14, "the outer one follows the primal too");
            assertEquals(2 * Math.exp(0.7) * Math.cos(0.7), outer.jvp(first).doubleValue(), 1e-13,
                    "(e^x sin x)'' = 2 e^x cos x");
        }
    }

    /** Hessian-vector products both ways: forward over backward, and backward over forward (f = sum x^3 sin x). */
    @Test
    public void hessianVectorProductsBothWays() {
        Tensor x = random(31, -1, 1, 4);
        Tensor v = random(32, -1, 1, 4);
        double[] xs = x.toDoubleArray();
        double[] vs = v.toDoubleArray();
        double[] expected = new double[4];
        for (int i = 0; i < 4; i++) { // (x^3 sin x)'' = 6x sin x + 6x^2 cos x - x^3 sin x
            double s = Math.sin(xs[i]);
            double c = Math.cos(xs[i]);
            expected[i] = (6 * xs[i] * s + 6 * xs[i] * xs[i] * c - xs[i] * xs[i] * xs[i] * s) * vs[i];
        }
        Function<Tensor, Tensor> f = in -> in.pow(3).mul(in.sin()).sum();
        Tensor forwardOverBackward;
        try (ForwardAccumulator accumulator = new ForwardAccumulator(x, v)) {
            Tensor gradient;
            try (GradientTape tape = new GradientTape()) {
                tape.watch(x);
                gradient = tape.gradient(f.apply(x), x);
            }
            forwardOverBackward = accumulator.jvp(gradient);
        }
        assertValues("forward over backward", forwardOverBackward, F64, new int[] {4}, expected);
        Tensor backwardOverForward;
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor jvp;
            try (ForwardAccumulator accumulator = new ForwardAccumulator(x, v)) {
                jvp = accumulator.jvp(f.apply(x));
            }
            backwardOverForward = tape.gradient(jvp, x);
        }
        assertValues("backward over forward", backwardOverForward, F64, new int[] {4}, expected);
        try (GradientTape tape = new GradientTape(true)) { // TF testVariablesHVP: back over back, output_gradients
            tape.watch(x);
            Tensor first = tape.gradient(f.apply(x), x);
            assertValues("backward over backward", tape.gradient(List.of(first), List.of(x), List.of(v),
                    GradientTape.Unconnected.NONE).getFirst(), F64, new int[] {4}, expected);
        }
        assertNotEquals(0.0, expected[0]);
    }

    @Test
    public void aVariableCarriesItsTangent() {
        Variable w = new Variable(Tensor.constant(new double[] {1, -2}, F64), "w");
        try (ForwardAccumulator accumulator = new ForwardAccumulator(w, f64(0.5, 1))) {
            Tensor y = w.mul(w).sum();
            assertEquals(2 * 1 * 0.5 + 2 * -2 * 1, accumulator.jvp(y).doubleValue(), 1e-14);
        }
    }

    private static List<Integer> toList(int[] values) {
        return Arrays.stream(values).boxed().toList();
    }
}
