package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.GradientTape;
import dev.quiver.Losses;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.optimizers.SGD;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The K-problem step is K separate fits: each line's gradient, and its parameters after several compiled steps, are
 * those of the same line fitted alone by the eager tutorial's loop on its own rows of the same draws.
 */
class BatchedRegressionTest {
    private static final int PROBLEMS = 5;
    private static final int STEPS = 6;
    private static final long SEED = 11;

    @Test
    void eachLineIsFittedAsIfAloneGradientsAndParameters() {
        Capture capture = new Capture();
        BatchedRegression.Result batched = BatchedRegression.run(ExampleArgs.defaults().withoutPlots()
                .withSeed(SEED).withBackend("cpu"), capture.out, PROBLEMS, STEPS);

        // The same draws as the compiled step: the true lines, then one (K, 64) batch per step, sliced per line.
        RandomGenerator random = new RandomGenerator(SEED);
        BatchedRegression.Lines lines = BatchedRegression.Lines.draw(random, PROBLEMS);
        List<Variable> w = new ArrayList<>();
        List<Variable> b = new ArrayList<>();
        for (int k = 0; k < PROBLEMS; k++) {
            w.add(new Variable(Tensor.zeros(Shape.of(1, 1)), "w" + k));
            b.add(new Variable(Tensor.zeros(Shape.of(1, 1)), "b" + k));
        }
        SGD optimizer = new SGD(BatchedRegression.LEARNING_RATE);
        for (int step = 0; step < STEPS; step++) {
            BatchedRegression.Batch batch = BatchedRegression.Batch.draw(random, lines);
            // the K-problem loss's gradient at the separate fits' current parameters, stacked to (K, 1)
            Tensor stackedW = Tensor.concat(w.stream().map(Variable::value).toList(), 0);
            Tensor stackedB = Tensor.concat(b.stream().map(Variable::value).toList(), 0);
            float[] batchedGradW;
            float[] batchedGradB;
            try (GradientTape tape = new GradientTape()) {
                tape.watch(stackedW, stackedB);
                List<Tensor> gradients = tape.gradient(BatchedRegression.loss(stackedW, stackedB, batch),
                        List.of(stackedW, stackedB));
                batchedGradW = gradients.get(0).toFloatArray();
                batchedGradB = gradients.get(1).toFloatArray();
            }
            for (int k = 0; k < PROBLEMS; k++) {
                Tensor x = batch.x().slice(0, k, k + 1);
                Tensor y = batch.y().slice(0, k, k + 1);
                List<Variable> parameters = List.of(w.get(k), b.get(k));
                try (GradientTape tape = new GradientTape()) {
                    // line k alone, as the linear-regression tutorial fits a line: its own mean squared error
                    Tensor loss = Losses.meanSquaredError(y, x.mul(w.get(k)).add(b.get(k)));
                    List<Tensor> gradients = tape.gradient(loss, parameters);
                    float gradW = gradients.get(0).floatValue();
                    float gradB = gradients.get(1).floatValue();
                    assertEquals(gradW, batchedGradW[k], 1e-5 * Math.max(1, Math.abs(gradW)),
                            "dloss/dw of line " + k + " at step " + step);
                    assertEquals(gradB, batchedGradB[k], 1e-5 * Math.max(1, Math.abs(gradB)),
                            "dloss/db of line " + k + " at step " + step);
                    optimizer.applyGradients(gradients, parameters);
                }
            }
        }
        for (int k = 0; k < PROBLEMS; k++) {
            float separateW = w.get(k).floatValue();
            float separateB = b.get(k).floatValue();
            assertEquals(separateW, batched.w()[k], 1e-5 * Math.max(1, Math.abs(separateW)), "w of line " + k);
            assertEquals(separateB, batched.b()[k], 1e-5 * Math.max(1, Math.abs(separateB)), "b of line " + k);
        }
        // the separate fits moved: the comparison is not between two sets of starting zeros
        assertTrue(Math.abs(batched.w()[0]) > 0.1, capture.text());
        assertEquals(STEPS, batched.losses().length);
    }

    @Test
    void recoversEveryLineAndWritesTheRecoveryPlot(@TempDir Path directory) throws IOException {
        int problems = 200;
        Capture capture = new Capture();
        BatchedRegression.Result result = BatchedRegression.run(ExampleArgs.defaults().withPlots(directory)
                .withBackend("cpu"), capture.out, problems, BatchedRegression.STEPS);
        // SGD's noise floor: a standard deviation of about 0.014 per parameter (see the class comment)
        assertTrue(result.maxErrorW() < 0.08 && result.maxErrorB() < 0.08, capture.text());
        assertTrue(result.meanErrorW() < 0.02 && result.meanErrorB() < 0.02, capture.text());
        assertEquals(problems, result.trueW().length);
        String text = capture.text();
        assertTrue(text.contains("Recovered w: max |w_k - true w_k| = "), text);
        assertTrue(text.lines().anyMatch(line -> line.startsWith("Speed: ") && line.contains(" samples/s, ")), text);
        // the replayed steps touch the host not at all: the history is read after them
        assertEquals(0, result.loop().transfers().uploads() + result.loop().transfers().downloads(),
                result.loop().describe());
        assertEquals(List.of(directory.resolve("batched-regression.png"),
                directory.resolve("batched-regression-errors.png")), result.plots());
        for (Path plot : result.plots()) {
            assertTrue(Files.size(plot) > 1000, plot + "\n" + text);
        }
    }
}
