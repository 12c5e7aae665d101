package dev.quiver.optimizers;

import dev.quiver.Tensor;
import dev.quiver.Variable;
import java.util.ArrayList;
import java.util.List;

/**
 * One (gradient, variable) pair, what Keras' {@code apply_gradients(zip(grads, vars))} takes.
 *
 * <pre>{@code
 * List<Tensor> grads = tape.gradient(loss, List.of(w, b));
 * optimizer.applyGradients(GradientAndVariable.zip(grads, List.of(w, b)));
 * }</pre>
 *
 * @param gradient the gradient, or {@code null} for a variable the loss does not depend on (skipped)
 * @param variable the variable it updates
 */
public record GradientAndVariable(Tensor gradient, Variable variable) {
    /** Checks that the variable is there (the gradient may be {@code null}). */
    public GradientAndVariable {
        if (variable == null) {
            throw new IllegalArgumentException("GradientAndVariable: the variable is null");
        }
    }

    /** Pairs {@code gradients.get(i)} with {@code variables.get(i)}, like Python's {@code zip}; lengths must match. */
    public static List<GradientAndVariable> zip(List<Tensor> gradients, List<? extends Variable> variables) {
        if (gradients == null || variables == null) {
            throw new NullPointerException("zip: " + (gradients == null ? "gradients" : "variables") + " is null");
        }
        if (gradients.size() != variables.size()) {
            throw new IllegalArgumentException("zip: " + gradients.size() + " gradients for " + variables.size()
                    + " variables");
        }
        List<GradientAndVariable> pairs = new ArrayList<>(gradients.size());
        for (int i = 0; i < gradients.size(); i++) {
            pairs.add(new GradientAndVariable(gradients.get(i), variables.get(i)));
        }
        return pairs;
    }
}
