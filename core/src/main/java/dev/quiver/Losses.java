package dev.quiver;

/**
 * Loss functions composed from tensor ops (so they need no gradient rule of their own).
 *
 * <pre>{@code
 * Tensor loss = Losses.meanSquaredError(yTrue, yPredicted);   // mean((yTrue - yPredicted)^2)
 * }</pre>
 */
public final class Losses {
    private Losses() {
    }

    /** {@code mean((target - predicted)^2)} over all elements. */
    public static Tensor meanSquaredError(Tensor target, Tensor predicted) {
        Errors.notNull(target, "meanSquaredError", "target");
        Errors.notNull(predicted, "meanSquaredError", "predicted");
        return target.sub(predicted).square().mean();
    }

    /** {@code sum((target - predicted)^2)} over all elements. */
    public static Tensor sumSquaredError(Tensor target, Tensor predicted) {
        Errors.notNull(target, "sumSquaredError", "target");
        Errors.notNull(predicted, "sumSquaredError", "predicted");
        return target.sub(predicted).square().sum();
    }
}
