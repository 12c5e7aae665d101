package dev.quiver.optimizers;

import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.spi.Backend;

/**
 * Nadam: Adam with Nesterov momentum (Dozat), with Keras 3's formulas and momentum-decay schedule
 * {@code u_t = beta1 (1 - 0.5 * 0.96^t)}:
 * <pre>
 *   m += (g - m)(1 - beta1);  v += (g^2 - v)(1 - beta2)
 *   m_hat = u_{t+1} m / (1 - prod_{i&lt;=t+1} u_i) + (1 - u_t) g / (1 - prod_{i&lt;=t} u_i)
 *   v_hat = v / (1 - beta2^t)
 *   w -= lr * m_hat / (sqrt(v_hat) + epsilon)
 * </pre>
 * The powers and products live on the device as float64 variables, so a compiled step replays correctly at every
 * step; an eager step computes them on the host ({@link StepScalar}).
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
    // float64 device variables: 0.96^t, the product of the u's, beta2^t; and the step's coefficients from them
    private Variable decayPower;
    private Variable uProduct;
    private Variable beta2Power;
    private StepScalar momentumCoefficient;
    private StepScalar gradientCoefficient;
    private StepScalar secondMomentCorrection;

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

    @Override
    protected int slotCount() {
        return 2;
    }

    @Override
    protected void createStepState(Backend backend) {
        decayPower = stepState(backend, "momentum_decay_power", 1);
        uProduct = stepState(backend, "u_product", 1);
        beta2Power = stepState(backend, "beta2_power", 1);
    }

    /** {@code u = beta1 (1 - 0.5 decay)} for {@code decay = 0.96^t}. */
    private StepScalar u(StepScalar decay) {
        return decay.mul(-0.5).add(1).mul(beta1);
    }

    @Override
    protected void beforeStep() {
        StepScalar decay = write(decayPower, read(decayPower).mul(MOMENTUM_DECAY));
        StepScalar uT = u(decay);
        StepScalar uNext = u(decay.mul(MOMENTUM_DECAY));
        StepScalar product = write(uProduct, read(uProduct).mul(uT));
        StepScalar productNext = product.mul(uNext);
        StepScalar beta2PowerNow = write(beta2Power, read(beta2Power).mul(beta2));
        momentumCoefficient = uNext.div(productNext.neg().add(1));
        gradientCoefficient = uT.neg().add(1).div(product.neg().add(1));
        secondMomentCorrection = beta2PowerNow.neg().add(1);
    }

    @Override
    protected void update(Variable variable, Tensor gradient, Variable[] slots) {
        Variable m = slots[0];
        Variable v = slots[1];
        m.assignAdd(gradient.sub(m).mul(1 - beta1));
        v.assignAdd(gradient.square().sub(v).mul(1 - beta2));
        Tensor mHat = momentumCoefficient.scale(m).add(gradientCoefficient.scale(gradient));
        Tensor vHat = secondMomentCorrection.divide(v);
        variable.assignSub(learningRateScalar().scale(mHat).div(vHat.sqrt().add(epsilon)));
    }
}
