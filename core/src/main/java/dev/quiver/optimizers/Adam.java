package dev.quiver.optimizers;

import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.spi.Backend;

/**
 * Adam (Kingma and Ba), Keras 3 formulas: {@code m += (g - m)(1 - beta1)}, {@code v += (g^2 - v)(1 - beta2)},
 * {@code w -= m * lr * sqrt(1 - beta2^t) / (1 - beta1^t) / (sqrt(v) + epsilon)}. The powers of beta are float64
 * variables on the device, multiplied by beta at each step, so a compiled step replays with the count of each replay;
 * an eager step computes them on the host ({@link StepScalar}).
 *
 * <pre>{@code
 * Optimizer adam = new Adam(0.001);   // beta1 0.9, beta2 0.999, epsilon 1e-7
 * }</pre>
 */
public final class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    // beta^t as float64 device variables (TF 1's beta1_power): the step's coefficient is computed from the state
    private Variable beta1Power;
    private Variable beta2Power;
    private StepScalar alpha;

    /** Keras' defaults: beta1 0.9, beta2 0.999, epsilon 1e-7. */
    public Adam(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-7);
    }

    /**
     * @param learningRate a finite number {@code > 0}
     * @param beta1        decay of the first moment, in {@code [0, 1)}
     * @param beta2        decay of the second moment, in {@code [0, 1)}
     * @param epsilon      a finite number {@code > 0}, added to the denominator
     * @throws IllegalArgumentException naming the parameter and its range when one lies outside it (NaN included)
     */
    public Adam(double learningRate, double beta1, double beta2, double epsilon) {
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
        beta1Power = stepState(backend, "beta1_power", 1);
        beta2Power = stepState(backend, "beta2_power", 1);
    }

    @Override
    protected void beforeStep() {
        StepScalar beta1PowerNow = write(beta1Power, read(beta1Power).mul(beta1));
        StepScalar beta2PowerNow = write(beta2Power, read(beta2Power).mul(beta2));
        // lr * sqrt(1 - beta2^t) / (1 - beta1^t), in float64
        alpha = beta2PowerNow.neg().add(1).sqrt().mul(learningRateScalar()).div(beta1PowerNow.neg().add(1));
    }

    @Override
    protected void update(Variable variable, Tensor gradient, Variable[] slots) {
        Variable m = slots[0];
        Variable v = slots[1];
        m.assignAdd(gradient.sub(m).mul(1 - beta1));
        v.assignAdd(gradient.square().sub(v).mul(1 - beta2));
        variable.assignSub(alpha.scale(m).div(v.sqrt().add(epsilon)));
    }
}
