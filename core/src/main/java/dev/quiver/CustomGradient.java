package dev.quiver;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * What the body of {@link GradientTape#customGradient} returns, like the {@code (y, grad_fn)} pair of TensorFlow's
 * {@code tf.custom_gradient}: the value, and the backward function that tapes use instead of differentiating the
 * ops that computed it. The backward function maps the upstream gradient (shaped like the value) to one gradient per
 * input, each shaped like its input, or {@code null} for an input that gets none. Written with {@link Tensor} ops,
 * it is itself recorded by outer tapes, so second derivatives go through it.
 *
 * <pre>{@code
 * // log(1 + e^x) with a gradient that stays finite where e^x overflows (TF's log1pexp example)
 * Tensor y = GradientTape.customGradient(x, in -> {
 *     Tensor e = in.exp();
 *     return CustomGradient.of(e.add(1.0).log(), upstream -> upstream.mul(e.add(1.0).reciprocal().neg().add(1.0)));
 * });
 * // two inputs: the backward function returns a list, one gradient per input
 * Tensor z = GradientTape.customGradient(List.of(a, b), in -> new CustomGradient(in.get(0).mul(in.get(1)),
 *         upstream -> List.of(upstream.mul(in.get(1)), upstream.mul(in.get(0)))));
 * }</pre>
 *
 * @param value    the result of the function
 * @param backward upstream gradient to one gradient per input (a list as long as the inputs; {@code null} entries
 *                 allowed, as {@code None} in TensorFlow)
 */
public record CustomGradient(Tensor value, Function<Tensor, List<Tensor>> backward) {

    /** A result for a one-input function: its backward function returns the one input's gradient. */
    public static CustomGradient of(Tensor value, UnaryOperator<Tensor> backward) {
        Errors.notNull(backward, "customGradient", "backward");
        return new CustomGradient(value, upstream -> Arrays.asList(backward.apply(upstream)));
    }
}
