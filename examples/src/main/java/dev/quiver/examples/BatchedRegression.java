package dev.quiver.examples;

import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.optimizers.SGD;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Fits K = 10,000 independent lines {@code y = w_k x + b_k + noise} at once, in one compiled training step: what
 * JAX's {@code vmap} gives, written as a leading K axis. Each line has its own true {@code w_k, b_k ~ Uniform(-5, 5)}
 * (drawn from the seeded {@link RandomGenerator}); the parameters are two variables {@code W, B} of shape
 * {@code (K, 1)}, started at 0; each step draws a batch of 64 samples per line on the device, inside the step
 * ({@code x ~ Normal(0, 1)} and the noise as tensors of shape {@code (K, 64)}), and SGD updates all K lines.
 *
 * <p>The loss is the sum over the lines of each line's mean squared error,
 * {@code sum_k mean_i (y_ki - (w_k x_ki + b_k))^2}. Line k's parameters appear in its own term only, so the gradient
 * of the sum with respect to {@code (w_k, b_k)} is exactly the gradient of line k's own mean squared error: one
 * update of the K-problem step is K separate SGD steps, each on its own data (the test checks it against separate
 * eager fits). A mean over all lines instead would divide every line's gradient by K.
 *
 * <p>With learning rate 0.05 each step shrinks a line's error by about {@code 1 - 2 * 0.05 = 0.9}, so 100 steps leave
 * {@code 5 * 0.9^100 ≈ 1e-4} of the start; what remains is SGD's noise floor with noise 0.5 and batch 64, a standard
 * deviation of about {@code sqrt(0.05 * 0.25 / 64) ≈ 0.014} per parameter.
 *
 * <pre>{@code
 * // ./quiver batched-regression --seed 7
 * BatchedRegression.Result result = BatchedRegression.run(ExampleArgs.parse("--no-plots"), System.out);
 * result.maxErrorW();   // ≈ 0.06 over 10,000 lines, a mean of ≈ 0.011
 * }</pre>
 */
public final class BatchedRegression {
    /** The number of independent lines. */
    public static final int PROBLEMS = 10_000;
    static final int BATCH_SIZE = 64;
    static final int STEPS = 100;
    static final double LEARNING_RATE = 0.05;
    static final double NOISE_STANDARD_DEVIATION = 0.5;
    /** True slopes and intercepts are drawn from {@code Uniform(-5, 5)}. */
    static final double PARAMETER_RANGE = 5;
    static final int PRINT_EVERY = 25;

    private BatchedRegression() {
    }

    /**
     * What training produced.
     *
     * @param trueW            each line's true slope
     * @param trueB            each line's true intercept
     * @param w                each line's recovered slope
     * @param b                each line's recovered intercept
     * @param losses           the loss of every step (the sum over the lines of each line's mean squared error)
     * @param loop             the replayed steps' time and host transfers
     * @param compiled         the compiled step's figures
     * @param samplesPerSecond samples (lines × batch) per second of the replayed steps
     * @param plots            the PNG files written (empty with {@code --no-plots})
     * @param seconds          wall time of the run
     */
    public record Result(float[] trueW, float[] trueB, float[] w, float[] b, float[] losses, TrainingLoop loop,
                         CompiledTraining.Run compiled, double samplesPerSecond, List<Path> plots, double seconds) {
        /**
         * The largest slope error.
         *
         * @return {@code max_k |w_k - true w_k|}
         */
        public double maxErrorW() {
            return maxError(w, trueW);
        }

        /**
         * The mean slope error.
         *
         * @return {@code mean_k |w_k - true w_k|}
         */
        public double meanErrorW() {
            return meanError(w, trueW);
        }

        /**
         * The largest intercept error.
         *
         * @return {@code max_k |b_k - true b_k|}
         */
        public double maxErrorB() {
            return maxError(b, trueB);
        }

        /**
         * The mean intercept error.
         *
         * @return {@code mean_k |b_k - true b_k|}
         */
        public double meanErrorB() {
            return meanError(b, trueB);
        }
    }

    /** The K lines' true parameters, each of shape {@code (K, 1)}, on the backend. */
    record Lines(Tensor w, Tensor b) {
        static Lines draw(RandomGenerator random, int problems) {
            Shape shape = Shape.of(problems, 1);
            return new Lines(random.uniform(shape, -PARAMETER_RANGE, PARAMETER_RANGE),
                    random.uniform(shape, -PARAMETER_RANGE, PARAMETER_RANGE));
        }

        int problems() {
            return w.shape().dims()[0];
        }
    }

    /** One step's data, {@code x} and {@code y} of shape {@code (K, 64)}: row k belongs to line k. */
    record Batch(Tensor x, Tensor y) {
        static Batch draw(RandomGenerator random, Lines lines) {
            Shape shape = Shape.of(lines.problems(), BATCH_SIZE);
            Tensor x = random.normal(shape);
            Tensor noise = random.normal(shape, 0, NOISE_STANDARD_DEVIATION);
            return new Batch(x, x.mul(lines.w()).add(lines.b()).add(noise));
        }
    }

    /**
     * The sum over the lines of each line's mean squared error: for one line ({@code K = 1}) its own mean squared
     * error, so each line's gradient is its own fit's.
     *
     * @param w     slopes, shape {@code (K, 1)}
     * @param b     intercepts, shape {@code (K, 1)}
     * @param batch data, shape {@code (K, n)}
     */
    static Tensor loss(Tensor w, Tensor b, Batch batch) {
        return batch.y().sub(batch.x().mul(w).add(b)).square().mean(1).sum();
    }

    /**
     * The same as {@code quiver batched-regression ARGS}: options, {@code --help} and backend errors as {@link Main}
     * has them.
     *
     * @param args the shared options ({@code --help} lists them)
     */
    public static void main(String[] args) {
        Main.runCommand("batched-regression", args);
    }

    /**
     * Trains the {@value #PROBLEMS} lines, prints the recovery error and the speed to {@code out}, writes the plot
     * unless disabled, and returns the result.
     *
     * @param args the shared options; the step is always compiled ({@code --no-fusion} replays it unfused)
     * @param out  where the text goes
     * @return what training produced
     */
    public static Result run(ExampleArgs args, PrintStream out) {
        return run(args, out, PROBLEMS, STEPS);
    }

    /** {@link #run(ExampleArgs, PrintStream)} with another number of lines and steps (tests use a few). */
    static Result run(ExampleArgs args, PrintStream out, int problems, int steps) {
        long start = System.nanoTime();
        out.println("Backend: " + args.selectBackend());
        ExampleArgs.Execution execution = args.execution() == ExampleArgs.Execution.COMPILED_UNFUSED
                ? ExampleArgs.Execution.COMPILED_UNFUSED : ExampleArgs.Execution.COMPILED;
        out.printf(Locale.ROOT, "Fitting %,d independent lines y = w_k*x + b_k + noise at once (true w_k, b_k ~ "
                + "Uniform(%.0f, %.0f), noise sd %s): W, B of shape (%d, 1), a batch of %d per line drawn on the "
                + "backend every step, SGD(%s), %d steps, seed %d%n", problems, -PARAMETER_RANGE, PARAMETER_RANGE,
                NOISE_STANDARD_DEVIATION, problems, BATCH_SIZE, LEARNING_RATE, steps, args.seed());

        RandomGenerator random = new RandomGenerator(args.seed());
        Lines lines = Lines.draw(random, problems);
        Variable w = new Variable(Tensor.zeros(Shape.of(problems, 1)), "W");
        Variable b = new Variable(Tensor.zeros(Shape.of(problems, 1)), "B");
        // One step for all K lines: the batch is drawn inside it, so a replay draws the next one on the device.
        CompiledTraining.Run compiled = CompiledTraining.train("batched-regression", execution,
                new SGD(LEARNING_RATE), List.of(w, b), () -> loss(w, b, Batch.draw(random, lines)), steps);
        TrainingLoop loop = compiled.loop();
        float[] losses = compiled.losses().toFloatArray();
        for (int step = 0; step < steps; step += PRINT_EVERY) {
            out.println(lossLine(step, losses[step], problems));
        }
        out.println(lossLine(steps - 1, losses[steps - 1], problems));

        Result partial = new Result(lines.w().toFloatArray(), lines.b().toFloatArray(), w.toFloatArray(),
                b.toFloatArray(), losses, loop, compiled, problems * (double) BATCH_SIZE * loop.steps()
                / loop.seconds(), List.of(), 0);
        out.printf(Locale.ROOT, "Recovered w: max |w_k - true w_k| = %.4f, mean %.4f%n", partial.maxErrorW(),
                partial.meanErrorW());
        out.printf(Locale.ROOT, "Recovered b: max |b_k - true b_k| = %.4f, mean %.4f%n", partial.maxErrorB(),
                partial.meanErrorB());
        out.println("Training loop: " + loop.describe());
        out.println(compiled.describe());
        out.printf(Locale.ROOT, "Speed: %,.0f samples/s, %.1f µs per step for all %,d lines (%d samples each)%n",
                partial.samplesPerSecond(), loop.microsPerStep(), problems, BATCH_SIZE);

        List<Path> plots = new ArrayList<>();
        if (args.plots()) {
            plots.add(Plots.save(recoveryChart(partial), args.plotDirectory(), "batched-regression.png"));
            plots.add(Plots.save(errorChart(partial), args.plotDirectory(), "batched-regression-errors.png"));
            plots.forEach(plot -> out.println("Plot: " + plot));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "Time: %.2f s%n", seconds);
        return new Result(partial.trueW(), partial.trueB(), partial.w(), partial.b(), losses, loop, compiled,
                partial.samplesPerSecond(), List.copyOf(plots), seconds);
    }

    private static String lossLine(int step, float loss, int problems) {
        return String.format(Locale.ROOT, "step %4d: loss %.6g (mean squared error per line %.4g)", step, loss,
                loss / problems);
    }

    /** Recovered against true parameters, one point per line, over the grey line where they are equal. */
    static XYChart recoveryChart(Result result) {
        // the points lie on the diagonal from bottom left to top right: the top left corner is free
        XYChart chart = Plots.chart(String.format(Locale.ROOT, "%,d lines fitted at once: recovered vs true",
                result.w().length), "true value", "recovered value", LegendPosition.InsideNW);
        chart.getStyler().setMarkerSize(3);   // ten thousand points per series: small markers keep them apart
        double[] ends = {-PARAMETER_RANGE, PARAMETER_RANGE};
        Plots.reference(chart, "recovered = true", ends, ends);
        Plots.points(chart, String.format(Locale.ROOT, "slope w_k (max error %.3f)", result.maxErrorW()),
                Plots.widen(result.trueW()), Plots.widen(result.w()));
        Plots.points(chart, String.format(Locale.ROOT, "intercept b_k (max error %.3f)", result.maxErrorB()),
                Plots.widen(result.trueB()), Plots.widen(result.b()));
        return chart;
    }

    /**
     * Each line's error (recovered minus true) against its true value: on the scale of the recovery plot every point
     * lies on the diagonal, so this one shows the spread, SGD's noise floor, and that it does not depend on the line.
     */
    static XYChart errorChart(Result result) {
        // the errors scatter around zero across the whole width: the legend goes above them, top centre
        XYChart chart = Plots.chart(String.format(Locale.ROOT, "%,d lines: recovered minus true value",
                result.w().length), "true value", "recovered - true", LegendPosition.InsideN);
        chart.getStyler().setMarkerSize(3);
        double[] ends = {-PARAMETER_RANGE, PARAMETER_RANGE};
        Plots.reference(chart, "no error", ends, new double[] {0, 0});
        Plots.points(chart, String.format(Locale.ROOT, "slope w_k (mean |error| %.4f)", result.meanErrorW()),
                Plots.widen(result.trueW()), difference(result.w(), result.trueW()));
        Plots.points(chart, String.format(Locale.ROOT, "intercept b_k (mean |error| %.4f)", result.meanErrorB()),
                Plots.widen(result.trueB()), difference(result.b(), result.trueB()));
        // room above the points for the legend
        double largest = Math.max(result.maxErrorW(), result.maxErrorB());
        chart.getStyler().setYAxisMin(-1.2 * largest);
        chart.getStyler().setYAxisMax(2.0 * largest);
        return chart;
    }

    private static double[] difference(float[] found, float[] truth) {
        double[] difference = new double[found.length];
        for (int i = 0; i < found.length; i++) {
            difference[i] = found[i] - (double) truth[i];
        }
        return difference;
    }

    private static double maxError(float[] found, float[] truth) {
        double max = 0;
        for (int i = 0; i < found.length; i++) {
            max = Math.max(max, Math.abs(found[i] - (double) truth[i]));
        }
        return max;
    }

    private static double meanError(float[] found, float[] truth) {
        double sum = 0;
        for (int i = 0; i < found.length; i++) {
            sum += Math.abs(found[i] - (double) truth[i]);
        }
        return found.length == 0 ? 0 : sum / found.length;
    }
}
