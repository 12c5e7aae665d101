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
 * The powers and products live on the device as float64 variables, so the step count never becomes a host number
 * and a compiled step replays correctly at every step.
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
    private Tensor momentumCoefficient;
    private Tensor gradientCoefficient;
    private Tensor secondMomentCorrection;

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

    /** {@code u = beta1 (1 - 0.5 decay)} for a device scalar {@code decay = 0.96^t}. */
    private Tensor u(Tensor decay) {
        return decay.mul(-0.5).add(1).mul(beta1);
    }

    @Override
    protected void beforeStep() {
        decayPower.assign(decayPower.mul(MOMENTUM_DECAY));
        Tensor uT = u(decayPower);
        Tensor uNext = u(decayPower.mul(MOMENTUM_DECAY));
        uProduct.assign(uProduct.mul(uT));
        Tensor uProductNext = uProduct.mul(uNext);
        beta2Power.assign(beta2Power.mul(beta2));
        momentumCoefficient = uNext.div(uProductNext.neg().add(1));
        gradientCoefficient = uT.neg().add(1).div(uProduct.neg().add(1));
        secondMomentCorrection = beta2Power.neg().add(1);
    }

    @Override
    protected void update(Variable variable, Tensor gradient, Variable[] slots) {
        Variable m = slots[0];
        Variable v = slots[1];
        m.assignAdd(gradient.sub(m).mul(1 - beta1));
        v.assignAdd(gradient.square().sub(v).mul(1 - beta2));
        Tensor mHat = m.mul(inDType(momentumCoefficient, variable.dtype()))
                .add(gradient.mul(inDType(gradientCoefficient, variable.dtype())));
        Tensor vHat = v.div(inDType(secondMomentCorrection, variable.dtype()));
        variable.assignSub(mHat.mul(learningRateTensor(variable.dtype())).div(vHat.sqrt().add(epsilon)));
    }
}
