package dev.quiver;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Numerical check of reverse-mode gradients in float64, in the manner of JAX's {@code check_vjp}: for a random
 * output cotangent {@code u} and a random input direction {@code v}, the tape's {@code <u, J v>} (through the
 * vector-Jacobian product) must match the central difference {@code <u, (f(x + eps v) - f(x - eps v)) / 2 eps>}.
 * One comparison covers every input and output element at once.
 *
 * <pre>{@code
 * Tensor x = Tensor.constant(new double[] {0.3, -1.2, 2.0}, DType.FLOAT64);
 * GradientCheck.Result r = GradientCheck.check(in -> in.get(0).tanh().mul(in.get(0)), List.of(x), 42);
 * r.assertPassed();   // throws with both numbers when the rule is wrong
 * }</pre>
 */
public final class GradientCheck {
    private GradientCheck() {
    }

    /**
     * The outcome of a check.
     *
     * @param analytic   {@code <u, J v>} from the tape
     * @param numeric    the same from central differences
     * @param tolerance  the allowed absolute-plus-relative error
     */
    public record Result(double analytic, double numeric, double tolerance) {
        /** Whether the two numbers agree within the tolerance (relative to the numeric one). */
        public boolean passed() {
            return Math.abs(analytic - numeric) <= tolerance * (1 + Math.abs(numeric));
        }

        /** Throws {@link AssertionError} with both numbers when the check failed. */
        public void assertPassed() {
            if (!passed()) {
                throw new AssertionError("gradient check failed: tape gives " + analytic + ", central differences give "
                        + numeric + " (tolerance " + tolerance + ")");
            }
        }
    }

    /** Checks with step 1e-6 and tolerance 1e-5 (float64 inputs are required). */
    public static Result check(Function<List<Tensor>, Tensor> function, List<Tensor> inputs, long seed) {
        return check(function, inputs, seed, 1e-6, 1e-5);
    }

    /**
     * Checks with a chosen central-difference {@code step} and {@code tolerance}; inputs must be float64.
     *
     * @param function  the function under test, from its inputs to one tensor
     * @param inputs    the point to check at
     * @param seed      seeds the random direction and cotangent
     * @param step      the central-difference step
     * @param tolerance the allowed absolute-plus-relative error
     * @return both numbers and the tolerance
     */
    public static Result check(Function<List<Tensor>, Tensor> function, List<Tensor> inputs, long seed,
                               double step, double tolerance) {
        Errors.notNull(function, "GradientCheck.check", "function");
        Errors.notNull(inputs, "GradientCheck.check", "inputs");
        for (int i = 0; i < inputs.size(); i++) {
            Errors.notNull(inputs.get(i), "GradientCheck.check", "input " + i);
        }
        for (Tensor input : inputs) {
            if (input.dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException("GradientCheck: inputs must be float64 for a meaningful check, got "
                        + input.dtype() + " " + input.shape());
            }
        }
        RandomGenerator random = new RandomGenerator(seed);
        List<Tensor> directions = new ArrayList<>();
        for (Tensor input : inputs) {
            directions.add(random.normal(input.shape(), 0, 1, DType.FLOAT64));
        }
        double analytic = 0;
        Tensor cotangent;
        try (GradientTape tape = new GradientTape()) {
            tape.watch(inputs.toArray(Tensor[]::new));
            Tensor output = function.apply(inputs);
            cotangent = random.normal(output.shape(), 0, 1, DType.FLOAT64);
            Tensor projected = output.cast(DType.FLOAT64).mul(cotangent).sum();
            List<Tensor> grads = tape.gradient(projected, inputs, GradientTape.Unconnected.ZERO);
            for (int i = 0; i < inputs.size(); i++) {
                analytic += grads.get(i).mul(directions.get(i)).sum().doubleValue();
            }
        }
        double plus = project(function, inputs, directions, step, cotangent);
        double minus = project(function, inputs, directions, -step, cotangent);
        return new Result(analytic, (plus - minus) / (2 * step), tolerance);
    }

    private static double project(Function<List<Tensor>, Tensor> function, List<Tensor> inputs,
                                  List<Tensor> directions, double step, Tensor cotangent) {
        List<Tensor> moved = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            moved.add(inputs.get(i).add(directions.get(i).mul(step)));
        }
        return function.apply(moved).cast(DType.FLOAT64).mul(cotangent).sum().doubleValue();
    }
}
