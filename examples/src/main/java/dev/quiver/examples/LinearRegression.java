package dev.quiver.examples;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Losses;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.optimizers.Optimizer;
import dev.quiver.optimizers.SGD;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Fits a line {@code y = w x + b} to noisy samples of {@code y = 7x + 4} by plain gradient descent, starting from
 * {@code w = 10, b = 1}: 100 iterations, learning rate 0.03, a fresh batch of 64 samples each iteration, loss = mean
 * squared error. Everything the loop touches — batches, parameters, gradients — stays on the backend; the only
 * values read back inside the loop are the ones printed every 10 iterations.
 *
 * <p>Data: {@code x ~ Normal(0, 1)} and {@code noise ~ Normal(0, 1)}, both drawn on the backend by a seeded
 * {@link RandomGenerator} (the original tutorial's distributions are not known; these are documented choices).
 * With {@code E[x^2] = 1} each step shrinks the error of {@code w} by a factor of about {@code 1 - 2 * 0.03 = 0.94},
 * so 100 steps leave {@code 3 * 0.94^100 ≈ 0.006} of the initial error plus a noise floor of about 0.02.
 *
 * <p>With {@code --compiled} the same step (batch, loss, gradient, update) runs through a
 * {@link dev.quiver.TrainingStep}: traced once and replayed on the device, with w and b of every step kept in a device
 * history that is read once after the run; the progress lines are printed from it. The numbers are the eager loop's
 * (bit for bit with {@code --no-fusion}).
 *
 * <pre>{@code
 * // ./quiver linear-regression --seed 7 --plots out/
 * LinearRegression.Result result = LinearRegression.run(ExampleArgs.parse("--no-plots"), System.out);
 * result.w();   // ≈ 7
 * result.b();   // ≈ 4
 * }</pre>
 */
public final class LinearRegression {
    /** The line the data comes from. */
    public static final float TRUE_W = 7;
    /** The line the data comes from. */
    public static final float TRUE_B = 4;
    static final float INITIAL_W = 10;
    static final float INITIAL_B = 1;
    static final int ITERATIONS = 100;
    static final double LEARNING_RATE = 0.03;
    static final int BATCH_SIZE = 64;
    static final double NOISE_STANDARD_DEVIATION = 1.0;
    static final int PRINT_EVERY = 10;

    private LinearRegression() {
    }

    /**
     * What training produced.
     *
     * @param w        the final slope
     * @param b        the final intercept
     * @param wHistory w before each iteration, then the final value ({@code ITERATIONS + 1} entries)
     * @param bHistory b likewise
     * @param loop     the training loop's steps, time and host transfers: no uploads, and one download for
     *                 each printed value (compiled: the replayed steps, with no transfers at all)
     * @param compiled the compiled step's figures with {@code --compiled}, null for the eager loop
     * @param plots    the PNG files written (empty with {@code --no-plots})
     * @param seconds  wall time of the run
     */
    public record Result(float w, float b, float[] wHistory, float[] bHistory, TrainingLoop loop,
                         CompiledTraining.Run compiled, List<Path> plots, double seconds) {
    }

    /** One batch: {@code x ~ Normal(0, 1)} and {@code y = 7x + 4 + noise}, drawn on the backend. */
    private record Batch(Tensor x, Tensor y) {
        static Batch draw(RandomGenerator random) {
            Tensor x = random.normal(Shape.of(BATCH_SIZE, 1));
            Tensor noise = random.normal(Shape.of(BATCH_SIZE, 1), 0, NOISE_STANDARD_DEVIATION, DType.FLOAT32);
            return new Batch(x, x.mul(TRUE_W).add(TRUE_B).add(noise));
        }
    }

    private static String progressLine(int iteration, float w, float b) {
        return String.format(Locale.ROOT, "At iter %d, w=%.3f, b=%.3f", iteration, w, b);
    }

    /**
     * The same as {@code quiver linear-regression ARGS}: options, {@code --help} and backend errors as {@link Main} has them.
     *
     * @param args the shared options ({@code --help} lists them)
     */
    public static void main(String[] args) {
        Main.runCommand("linear-regression", args);
    }

    /** Trains, prints progress to {@code out}, writes the plots unless disabled, and returns the result. */
    public static Result run(ExampleArgs args, PrintStream out) {
        long start = System.nanoTime();
        out.println("Backend: " + args.selectBackend());
        out.printf(Locale.ROOT, "Fitting y = w*x + b to y = %.0f*x + %.0f + noise: %d iterations, learning rate %s, "
                + "batch %d, seed %d%n", TRUE_W, TRUE_B, ITERATIONS, LEARNING_RATE, BATCH_SIZE, args.seed());

        RandomGenerator random = new RandomGenerator(args.seed());
        Variable w = new Variable(Tensor.scalar(INITIAL_W), "w");
        Variable b = new Variable(Tensor.scalar(INITIAL_B), "b");
        List<Variable> parameters = List.of(w, b);
        Optimizer optimizer = new SGD(LEARNING_RATE);   // plain descent: w -= lr * dloss/dw

        float[] ws;
        float[] bs;
        Batch firstBatch;
        TrainingLoop loop;
        CompiledTraining.Run compiled = null;
        if (args.execution().compiled()) {
            // The same step as the loop below, as one function the TrainingStep traces once and then replays.
            Tensor startW = w.value();
            Tensor startB = b.value();
            compiled = CompiledTraining.train("linear-regression", args.execution(), optimizer, parameters, () -> {
                Batch batch = Batch.draw(random);
                return Losses.meanSquaredError(batch.y(), batch.x().mul(w).add(b));
            }, ITERATIONS, w, b);
            loop = compiled.loop();
            // w and b before each iteration: the start, then the history of the device (one download each)
            ws = Tensor.concat(List.of(startW.reshape(1), compiled.of(w)), 0).toFloatArray();
            bs = Tensor.concat(List.of(startB.reshape(1), compiled.of(b)), 0).toFloatArray();
            for (int iteration = 0; iteration < ITERATIONS; iteration += PRINT_EVERY) {
                out.println(progressLine(iteration, ws[iteration], bs[iteration]));
            }
            // the plot's batch is the first one the step drew: the same seed draws it again
            firstBatch = Batch.draw(new RandomGenerator(args.seed()));
        } else {
            // The history for the plot is kept on the backend: w.value() is a device-side copy, and the copies are
            // stacked and read back once after the loop. Reading w and b each iteration would force a host
            // synchronisation per step, which is exactly what a device training loop must avoid.
            List<Tensor> wHistory = new ArrayList<>(ITERATIONS + 1);
            List<Tensor> bHistory = new ArrayList<>(ITERATIONS + 1);
            firstBatch = null;
            try (Progress progress = Progress.onTerminal(out, "linear-regression", ITERATIONS)) {
                TrainingLoop.Meter meter = TrainingLoop.start("linear-regression");
                for (int iteration = 0; iteration < ITERATIONS; iteration++) {
                    wHistory.add(w.value());
                    bHistory.add(b.value());
                    if (iteration % PRINT_EVERY == 0) {
                        progress.println(out, progressLine(iteration, w.floatValue(), b.floatValue()));
                    }
                    Batch batch = Batch.draw(random);
                    if (iteration == 0) {
                        firstBatch = batch;
                    }
                    try (GradientTape tape = new GradientTape()) {
                        Tensor predicted = batch.x().mul(w).add(b);
                        Tensor loss = Losses.meanSquaredError(batch.y(), predicted);
                        optimizer.applyGradients(tape.gradient(loss, parameters), parameters);
                        progress.step(iteration + 1, loss);
                    }
                }
                wHistory.add(w.value());
                bHistory.add(b.value());
                loop = meter.finish(ITERATIONS, progress);
            }
            ws = Tensor.stack(wHistory, 0).toFloatArray();
            bs = Tensor.stack(bHistory, 0).toFloatArray();
        }

        float finalW = w.floatValue();
        float finalB = b.floatValue();
        out.printf(Locale.ROOT, "Final after %d iters: w=%.4f, b=%.4f (true w=%.1f, b=%.1f)%n", ITERATIONS, finalW,
                finalB, TRUE_W, TRUE_B);
        if (compiled != null) {
            out.println("Training loop: " + loop.describe() + "; the history is read once, after the run");
            out.println(compiled.describe());
        } else {
            out.println("Training loop: " + loop.describe() + "; the downloads are the printed values");
        }

        List<Path> plots = new ArrayList<>();
        if (args.plots()) {
            plots.add(plotData(args.plotDirectory(), firstBatch.x().toFloatArray(), firstBatch.y().toFloatArray(),
                    finalW, finalB));
            plots.add(plotParameters(args.plotDirectory(), ws, bs));
            plots.forEach(plot -> out.println("Plot: " + plot));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "Time: %.2f s%n", seconds);
        return new Result(finalW, finalB, ws, bs, loop, compiled, List.copyOf(plots), seconds);
    }

    private static Path plotData(Path directory, float[] x, float[] y, float w, float b) {
        return Plots.save(dataChart(x, y, w, b), directory, "linear-regression-data.png");
    }

    /** One batch of samples, the true line (grey, dashed) and the learned line on top of it. */
    static XYChart dataChart(float[] x, float[] y, float w, float b) {
        // the data rises from bottom left to top right: the top left corner is free for the legend
        XYChart chart = Plots.chart("One batch of training data", "x", "y", LegendPosition.InsideNW);
        Plots.points(chart, "samples", Plots.widen(x), Plots.widen(y));
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (float value : x) {
            low = Math.min(low, value);
            high = Math.max(high, value);
        }
        double[] ends = {low, high};
        Plots.reference(chart, "true line y = 7x + 4", ends,
                new double[] {TRUE_W * low + TRUE_B, TRUE_W * high + TRUE_B});
        Plots.line(chart, String.format(Locale.ROOT, "learned y = %.3fx + %.3f", w, b), ends,
                new double[] {w * low + b, w * high + b});
        return chart;
    }

    private static Path plotParameters(Path directory, float[] ws, float[] bs) {
        return Plots.save(parameterChart(ws, bs), directory, "linear-regression-parameters.png");
    }

    /** w and b per iteration, each over its true value drawn as a grey dashed line. */
    static XYChart parameterChart(float[] ws, float[] bs) {
        // w falls from 10 to 7 and b rises from 1 to 4: the top right corner stays empty
        XYChart chart = Plots.chart("Learned parameters per iteration", "iteration", "value",
                LegendPosition.InsideNE);
        double[] steps = Plots.iterations(ws.length);
        double[] ends = {0, ws.length - 1};
        Plots.reference(chart, "true w = 7", ends, new double[] {TRUE_W, TRUE_W});
        Plots.reference(chart, "true b = 4", ends, new double[] {TRUE_B, TRUE_B});
        Plots.line(chart, "learned w", steps, Plots.widen(ws));
        Plots.line(chart, "learned b", steps, Plots.widen(bs));
        return chart;
    }
}
