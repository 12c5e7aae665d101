package dev.quiver.examples;

import dev.quiver.GradientTape;
import dev.quiver.RandomGenerator;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.optimizers.Nadam;
import dev.quiver.optimizers.Optimizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Solves the math puzzle of "Using Autograd in TensorFlow to Solve a Regression Problem" by gradient descent:
 * <pre>
 *   A + B = 9      C - D = 1      A + C = 8      B - D = 2
 * </pre>
 * Four scalar variables start at seeded {@code Uniform(0, 1)} draws; the loss is the sum of the squared residuals;
 * Nadam(0.1) runs 1000 steps, and one {@code tape.gradient(loss, [A, B, C, D])} call gives all four gradients.
 *
 * <p>The system has rank 3: every {@code (7 - D, D + 2, D + 1, D)} solves it, so the answer depends on the start.
 * What is checked is that the residuals vanish, not which solution is found.
 *
 * <p>With {@code --compiled} the same step runs through a {@link dev.quiver.TrainingStep}, traced once and replayed
 * on the device, and the loss history is the step's device history.
 *
 * <pre>{@code
 * // ./quiver equation-puzzle --seed 1
 * EquationPuzzle.Result result = EquationPuzzle.run(ExampleArgs.parse("--no-plots"), System.out);
 * result.maxResidual();   // < 1e-3
 * }</pre>
 */
public final class EquationPuzzle {
    static final double LEARNING_RATE = 0.1;
    static final int STEPS = 1000;

    private EquationPuzzle() {
    }

    /**
     * The solution found.
     *
     * @param a           A
     * @param b           B
     * @param c           C
     * @param d           D
     * @param maxResidual the largest {@code |left - right|} of the four equations, computed in double from the
     *                    float32 values printed
     * @param lossHistory the loss at every step (read back once, after the loop)
     * @param loop        the 1000 steps' time and host transfers: none at all (compiled: the replayed steps)
     * @param compiled    the compiled step's figures with {@code --compiled}, null for the eager loop
     * @param plots       the PNG files written (empty with {@code --no-plots})
     * @param seconds     wall time of the run
     */
    public record Result(float a, float b, float c, float d, double maxResidual, float[] lossHistory,
                         TrainingLoop loop, CompiledTraining.Run compiled, List<Path> plots, double seconds) {
    }

    /** {@code (A+B-9)^2 + (C-D-1)^2 + (A+C-8)^2 + (B-D-2)^2}: zero exactly at the solutions. */
    private static Tensor squaredResiduals(Tensor a, Tensor b, Tensor c, Tensor d) {
        Tensor y1 = a.add(b).sub(9);
        Tensor y2 = c.sub(d).sub(1);
        Tensor y3 = a.add(c).sub(8);
        Tensor y4 = b.sub(d).sub(2);
        return y1.mul(y1).add(y2.mul(y2)).add(y3.mul(y3)).add(y4.mul(y4));
    }

    /**
     * The same as {@code quiver equation-puzzle ARGS}: options, {@code --help} and backend errors as {@link Main} has them.
     *
     * @param args the shared options ({@code --help} lists them)
     */
    public static void main(String[] args) {
        Main.runCommand("equation-puzzle", args);
    }

    /** Solves, prints to {@code out}, writes the loss plot unless disabled, and returns the result. */
    public static Result run(ExampleArgs args, PrintStream out) {
        long start = System.nanoTime();
        out.println("Backend: " + args.selectBackend());
        out.printf(Locale.ROOT, "Solving A+B=9, C-D=1, A+C=8, B-D=2 with Nadam(%s), %d steps, seed %d%n",
                LEARNING_RATE, STEPS, args.seed());

        RandomGenerator random = new RandomGenerator(args.seed());
        Variable a = new Variable(random.uniform(Shape.scalar()), "A");
        Variable b = new Variable(random.uniform(Shape.scalar()), "B");
        Variable c = new Variable(random.uniform(Shape.scalar()), "C");
        Variable d = new Variable(random.uniform(Shape.scalar()), "D");
        List<Variable> unknowns = List.of(a, b, c, d);
        out.printf(Locale.ROOT, "Start: A=%s, B=%s, C=%s, D=%s%n", a.floatValue(), b.floatValue(), c.floatValue(),
                d.floatValue());

        Optimizer optimizer = new Nadam(LEARNING_RATE);
        float[] lossHistory;
        TrainingLoop loop;
        CompiledTraining.Run compiled = null;
        if (args.execution().compiled()) {
            // The loop's loss as one function, traced once and replayed; its history stays on the device.
            compiled = CompiledTraining.train("equation-puzzle", args.execution(), optimizer, unknowns,
                    () -> squaredResiduals(a, b, c, d), STEPS);
            loop = compiled.loop();
            lossHistory = compiled.losses().toFloatArray();
        } else {
            // Losses stay on the backend and are read back in one transfer after the loop.
            List<Tensor> losses = new ArrayList<>(STEPS);
            // Off a terminal nothing is printed until the answer; on one, a progress line shows after the first
            // second.
            try (Progress progress = Progress.onTerminal(out, "equation-puzzle", STEPS)) {
                TrainingLoop.Meter meter = TrainingLoop.start("equation-puzzle");
                for (int step = 0; step < STEPS; step++) {
                    try (GradientTape tape = new GradientTape()) {
                        Tensor squaredError = squaredResiduals(a, b, c, d);
                        // A non-persistent tape answers once, so all four gradients come from a single call.
                        optimizer.applyGradients(tape.gradient(squaredError, unknowns), unknowns);
                        losses.add(squaredError);
                        progress.step(step + 1, squaredError);
                    }
                }
                loop = meter.finish(STEPS, progress);
            }
            lossHistory = Tensor.stack(losses, 0).toFloatArray();
        }

        float va = a.floatValue();
        float vb = b.floatValue();
        float vc = c.floatValue();
        float vd = d.floatValue();
        double[] residuals = {va + (double) vb - 9, vc - (double) vd - 1, va + (double) vc - 8, vb - (double) vd - 2};
        double maxResidual = 0;
        for (double residual : residuals) {
            maxResidual = Math.max(maxResidual, Math.abs(residual));
        }
        out.println("A = " + va);
        out.println("B = " + vb);
        out.println("C = " + vc);
        out.println("D = " + vd);
        out.printf(Locale.ROOT, "Check: A+B=%s, C-D=%s, A+C=%s, B-D=%s%n", va + vb, vc - vd, va + vc, vb - vd);
        out.println("Training loop: " + loop.describe());
        if (compiled != null) {
            out.println(compiled.describe());
        }
        out.printf(Locale.ROOT, "Max residual: %.3g (final loss %.3g)%n", maxResidual, lossHistory[STEPS - 1]);

        List<Path> plots = new ArrayList<>();
        if (args.plots()) {
            plots.add(plot(args.plotDirectory(), lossHistory));
            plots.forEach(plot -> out.println("Plot: " + plot));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "Time: %.2f s%n", seconds);
        return new Result(va, vb, vc, vd, maxResidual, lossHistory, loop, compiled, List.copyOf(plots), seconds);
    }

    private static Path plot(Path directory, float[] lossHistory) {
        return Plots.save(lossChart(lossHistory), directory, "equation-puzzle-loss.png");
    }

    /** The loss per step on a logarithmic axis, under the grey dashed line of the residual target. */
    static XYChart lossChart(float[] lossHistory) {
        // the loss falls from the top left: the top right corner is free for the legend
        XYChart chart = Plots.chart("Equation puzzle: loss per step", "step", "sum of squared residuals (log scale)",
                LegendPosition.InsideNE);
        double[] loss = new double[lossHistory.length];
        for (int i = 0; i < loss.length; i++) {
            // A log axis cannot show an exact zero; float32 rounding makes one possible at the end.
            loss[i] = Math.max(lossHistory[i], 1e-14);
        }
        Plots.logarithmicReference(chart, "residual target 1e-3 (squared: 1e-6)", new double[] {0, loss.length - 1},
                new double[] {1e-6, 1e-6});
        Plots.logarithmicLine(chart, "loss", Plots.iterations(loss.length), loss);
        return chart;
    }
}
