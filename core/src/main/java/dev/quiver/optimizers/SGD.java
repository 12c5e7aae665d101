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

    /**
     * @param learningRate a finite number {@code > 0}
     * @param momentum     in {@code [0, 1]} (0: plain SGD)
     * @param nesterov     whether to use Nesterov momentum
     * @throws IllegalArgumentException naming the parameter and its range when one lies outside it (NaN included)
     */
    public SGD(double learningRate, double momentum, boolean nesterov) {
        super(learningRate);
        this.momentum = requireFraction("momentum", momentum, true);
        this.nesterov = nesterov;
    }

    @Override
    protected int slotCount() {
        return momentum == 0 ? 0 : 1;
    }

    @Override
    protected void update(Variable variable, Tensor gradient, Variable[] slots) {
        Tensor scaledGradient = learningRateScalar().scale(gradient);
        if (momentum == 0) {
            variable.assignSub(scaledGradient);
            return;
        }
        Variable velocity = slots[0];
        velocity.assign(velocity.mul(momentum).sub(scaledGradient));
        variable.assignAdd(nesterov ? velocity.mul(momentum).sub(scaledGradient) : velocity);
    }
}
