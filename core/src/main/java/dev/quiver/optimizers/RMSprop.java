package dev.quiver.optimizers;

import dev.quiver.Tensor;
import dev.quiver.Variable;

/**
 * RMSprop, Keras 3 formulas: {@code v = rho v + (1 - rho) g^2}; centered variants subtract the squared running
 * mean of {@code g}; {@code increment = lr g / sqrt(v + epsilon)}; with momentum {@code m = momentum m + increment},
 * {@code w -= m}, else {@code w -= increment}.
 *
 * <pre>{@code
 * Optimizer rms = new RMSprop(0.001);   // rho 0.9, no momentum, epsilon 1e-7, not centered
 * }</pre>
 */
public final class RMSprop extends Optimizer {
    private final double rho;
    private final double momentum;
    private final double epsilon;
    private final boolean centered;

    /** Keras' defaults: rho 0.9, no momentum, epsilon 1e-7, not centered. */
    public RMSprop(double learningRate) {
        this(learningRate, 0.9, 0.0, 1e-7, false);
    }

    /**
     * @param learningRate a finite number {@code > 0}
     * @param rho          decay of the squared-gradient average, in {@code [0, 1)}
     * @param momentum     in {@code [0, 1]} (0: none)
     * @param epsilon      a finite number {@code > 0}
     * @param centered     whether to subtract the squared running mean of the gradient
     * @throws IllegalArgumentException naming the parameter and its range when one lies outside it (NaN included)
     */
    public RMSprop(double learningRate, double rho, double momentum, double epsilon, boolean centered) {
        super(learningRate);
        this.rho = requireFraction("rho", rho, false);
        this.momentum = requireFraction("momentum", momentum, true);
        this.epsilon = requirePositive("epsilon", epsilon);
        this.centered = centered;
    }

    @Override
    protected int slotCount() {
        return 3; // velocity, momentum, average gradient (the last two stay zero when unused)
    }

    @Override
    protected void update(Variable variable, Tensor gradient, Variable[] slots) {
        Variable velocity = slots[0];
        velocity.assign(velocity.mul(rho).add(gradient.square().mul(1 - rho)));
        Tensor denominator;
        if (centered) {
            Variable averageGradient = slots[2];
            averageGradient.assign(averageGradient.mul(rho).add(gradient.mul(1 - rho)));
            denominator = velocity.sub(averageGradient.square()).add(epsilon);
        } else {
            denominator = velocity.add(epsilon);
        }
        Tensor increment = learningRateScalar().scale(gradient).div(denominator.sqrt());
        if (momentum > 0) {
            Variable accumulated = slots[1];
            accumulated.assign(accumulated.mul(momentum).add(increment));
            variable.assignSub(accumulated);
        } else {
            variable.assignSub(increment);
        }
    }
}
