package dev.quiver.optimizers;

import dev.quiver.Tensor;
import dev.quiver.Variable;

/**
 * Stochastic gradient descent, optionally with momentum and Nesterov momentum (Keras 3 formulas):
 * {@code m = momentum*m - lr*g}; then {@code w += m}, or with Nesterov {@code w += momentum*m - lr*g}.
 *
 * <pre>{@code
 * Optimizer sgd = new SGD(0.03);                  // plain: w -= 0.03 * g
 * Optimizer heavyBall = new SGD(0.01, 0.9, true); // Nesterov momentum
 * }</pre>
 */
public final class SGD extends Optimizer {
    private final double momentum;
    private final boolean nesterov;

    /** Keras' default learning rate is 0.01. */
    public SGD(double learningRate) {
        this(learningRate, 0, false);
    }

    public SGD(double learningRate, double momentum, boolean nesterov) {
        super(learningRate);
        if (momentum < 0 || momentum > 1) {
            throw new IllegalArgumentException("SGD: momentum must be in [0, 1], got " + momentum);
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    @Override
    protected int slotCount() {
        return momentum == 0 ? 0 : 1;
    }

    @Override
    protected void update(Variable variable, Tensor gradient, Variable[] slots, long step) {
        Tensor scaledGradient = gradient.mul(learningRate());
        if (momentum == 0) {
            variable.assignSub(scaledGradient);
            return;
        }
        Variable velocity = slots[0];
        velocity.assign(velocity.mul(momentum).sub(scaledGradient));
        variable.assignAdd(nesterov ? velocity.mul(momentum).sub(scaledGradient) : velocity);
    }
}
