package dev.quiver.optimizers;

import dev.quiver.GradientTape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Updates variables from their gradients, with Keras' formulas and defaults. Per-variable state (momentum,
 * second moments) lives in {@link Variable}s on the same backend as the parameter, so a training loop never moves
 * data to the host; the step count and the scalar coefficients derived from it are host numbers passed as scalars.
 *
 * <pre>{@code
 * Optimizer optimizer = new Nadam(0.01);
 * try (GradientTape tape = new GradientTape()) {
 *     Tensor loss = Losses.meanSquaredError(y, model(x));
 *     optimizer.applyGradients(tape.gradient(loss, List.of(w, b)), List.of(w, b));
 * }
 * }</pre>
 */
public abstract class Optimizer {
    private final double learningRate;
    private final Map<Variable, Variable[]> slots = new IdentityHashMap<>();
    private long iterations;

    protected Optimizer(double learningRate) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be a positive "
                    + "finite number, got " + learningRate);
        }
        this.learningRate = learningRate;
    }

    public double learningRate() {
        return learningRate;
    }

    /** How many steps {@link #applyGradients} has taken (Keras' {@code optimizer.iterations}). */
    public long iterations() {
        return iterations;
    }

    /**
     * One step: {@code gradients.get(i)} updates {@code variables.get(i)}, like Keras'
     * {@code apply_gradients(zip(grads, vars))}. A {@code null} gradient (unconnected variable) is skipped; all
     * {@code null} is an error. Everything is validated before any variable changes.
     */
    public void applyGradients(List<Tensor> gradients, List<? extends Variable> variables) {
        String name = getClass().getSimpleName();
        if (gradients.size() != variables.size()) {
            throw new IllegalArgumentException(name + ".applyGradients: " + gradients.size() + " gradients for "
                    + variables.size() + " variables");
        }
        boolean any = false;
        for (int i = 0; i < gradients.size(); i++) {
            Tensor gradient = gradients.get(i);
            Variable variable = variables.get(i);
            if (gradient == null) {
                continue;
            }
            any = true;
            if (!gradient.shape().equals(variable.shape())) {
                throw new IllegalArgumentException(name + ".applyGradients: gradient of shape " + gradient.shape()
                        + " for variable '" + variable.name() + "' of shape " + variable.shape());
            }
            if (!variable.dtype().isFloating()) {
                throw new IllegalArgumentException(name + ".applyGradients: variable '" + variable.name()
                        + "' is " + variable.dtype() + "; only floating variables can be trained");
            }
        }
        if (!any) {
            throw new IllegalArgumentException(name + ".applyGradients: no gradients provided for any variable "
                    + "(is the loss connected to them?)");
        }
        GradientTape.noRecording(() -> {
            long step = iterations + 1;
            beforeStep(step);
            for (int i = 0; i < gradients.size(); i++) {
                Tensor gradient = gradients.get(i);
                if (gradient != null) {
                    Variable variable = variables.get(i);
                    update(variable, gradient.cast(variable.dtype()), slotsFor(variable), step);
                }
            }
            iterations = step;
            return null;
        });
    }

    /** One step from (gradient, variable) pairs: Keras' {@code apply_gradients(zip(grads, vars))}. */
    public void applyGradients(List<GradientAndVariable> pairs) {
        List<Tensor> gradients = new ArrayList<>(pairs.size());
        List<Variable> variables = new ArrayList<>(pairs.size());
        for (GradientAndVariable pair : pairs) {
            gradients.add(pair.gradient());
            variables.add(pair.variable());
        }
        applyGradients(gradients, variables);
    }

    /** Computes the loss under a new tape, then applies its gradients to {@code variables}; returns the loss. */
    public Tensor minimize(Supplier<Tensor> loss, List<? extends Variable> variables) {
        try (GradientTape tape = new GradientTape()) {
            Tensor value = loss.get();
            List<Tensor> gradients = tape.gradient(value, variables);
            applyGradients(gradients, variables);
            return value;
        }
    }

    /** How many state tensors each variable needs (e.g. Adam: 2). */
    protected abstract int slotCount();

    /** Called once per step before the variables are updated; {@code step} counts from 1. */
    protected void beforeStep(long step) {
    }

    /** Updates one variable in place; {@code slots} are zero-initialised variables shaped like it. */
    protected abstract void update(Variable variable, Tensor gradient, Variable[] slots, long step);

    /** The optimizer state of one variable (for checkpoints and tests). */
    public List<Variable> slots(Variable variable) {
        Variable[] state = slots.get(variable);
        return state == null ? List.of() : new ArrayList<>(List.of(state));
    }

    private Variable[] slotsFor(Variable variable) {
        return slots.computeIfAbsent(variable, v -> {
            Variable[] state = new Variable[slotCount()];
            for (int i = 0; i < state.length; i++) {
                state[i] = new Variable(Tensor.zerosLike(v), v.name() + "/slot" + i, false);
            }
            return state;
        });
    }
}
