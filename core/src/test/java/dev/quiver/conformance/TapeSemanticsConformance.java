package dev.quiver.conformance;

import static dev.quiver.conformance.Reference.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.TestAccess;
import dev.quiver.Variable;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** TensorFlow's GradientTape semantics, which the tutorials rely on. */
public abstract class TapeSemanticsConformance extends BackendConformance {

    static Tensor f64(double... values) {
        return Tensor.constant(values, DType.FLOAT64);
    }

    @Test
    public void trainableVariablesAreWatchedAutomatically() {
        Variable w = new Variable(Tensor.constant(3.0), "w");
        try (GradientTape tape = new GradientTape()) {
            Tensor y = w.mul(w);
            Tensor dy = tape.gradient(y, w);
            assertNotNull(dy, "a trainable variable read under a tape is watched");
            assertEquals(6.0, dy.doubleValue(), 1e-6);
            assertEquals(DType.FLOAT32, dy.dtype());
            assertEquals(Shape.scalar(), dy.shape());
        }
    }

    @Test
    public void constantsOnlyAfterWatch() {
        Tensor x = Tensor.constant(3.0);
        try (GradientTape tape = new GradientTape(true)) {
            Tensor unwatched = x.mul(x);
            assertNull(tape.gradient(unwatched, x), "an unwatched constant has no gradient (None)");
            Tensor zero = tape.gradient(unwatched, x, GradientTape.Unconnected.ZERO);
            assertNotNull(zero);
            assertEquals(0.0, zero.doubleValue());
            assertEquals(x.shape(), zero.shape());
            tape.watch(x);
            Tensor watched = x.mul(x);
            assertEquals(6.0, tape.gradient(watched, x).doubleValue(), 1e-6);
        }
    }

    @Test
    public void unconnectedSourceGivesNullOrZeros() {
        Tensor x = f64(1, 2, 3);
        Tensor other = Tensor.constant(new double[][] {{4, 5}}, DType.FLOAT64);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x, other);
            Tensor y = x.square().sum();
            List<Tensor> grads = tape.gradient(y, List.of(x, other), GradientTape.Unconnected.ZERO);
            assertValues("connected", grads.get(0), DType.FLOAT64, new int[] {3}, new double[] {2, 4, 6});
            assertValues("unconnected as zeros", grads.get(1), DType.FLOAT64, new int[] {1, 2}, new double[] {0, 0});
        }
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x, other);
            Tensor y = x.square().sum();
            List<Tensor> grads = tape.gradient(y, List.of(x, other));
            assertNotNull(grads.get(0));
            assertNull(grads.get(1), "unconnected is None by default");
        }
    }

    @Test
    public void nonPersistentTapeAnswersOnce() {
        Tensor x = Tensor.constant(2.0);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor y = x.mul(x);
            Tensor z = y.mul(x);
            assertEquals(4.0, tape.gradient(y, x).doubleValue(), 1e-6);
            IllegalStateException error = assertThrows(IllegalStateException.class, () -> tape.gradient(z, x));
            assertTrue(error.getMessage().contains("once") && error.getMessage().contains("persistent"),
                    "the message says why and what to do: " + error.getMessage());
        }
    }

    @Test
    public void persistentTapeAnswersMany() {
        Tensor x = Tensor.constant(3.0);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor y = x.mul(x);
            Tensor z = y.mul(y);
            assertEquals(108.0, tape.gradient(z, x).doubleValue(), 1e-4, "dz/dx = 4x^3");
            assertEquals(6.0, tape.gradient(y, x).doubleValue(), 1e-6, "dy/dx = 2x");
            assertEquals(18.0, tape.gradient(z, y).doubleValue(), 1e-5, "dz/dy = 2y");
            assertEquals(108.0, tape.gradient(z, x).doubleValue(), 1e-4, "asking again gives the same answer");
        }
    }

    /** TensorFlow's testHigherOrderGradient: one persistent tape differentiates its own gradients (y = x^3, x = 3). */
    @Test
    public void aPersistentTapeDifferentiatesItsOwnGradient() {
        Tensor x = Tensor.scalar(3.0);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor y = x.pow(3);
            Tensor dy = tape.gradient(y, x);
            assertEquals(27.0, dy.doubleValue(), 1e-4, "dy/dx = 3x^2");
            Tensor d2y = tape.gradient(dy, x);
            assertNotNull(d2y, "the first gradient was recorded on the persistent tape");
            assertEquals(18.0, d2y.doubleValue(), 1e-4, "d2y/dx2 = 6x");
            Tensor d3y = tape.gradient(d2y, x);
            assertNotNull(d3y);
            assertEquals(6.0, d3y.doubleValue(), 1e-4, "d3y/dx3 = 6");
            assertEquals(27.0, tape.gradient(y, x).doubleValue(), 1e-4, "asking again gives the same answer");
        }
    }

    @Test
    public void nestedTapesGiveSecondDerivatives() {
        Tensor x = Tensor.scalar(3.0);
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(x);
            inner.watch(x);
            Tensor y = x.pow(3);
            Tensor dy = inner.gradient(y, x);
            Tensor d2y = outer.gradient(dy, x);
            assertEquals(27.0, dy.doubleValue(), 1e-5);
            assertEquals(18.0, d2y.doubleValue(), 1e-5);
        }
        Variable v = new Variable(Tensor.scalar(0.5, DType.FLOAT64));
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            Tensor y = v.sin().mul(v);
            Tensor dy = inner.gradient(y, v);
            Tensor d2y = outer.gradient(dy, v);
            assertEquals(Math.cos(0.5) * 0.5 + Math.sin(0.5), dy.doubleValue(), 1e-12);
            assertEquals(2 * Math.cos(0.5) - 0.5 * Math.sin(0.5), d2y.doubleValue(), 1e-12,
                    "variables are watched by both tapes");
        }
    }

    @Test
    public void listOfSources() {
        Variable w = new Variable(Tensor.constant(new double[][] {{1, 2}, {3, 4}}, DType.FLOAT64), "w");
        Variable b = new Variable(Tensor.constant(new double[] {0.5, -0.5}, DType.FLOAT64), "b");
        Tensor x = Tensor.constant(new double[][] {{1, -1}}, DType.FLOAT64);
        try (GradientTape tape = new GradientTape()) {
            Tensor y = x.matmul(w).add(b);              // (1, 2)
            Tensor loss = y.square().sum();
            List<Tensor> grads = tape.gradient(loss, List.of(w, b));
            // y = [1-3+0.5, 2-4-0.5] = [-1.5, -2.5]; dL/dy = 2y = [-3, -5]
            assertValues("dL/dw", grads.get(0), DType.FLOAT64, new int[] {2, 2}, new double[] {-3, -5, 3, 5});
            assertValues("dL/db", grads.get(1), DType.FLOAT64, new int[] {2}, new double[] {-3, -5});
        }
    }

    @Test
    public void gradientWithRespectToAnIntermediate() {
        Tensor x = f64(1, 2);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor y = x.mul(3.0);
            Tensor z = y.square().sum();
            assertValues("dz/dy", tape.gradient(z, y), DType.FLOAT64, new int[] {2}, new double[] {6, 12});
            assertValues("dz/dx", tape.gradient(z, x), DType.FLOAT64, new int[] {2}, new double[] {18, 36});
            assertValues("dz/dz", tape.gradient(z, z), DType.FLOAT64, new int[0], new double[] {1});
        }
    }

    @Test
    public void nonScalarTargetIsSummed() {
        Tensor x = f64(1, 2, 3);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor y = x.square(); // (3,)
            assertValues("d sum(x^2)/dx", tape.gradient(y, x), DType.FLOAT64, new int[] {3}, new double[] {2, 4, 6});
        }
    }

    @Test
    public void stopGradientBlocks() {
        Tensor x = f64(2, -3);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor y = x.stopGradient().mul(x);
            assertValues("d(stop(x) * x)/dx = x", tape.gradient(y, x), DType.FLOAT64, new int[] {2},
                    new double[] {2, -3});
            Tensor blocked = x.square().stopGradient().mul(2.0);
            assertNull(tape.gradient(blocked, x), "nothing flows through stopGradient");
            assertValues("stopGradient keeps the values", x.stopGradient(), DType.FLOAT64, new int[] {2},
                    new double[] {2, -3});
        }
    }

    @Test
    public void jacobianOfElementwiseSquareIsDiagonal() {
        Tensor x = f64(1, -2, 3);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor y = x.square();
            Tensor jacobian = tape.jacobian(y, x);
            assertValues("jacobian of x^2", jacobian, DType.FLOAT64, new int[] {3, 3},
                    new double[] {2, 0, 0, 0, -4, 0, 0, 0, 6});
        }
        Tensor m = Tensor.constant(new double[][] {{1, 2}, {3, 4}}, DType.FLOAT64);
        Tensor v = f64(5, 7);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(v);
            Tensor y = m.matmul(v.reshape(2, 1)).reshape(2);
            assertValues("jacobian of M v is M", tape.jacobian(y, v), DType.FLOAT64, new int[] {2, 2},
                    new double[] {1, 2, 3, 4});
        }
    }

    @Test
    public void nonTrainableVariableIsNotWatchedAutomatically() {
        Variable frozen = new Variable(Tensor.constant(2.0), "frozen", false);
        Variable trained = new Variable(Tensor.constant(5.0), "trained");
        try (GradientTape tape = new GradientTape(true)) {
            Tensor y = frozen.mul(trained);
            assertNull(tape.gradient(y, frozen), "non-trainable variables need watch()");
            assertEquals(2.0, tape.gradient(y, trained).doubleValue(), 1e-6);
        }
        try (GradientTape tape = new GradientTape()) {
            tape.watch(frozen);
            Tensor y = frozen.mul(trained);
            assertEquals(5.0, tape.gradient(y, frozen).doubleValue(), 1e-6, "...and are watched after it");
        }
        try (GradientTape tape = new GradientTape(false, false)) {
            Tensor y = trained.mul(trained);
            assertNull(tape.gradient(y, trained), "watchAccessedVariables=false watches nothing by itself");
        }
    }

    @Test
    public void useAfterCloseIsAnError() {
        Tensor x = Tensor.constant(1.0);
        GradientTape tape = new GradientTape();
        tape.watch(x);
        Tensor y = x.mul(x);
        tape.close();
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> tape.gradient(y, x));
        assertTrue(error.getMessage().contains("closed"), error.getMessage());
        assertThrows(IllegalStateException.class, () -> tape.watch(x));
        tape.close(); // closing twice is harmless
        // a closed tape records nothing: a new op does not reach it
        Tensor after = x.mul(2.0);
        assertNotNull(after);
    }

    @Test
    public void tapesArePerThread() throws Exception {
        Tensor x = Tensor.constant(3.0);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            Tensor local = x.mul(x);
            Future<Throwable> misuse = other.submit(() -> {
                try {
                    tape.gradient(local, x);
                    return null;
                } catch (Throwable failure) {
                    return failure;
                }
            });
            Throwable failure = misuse.get();
            assertTrue(failure instanceof IllegalStateException, "using a tape from another thread is an error: "
                    + failure);
            assertTrue(failure.getMessage().contains("thread"), failure.getMessage());
            // ops run on another thread are not recorded by this thread's tape
            Tensor remote = other.submit(() -> x.mul(x)).get();
            assertNull(tape.gradient(remote, x), "another thread's ops are invisible to this tape");
            assertEquals(6.0, tape.gradient(local, x).doubleValue(), 1e-6, "the tape still works on its thread");
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    public void gradientsAccumulateWhenATensorIsUsedTwice() {
        Tensor x = f64(1.5, -2);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor y = x.mul(x).add(x);
            assertValues("d(x*x + x)/dx = 2x + 1", tape.gradient(y, x), DType.FLOAT64, new int[] {2},
                    new double[] {4, -3});
        }
        Variable w = new Variable(Tensor.constant(new double[] {1, 2, 3}, DType.FLOAT64));
        try (GradientTape tape = new GradientTape()) {
            Tensor y = w.sum().mul(w).add(w.exp()).sum();   // sum(w) * sum(w) + sum(exp(w))
            assertValues("d/dw of sum(w)^2 + sum(exp w)", tape.gradient(y, w), DType.FLOAT64, new int[] {3},
                    new double[] {12 + Math.exp(1), 12 + Math.exp(2), 12 + Math.exp(3)});
        }
    }

    @Test
    public void gradientOfBroadcastSourceHasTheSourceShape() {
        Tensor b = f64(1, 2, 3);
        Tensor m = Tensor.constant(new double[][] {{1, 1, 1}, {2, 2, 2}}, DType.FLOAT64);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(b);
            Tensor y = m.mul(b).sum();
            assertValues("summed back to (3,)", tape.gradient(y, b), DType.FLOAT64, new int[] {3},
                    new double[] {3, 3, 3});
        }
    }

    @Test
    public void pausedRecordingAndTheWatchedList() {
        Tensor x = f64(1, 2);
        Tensor other = f64(5);
        try (GradientTape outer = new GradientTape(true); GradientTape tape = new GradientTape(true)) {
            outer.watch(x);
            tape.watch(x, other);
            Tensor[] paused = new Tensor[1];
            tape.stopRecording(() -> paused[0] = x.square());
            assertNull(tape.gradient(paused[0], x), "ops under stopRecording are not on this tape");
            assertValues("...but other tapes still record", outer.gradient(paused[0], x), DType.FLOAT64,
                    new int[] {2}, new double[] {2, 4});
            Tensor hidden = GradientTape.noRecording(() -> x.exp());
            assertNull(tape.gradient(hidden, x), "noRecording pauses every tape of the thread");
            assertNull(outer.gradient(hidden, x));
            Tensor recorded = x.mul(3.0);
            assertValues("recording resumes", tape.gradient(recorded, x), DType.FLOAT64, new int[] {2},
                    new double[] {3, 3});
            List<Tensor> watched = tape.watched();
            assertTrue(watched.stream().anyMatch(t -> t == x) && watched.stream().anyMatch(t -> t == other),
                    "watched() lists the sources");
            assertTrue(watched.stream().noneMatch(t -> t == recorded), "...and not intermediate results");
        }
    }

    /**
     * TensorFlow's testPythonMax: choosing a variable by comparisons (bool results) reads, and so watches, the
     * variables; the chosen one is then its own target, with gradient 1, the others None.
     */
    @Test
    public void aVariableChosenByAComparisonKeepsItsGradient() {
        List<Variable> x = List.of(new Variable(Tensor.constant(2.0), "a"), new Variable(Tensor.constant(3.0), "b"),
                new Variable(Tensor.constant(5.0), "c"));
        try (GradientTape tape = new GradientTape()) {
            Variable f = x.get(0);
            for (Variable candidate : x.subList(1, x.size())) {
                if (candidate.greater(f).booleanValue()) {
                    f = candidate;
                }
            }
            List<Tensor> grads = tape.gradient(f, x);
            assertEquals(5.0, f.doubleValue());
            assertNull(grads.get(0));
            assertNull(grads.get(1));
            assertNotNull(grads.get(2), "the variable max() chose keeps its gradient (TF: [None, None, 1.0])");
            assertEquals(1.0, grads.get(2).doubleValue());
        }
    }

    @Test
    public void integerOpsCarryNoGradient() {
        Tensor x = f64(1, 2);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            Tensor y = x.cast(DType.INT32).cast(DType.FLOAT64).mul(x);
            assertValues("a round trip through int32 blocks that path", tape.gradient(y, x), DType.FLOAT64,
                    new int[] {2}, new double[] {1, 2});
        }
    }

    /** TensorFlow: watching an int or bool tensor logs a warning, and its gradient is None; floats still count. */
    @Test
    public void watchingAnIntTensorWarnsAndGivesNoGradient() {
        Tensor ints = Tensor.constant(new int[] {1, 2});
        Tensor x = f64(3);
        try (LogCapture log = new LogCapture(GradientTape.class.getName());
             GradientTape tape = new GradientTape(true)) {
            tape.watch(ints, x);
            tape.watch(Tensor.constant(new boolean[] {true}));
            Tensor y = ints.cast(DType.FLOAT64).sum().mul(x);
            assertNull(tape.gradient(y, ints), "an int32 tensor carries no gradient (None)");
            assertValues("the float source beside it", tape.gradient(y, x), DType.FLOAT64, new int[] {1},
                    new double[] {3});
            List<String> messages = log.messages();
            assertEquals(2, messages.size(), messages.toString());
            assertTrue(messages.get(0).startsWith("WARNING") && messages.get(0).contains("int32")
                    && messages.get(0).contains("tensor 0") && messages.get(0).contains("(2,)"), messages.get(0));
            assertTrue(messages.get(1).contains("bool") && messages.get(1).contains("the tensor"), messages.get(1));
        }
    }

    @Test
    public void anUnclosedTapeNobodyReachesStopsRecordingAndIsCollected() {
        Variable w = new Variable(Tensor.constant(new double[] {1, 2, 3}), "w");
        int before = TestAccess.activeTapes();
        int leaked = 90; // below the leak warning's threshold: this test is about collection, not the warning
        for (int i = 0; i < leaked; i++) {
            new GradientTape(); // never closed, never referenced again
            w.mul(2.0).sum();   // recorded by every tape still alive
        }
        int after = TestAccess.activeTapes();
        // the garbage collector decides when a weak reference clears; ask it until it has, a bounded number of times
        for (int attempt = 0; attempt < 50 && after > before; attempt++) {
            System.gc();
            w.mul(2.0).sum();   // ops clean the cleared entries from the thread's active list
            after = TestAccess.activeTapes();
        }
        assertEquals(before, after, "the active list is back to its size before the loop");
        try (GradientTape tape = new GradientTape()) {
            Tensor y = w.mul(w).sum();
            assertEquals(before + 1, TestAccess.activeTapes());
            assertNotNull(tape.gradient(y, w), "a reachable tape still records");
        }
        assertEquals(before, TestAccess.activeTapes(), "close removes the tape");
    }

    @Test
    public void aTapeMarksWhatItTracksAndTakesTheMarksOffAtClose() {
        Variable w = new Variable(Tensor.constant(new double[] {1, 2}), "w");
        for (int step = 0; step < 50; step++) {
            try (GradientTape tape = new GradientTape()) {
                Tensor y = w.mul(w).sum();
                assertEquals(1, TestAccess.tapeMarks(w), "read by one tape");
                assertEquals(1, TestAccess.tapeMarks(y), "recorded by one tape");
                assertNotNull(tape.gradient(y, w));
            }
            assertEquals(0, TestAccess.tapeMarks(w), "close takes the mark off: a variable's marks never pile up");
        }
        try (GradientTape outer = new GradientTape(true)) {
            Tensor y;
            try (GradientTape inner = new GradientTape()) {
                y = w.mul(3.0).sum();
                assertEquals(2, TestAccess.tapeMarks(w), "nested tapes: one mark each");
                assertEquals(2, TestAccess.tapeMarks(y));
                assertEquals(List.of(w), inner.watched());
            }
            assertEquals(1, TestAccess.tapeMarks(w), "the inner tape's mark is gone, the outer one's stays");
            assertEquals(List.of(w), outer.watched());
            assertValues("outer gradient", outer.gradient(y, w), DType.FLOAT32, new int[] {2}, new double[] {3, 3});
        }
        Tensor constant = Tensor.constant(new double[] {1});
        try (GradientTape tape = new GradientTape()) {
            tape.watch(constant, constant);
            assertEquals(List.of(constant), tape.watched(), "watched twice, listed once");
        }
        assertEquals(0, TestAccess.tapeMarks(constant));
    }

    @Test
    public void aVariableSharedByThreadsIsTrackedByEveryThreadsTape() throws Exception {
        Variable w = new Variable(Tensor.constant(new double[] {1, 2}), "w");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> missed = new java.util.ArrayList<>();
            for (int thread = 0; thread < 2; thread++) {
                missed.add(pool.submit(() -> {
                    int none = 0;
                    for (int step = 0; step < 200; step++) {
                        try (GradientTape tape = new GradientTape()) {
                            none += tape.gradient(w.mul(w).sum(), w) == null ? 1 : 0;
                        }
                    }
                    return none;
                }));
            }
            for (Future<Integer> count : missed) {
                assertEquals(0, count.get(), "marks set concurrently on one tensor are never lost");
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, TestAccess.tapeMarks(w));
    }

    @Test
    public void manyOpenTapesOnOneThreadAreReportedOnceAsALeak() throws Exception {
        try (LogCapture log = new LogCapture(GradientTape.class.getName())) {
            // fresh threads: the warning is once per thread, whatever other tests did on this one
            for (int thread = 1; thread <= 2; thread++) {
                Thread leaking = new Thread(() -> {
                    List<GradientTape> open = new java.util.ArrayList<>();
                    for (int i = 0; i < 250; i++) {
                        open.add(new GradientTape());
                    }
                    open.forEach(GradientTape::close);
                }, "leaking-" + thread);
                leaking.start();
                leaking.join();
                List<String> warnings = log.messages();
                assertEquals(thread, warnings.size(), "one warning per leaking thread: " + warnings);
                assertTrue(warnings.getLast().contains("GradientTapes are open on thread leaking-" + thread)
                        && warnings.getLast().contains("close"), warnings.getLast());
            }
        }
    }
}
