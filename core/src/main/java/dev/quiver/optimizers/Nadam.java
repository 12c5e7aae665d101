package dev.quiver.optimizers;

import dev.quiver.Tensor;
import dev.quiver.Variable;

/**
 * Nadam: Adam with Nesterov momentum (Dozat), with Keras 3's formulas and momentum-decay schedule
 * {@code u_t = beta1 (1 - 0.5 * 0.96^t)}:
 * <pre>
 *   m += (g - m)(1 - beta1);  v += (g^2 - v)(1 - beta2)
 *   m_hat = u_{t+1} m / (1 - prod_{i&lt;=t+1} u_i) + (1 - u_t) g / (1 - prod_{i&lt;=t} u_i)
 *   v_hat = v / (1 - beta2^t)
 *   w -= lr * m_hat / (sqrt(v_hat) + epsilon)
 * </pre>
 * The products of {@code u} are host numbers: they depend only on the step count, not on data.
 *
 * <pre>{@code
 * Optimizer nadam = new Nadam(0.01);   // beta1 0.9, beta2 0.999, epsilon 1e-7
 * }</pre>
 */
public final class Nadam extends Optimizer {
    private static final double MOMENTUM_DECAY = 0.96;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private double uProduct = 1.0;

    /** Keras' defaults: beta1 0.9, beta2 0.999, epsilon 1e-7. */
    public Nadam(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-7);
    }

    /**
     * @param learningRate a finite number {@code > 0}
     * @param beta1        decay of the first moment, in {@code [0, 1)}
     * @param beta2        decay of the second moment, in {@code [0, 1)}
     * @param epsilon      a finite number {@code > 0}, added to the denominator
     * @throws IllegalArgumentException naming the parameter and its range when one lies outside it (NaN included)
     */
    public Nadam(double learningRate, double beta1, double beta2, double epsilon) {
        super(learningRate);
        this.beta1 = requireFraction("beta1", beta1, false);
        this.beta2 = requireFraction("beta2", beta2, false);
        this.epsilon = requirePositive("epsilon", epsilon);
    }

    private double u(long step) {
        return beta1 * (1.0 - 0.5 * Math.pow(MOMENTUM_DECAY, step));
    }

    @Override
    protected int slotCount() {
        return 2;
    }

    @Override
    protected void beforeStep(long step) {
        uProduct *= u(step);
    }

    @Override
    protected void update(Variable variable, Tensor gradient, Variable[] slots, long step) {
        Variable m = slots[0];
        Variable v = slots[1];
        double uT = u(step);
        double uNext = u(step + 1);
        double uProductNext = uProduct * uNext;
        m.assignAdd(gradient.sub(m).mul(1 - beta1));
        v.assignAdd(gradient.square().sub(v).mul(1 - beta2));
        Tensor mHat = m.mul(uNext / (1 - uProductNext)).add(gradient.mul((1 - uT) / (1 - uProduct)));
        Tensor vHat = v.div(1 - Math.pow(beta2, step));
        variable.assignSub(mHat.mul(learningRate()).div(vHat.sqrt().add(epsilon)));
    }
}
