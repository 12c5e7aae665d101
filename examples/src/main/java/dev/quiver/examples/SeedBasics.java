package dev.quiver.examples;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The first tutorial's tensor and gradient-tape sections in Java, print for print: constants, dtypes, reading
 * values back, variables, matmul, then {@link GradientTape} — first and second derivatives, watching constants,
 * persistent tapes, gradients for a list of variables and for an intermediate, {@code stopGradient} and a Jacobian.
 *
 * <p>Floats are printed with {@link Float#toString(float)}, the shortest text that reads back as the same float32,
 * which is also what TensorFlow prints: {@code 27.0}, {@code 7.2}.
 *
 * <pre>{@code
 * // from the command line:  ./quiver seed-basics --backend cpu
 * SeedBasics.Result result = SeedBasics.run(ExampleArgs.defaults().withoutPlots(), System.out);
 * result.gradient();              // 27.0 = d(x^3)/dx at x = 3
 * result.secondOrderGradient();   // 18.0
 * }</pre>
 */
public final class SeedBasics {
    private SeedBasics() {
    }

    /**
     * The numbers the tutorial prints, for tests and callers that should not parse standard output.
     *
     * @param constantShape           shape of {@code constant([[10, 20, 30]])}: {@code [1, 3]}
     * @param constantDType           its dtype: int32
     * @param matmul                  {@code [[1, 2], [3, 4]] @ [[5, 6], [7, 8]]}
     * @param variableAfterUpdates    the variable after {@code assign} and {@code assignSub}
     * @param gradient                d(x^3)/dx at x = 3: 27
     * @param secondOrderGradient     d2(x^3)/dx2 at x = 3: 18
     * @param watchedConstantGradient d(x^2)/dx for a watched constant x = 3: 6
     * @param unwatchedGradientIsNull whether the gradient for an unwatched constant was {@code null} (Python's None)
     * @param dzDx                    z = 2 x^3: 54, from a persistent tape
     * @param dyDx                    y = x^3: 27, from the same tape
     * @param dzDy                    gradient with respect to the intermediate y: 2
     * @param listGradients           d((w x + b)^2) / [dw, db] at w = 3, b = 1, x = 2: [28, 14]
     * @param x                       3.6, the variable of the autograd article's example
     * @param xSquaredGradient        d(x^2)/dx at 3.6: 7.2
     * @param nonPersistentError      the message of asking a non-persistent tape twice
     * @param stopGradientGradient    d(x * stop(x))/dx at x = 3: 3, only the first factor counts
     * @param jacobian                d(x^2)/dx for x = [1, 2, 3]: diag(2, 4, 6)
     */
    public record Result(int[] constantShape, DType constantDType, float[][] matmul, float[][] variableAfterUpdates,
                         float gradient, float secondOrderGradient, float watchedConstantGradient,
                         boolean unwatchedGradientIsNull, float dzDx, float dyDx, float dzDy, float[] listGradients,
                         float x, float xSquaredGradient, String nonPersistentError, float stopGradientGradient,
                         float[][] jacobian) {
    }

    /**
     * The same as {@code quiver seed-basics ARGS}: options, {@code --help} and backend errors as {@link Main} has them.
     *
     * @param args the shared options ({@code --help} lists them)
     */
    public static void main(String[] args) {
        Main.runCommand("seed-basics", args);
    }

    /** Runs every section, printing to {@code out}, and returns the numbers printed. */
    public static Result run(ExampleArgs args, PrintStream out) {
        out.println("Backend: " + args.selectBackend());

        out.println();
        out.println("== Tensors");
        Tensor constant = Tensor.constant(new int[][] {{10, 20, 30}});
        out.println(constant);                                   // Tensor([[10 20 30]], shape=(1, 3), dtype=int32)
        out.println("shape: " + constant.shape());
        out.println("dtype: " + constant.dtype());
        out.println("constant * 2: " + constant.mul(2));        // a Java int keeps the tensor int32
        out.println("constant + 0.5: " + constant.add(0.5));    // a fraction promotes to float32

        Tensor converted = Tensor.convertToTensor(new int[] {1, 2, 3}, DType.FLOAT32);
        out.println("convert_to_tensor([1, 2, 3], float32): " + converted);

        // Reading values back is the only place data leaves the backend: the .numpy() of the tutorial.
        out.println("constant.toArray(): " + Arrays.deepToString((int[][]) constant.toArray()));
        out.println("converted.toFloatArray(): " + Arrays.toString(converted.toFloatArray()));
        out.println("converted.sum().floatValue(): " + converted.sum().floatValue());

        out.println();
        out.println("== Variables");
        Variable variable = new Variable(Tensor.constant(new float[][] {{1, 2}, {3, 4}}), "v");
        out.println(variable);
        variable.assign(Tensor.constant(new float[][] {{5, 6}, {7, 8}}));
        out.println("after assign([[5, 6], [7, 8]]): " + variable);
        variable.assignSub(Tensor.ones(2, 2));
        out.println("after assignSub(ones): " + variable);
        float[][] variableAfterUpdates = (float[][]) variable.toArray();

        out.println();
        out.println("== Matmul");
        Tensor a = Tensor.constant(new float[][] {{1, 2}, {3, 4}});
        Tensor b = Tensor.constant(new float[][] {{5, 6}, {7, 8}});
        Tensor product = a.matmul(b);
        out.println("[[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = " + product);

        out.println();
        out.println("== GradientTape");
        Variable x = Variable.of(3.0);
        float gradient;
        try (GradientTape tape = new GradientTape()) {
            Tensor y = x.pow(3);
            gradient = tape.gradient(y, x).floatValue();
        }
        out.println("gradient at x=" + x.floatValue() + " is " + gradient);

        // The outer tape records the inner tape's backward pass, so the first derivative can itself be derived.
        float secondOrderGradient;
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            Tensor y = x.pow(3);
            Tensor dyDx = inner.gradient(y, x);
            secondOrderGradient = outer.gradient(dyDx, x).floatValue();
        }
        out.println("2nd order gradient at x=" + x.floatValue() + " is " + secondOrderGradient);

        // Constants are not watched by default (they are usually data, not parameters): watch them explicitly.
        Tensor three = Tensor.scalar(3.0);
        float watchedConstantGradient;
        try (GradientTape tape = new GradientTape()) {
            tape.watch(three);
            Tensor y = three.mul(three);
            watchedConstantGradient = tape.gradient(y, three).floatValue();
        }
        out.println("gradient of a watched constant x*x at x=3.0: " + watchedConstantGradient);
        Tensor unwatchedGradient;
        try (GradientTape tape = new GradientTape()) {
            Tensor y = three.mul(three);
            unwatchedGradient = tape.gradient(y, three);
        }
        // Java's null where the Python tutorial prints None: no gradient, not a zero one
        out.println("gradient of an unwatched constant: " + unwatchedGradient);

        // A persistent tape answers several gradient calls; it holds its graph until it is closed.
        float dzDx;
        float dyDx;
        float dzDy;
        try (GradientTape tape = new GradientTape(true)) {
            Tensor y = x.pow(3);
            Tensor z = y.mul(2);
            dzDx = tape.gradient(z, x).floatValue();
            dyDx = tape.gradient(y, x).floatValue();
            dzDy = tape.gradient(z, y).floatValue();   // an intermediate result is a source like any other
        }
        out.println("dz_dx = " + dzDx);
        out.println("dy_dx = " + dyDx);
        out.println("dz_dy = " + dzDy);

        // One call, one gradient per source, in the order given.
        Variable w = new Variable(Tensor.scalar(3.0), "w");
        Variable bias = new Variable(Tensor.scalar(1.0), "b");
        Tensor input = Tensor.scalar(2.0);
        float[] listGradients;
        try (GradientTape tape = new GradientTape()) {
            Tensor loss = w.mul(input).add(bias).square();
            List<Tensor> gradients = tape.gradient(loss, List.of(w, bias));
            listGradients = new float[] {gradients.get(0).floatValue(), gradients.get(1).floatValue()};
        }
        out.println("loss = (w*x + b)^2 at w=3.0, x=2.0, b=1.0: dloss/dw = " + listGradients[0]
                + ", dloss/db = " + listGradients[1]);

        // The autograd article's example: y = x*x at x = 3.6.
        Variable x36 = Variable.of(3.6);
        Tensor dy;
        try (GradientTape tape = new GradientTape()) {
            Tensor y = x36.mul(x36);
            dy = tape.gradient(y, x36);
        }
        out.println("x=" + x36.floatValue());
        out.println(dy);                                             // Tensor(7.2, shape=(), dtype=float32)
        float xSquaredGradient = dy.floatValue();

        // A non-persistent tape lets go of its graph after one answer; asking again is an error, not a zero.
        String nonPersistentError;
        try (GradientTape tape = new GradientTape()) {
            Tensor y = x.mul(x);
            tape.gradient(y, x);
            try {
                tape.gradient(y, x);
                nonPersistentError = "(no error)";
            } catch (IllegalStateException expected) {
                nonPersistentError = expected.getMessage();
            }
        }
        out.println("asking a non-persistent tape twice: " + nonPersistentError);

        // stopGradient hides one factor from the tape: d(x * stop(x))/dx = stop(x) = 3, not 2x = 6.
        float stopGradientGradient;
        try (GradientTape tape = new GradientTape()) {
            Tensor y = x.mul(x.stopGradient());
            stopGradientGradient = tape.gradient(y, x).floatValue();
        }
        out.println("d(x * stopGradient(x))/dx at x=3.0 is " + stopGradientGradient + " (6.0 without stopGradient)");

        // The Jacobian of an elementwise square is diagonal: dy_i/dx_j = 2 x_i when i == j.
        Variable vector = new Variable(Tensor.constant(new float[] {1, 2, 3}), "x");
        Tensor jacobian;
        try (GradientTape tape = new GradientTape()) {
            Tensor y = vector.square();
            jacobian = tape.jacobian(y, vector);
        }
        out.println("jacobian of x^2 at x=[1, 2, 3]: " + jacobian);

        return new Result(constant.shape().dims(), constant.dtype(), (float[][]) product.toArray(),
                variableAfterUpdates, gradient, secondOrderGradient, watchedConstantGradient, unwatchedGradient == null,
                dzDx, dyDx, dzDy, listGradients, x36.floatValue(), xSquaredGradient, nonPersistentError,
                stopGradientGradient, (float[][]) jacobian.toArray());
    }
}
