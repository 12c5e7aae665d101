package dev.quiver.examples;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Losses;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.optimizers.Nadam;
import dev.quiver.optimizers.Optimizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Recovers the coefficients of {@code y = x^2 + 2x + 3} from 20 exact samples, as in "Using Autograd in TensorFlow
 * to Solve a Regression Problem" (Machine Learning Mastery): features {@code [x^2, x, 1]}, weights a (3, 1)
 * variable started from a standard normal draw, loss = sum of squared errors, Nadam.
 *
 * <p>One deliberate change: the article uses {@code Nadam(learning_rate=0.01)} for 1000 steps, which does not
 * converge. Each Nadam step moves a weight by at most about the learning rate, and the constant term gets a weak,
 * badly scaled gradient next to the {@code x^2} column (values up to 100), so after 1000 steps it typically stands
 * between 1 and 2.6 instead of 3. Learning rate 0.1 for 2000 steps recovers {@code [1, 2, 3]} to better than 1e-3
 * (checked over 40 seeds with a float32 NumPy replay of the same Nadam formulas).
 *
 * <p>With {@code --compiled} the same loss and Nadam update run through a {@link dev.quiver.TrainingStep} (Nadam's
 * moments and step count stay on the device); the loss of every step is kept on the device and the progress lines
 * are printed from it after the run.
 *
 * <pre>{@code
 * // ./quiver polynomial-regression --seed 3
 * PolynomialRegression.Result result = PolynomialRegression.run(ExampleArgs.parse("--no-plots"), System.out);
 * result.coefficients();   // ≈ [1, 2, 3]
 * }</pre>
 */
public final class PolynomialRegression {
    /** The coefficients of {@code x^2 + 2x + 3}, highest power first (numpy's {@code poly1d([1, 2, 3])}). */
    public static final float[] TRUE_COEFFICIENTS = {1, 2, 3};
    static final int SAMPLES = 20;
    static final double LOW = -10;
    static final double HIGH = 10;
    static final double LEARNING_RATE = 0.1;
    static final int STEPS = 2000;
    static final int PRINT_EVERY = 500;

    private PolynomialRegression() {
    }

    /**
     * What training produced.
     *
     * @param initialCoefficients the random starting weights {@code [a, b, c]} of {@code a x^2 + b x + c}
     * @param coefficients        the trained weights
     * @param finalLoss           the sum of squared errors at the last step
     * @param loop                the training loop's steps, time and host transfers (one download per print;
     *                            compiled: the replayed steps, with no transfers at all)
     * @param compiled            the compiled step's figures with {@code --compiled}, null for the eager loop
     * @param plots               the PNG files written (empty with {@code --no-plots})
     * @param seconds             wall time of the run
     */
    public record Result(float[] initialCoefficients, float[] coefficients, float finalLoss, TrainingLoop loop,
                         CompiledTraining.Run compiled, List<Path> plots, double seconds) {
    }

    private static String lossLine(int step, float loss) {
        return String.format(Locale.ROOT, "step %4d: loss %.6g", step, loss);
    }

    /**
     * The same as {@code quiver polynomial-regression ARGS}: options, {@code --help} and backend errors as {@link Main} has them.
     *
     * @param args the shared options ({@code --help} lists them)
     */
    public static void main(String[] args) {
        Main.runCommand("polynomial-regression", args);
    }

    /** Trains, prints to {@code out}, writes the plot unless disabled, and returns the result. */
    public static Result run(ExampleArgs args, PrintStream out) {
        long start = System.nanoTime();
        out.println("Backend: " + args.selectBackend());
        out.printf(Locale.ROOT, "Fitting a*x^2 + b*x + c to %d samples of x^2 + 2x + 3, x ~ Uniform(%.0f, %.0f): "
                + "Nadam(%s), %d steps, seed %d%n", SAMPLES, LOW, HIGH, LEARNING_RATE, STEPS, args.seed());

        // Data and starting weights are drawn on the backend, so nothing is uploaded from Java.
        RandomGenerator random = new RandomGenerator(args.seed());
        Tensor x = random.uniform(Shape.of(SAMPLES, 1), LOW, HIGH, DType.FLOAT32);
        Tensor y = polynomial(x);
        Tensor features = features(x);                                     // (20, 3): [x^2, x, 1]
        Variable weights = new Variable(random.normal(Shape.of(3, 1)), "w");
        float[] initial = weights.toFloatArray();
        out.println("Initial coefficients: " + Arrays.toString(initial));

        Optimizer optimizer = new Nadam(LEARNING_RATE);
        List<Variable> parameters = List.of(weights);
        TrainingLoop loop;
        float finalLoss;
        CompiledTraining.Run compiled = null;
        if (args.execution().compiled()) {
            // The same loss as the loop below, traced once and replayed; every step's loss stays on the device.
            compiled = CompiledTraining.train("polynomial-regression", args.execution(), optimizer, parameters,
                    () -> Losses.sumSquaredError(y, features.matmul(weights)), STEPS);
            loop = compiled.loop();
            float[] losses = compiled.losses().toFloatArray();
            for (int step = 0; step < STEPS; step += PRINT_EVERY) {
                out.println(lossLine(step, losses[step]));
            }
            out.println("Training loop: " + loop.describe() + "; the losses are read once, after the run");
            out.println(compiled.describe());
            finalLoss = losses[STEPS - 1];
        } else {
            Tensor loss = null;
            try (Progress progress = Progress.onTerminal(out, "polynomial-regression", STEPS)) {
                TrainingLoop.Meter meter = TrainingLoop.start("polynomial-regression");
                for (int step = 0; step < STEPS; step++) {
                    try (GradientTape tape = new GradientTape()) {
                        // The article's "mse" is a sum of squares, not a mean: kept, it sets the gradient scale
                        // Nadam sees.
                        loss = Losses.sumSquaredError(y, features.matmul(weights));
                        optimizer.applyGradients(tape.gradient(loss, parameters), parameters);
                    }
                    if (step % PRINT_EVERY == 0) {
                        // A rare, deliberate read for progress output; every other step runs without touching the
                        // host.
                        progress.println(out, lossLine(step, loss.floatValue()));
                    }
                    progress.step(step + 1, loss);
                }
                loop = meter.finish(STEPS, progress);
            }
            out.println("Training loop: " + loop.describe() + "; the downloads are the printed losses");
            finalLoss = loss.floatValue();
        }
        float[] coefficients = weights.toFloatArray();
        // the loss of the last step, computed before its update (as the loop prints it)
        out.println(lossLine(STEPS, finalLoss));
        out.println("Final coefficients: " + Arrays.toString(coefficients) + " (true: [1.0, 2.0, 3.0])");

        List<Path> plots = new ArrayList<>();
        if (args.plots()) {
            plots.add(plot(args.plotDirectory(), x.toFloatArray(), y.toFloatArray(), weights));
            plots.forEach(plot -> out.println("Plot: " + plot));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "Time: %.2f s%n", seconds);
        return new Result(initial, coefficients, finalLoss, loop, compiled, List.copyOf(plots), seconds);
    }

    /** {@code x^2 + 2x + 3}, exactly as the article samples it (no noise). */
    static Tensor polynomial(Tensor x) {
        return x.square().add(x.mul(2)).add(3);
    }

    /** The design matrix {@code [x^2, x, 1]} for a column {@code x} of shape (n, 1). */
    static Tensor features(Tensor x) {
        return Tensor.concat(List.of(x.square(), x, Tensor.onesLike(x)), 1);
    }

    private static Path plot(Path directory, float[] x, float[] y, Tensor weights) {
        // a parabola opening upwards leaves the top middle free for the legend
        XYChart chart = Plots.chart("Polynomial regression", "x", "y", LegendPosition.InsideN);
        Plots.points(chart, "samples of x^2 + 2x + 3", Plots.widen(x), Plots.widen(y));
        // The fitted curve is evaluated by the same model on the backend, over a dense grid.
        Tensor grid = Tensor.linspace(LOW, HIGH, 201).reshape(201, 1);
        float[] fitted = features(grid).matmul(weights).toFloatArray();
        float[] c = weights.toFloatArray();
        Plots.line(chart, String.format(Locale.ROOT, "fitted %.3fx^2 + %.3fx + %.3f", c[0], c[1], c[2]),
                Plots.widen(grid.toFloatArray()), Plots.widen(fitted));
        return Plots.save(chart, directory, "polynomial-regression.png");
    }
}
