package dev.quiver.optimizers;

import dev.quiver.DType;
import dev.quiver.Tensor;
import dev.quiver.spi.Backend;
import java.util.EnumMap;
import java.util.Map;

/**
 * A number of one optimizer step (a power of beta, a bias correction, the learning rate): a host {@code double} in an
 * eager step whose state the host knows, or a float64 scalar tensor on the device in a traced step (and after a
 * compiled step has taken over the state). An optimizer writes its formulas once with these operations; both forms
 * evaluate the same IEEE float64 operations in the same order (add, multiply, divide and square root are correctly
 * rounded on every backend), so an eager step on the host and its compiled replay on the device give the same bits.
 * A host number costs no backend call; a device one is one call per operation.
 *
 * <pre>{@code
 * StepScalar power = write(beta2Power, read(beta2Power).mul(beta2));   // in an Optimizer's beforeStep()
 * StepScalar correction = power.neg().add(1);                          // 1 - beta2^t
 * Tensor vHat = correction.divide(v);                                  // v / (1 - beta2^t), in v's dtype
 * }</pre>
 */
public final class StepScalar {
    private final double host;
    // the float64 rank-0 device tensor, or null for a host number
    private final Tensor device;
    // the device value in each dtype, cast once however many variables the step updates
    private Map<DType, Tensor> casts;

    private StepScalar(double host, Tensor device) {
        this.host = host;
        this.device = device;
    }

    /** A host number. */
    public static StepScalar of(double value) {
        return new StepScalar(value, null);
    }

    /** A float64 rank-0 tensor on the device. */
    public static StepScalar of(Tensor value) {
        if (value == null) {
            throw new NullPointerException("StepScalar.of: value is null");
        }
        if (value.dtype() != DType.FLOAT64 || value.rank() != 0) {
            throw new IllegalArgumentException("StepScalar.of: a step scalar is a float64 rank-0 tensor, got "
                    + value.dtype() + " " + value.shape() + " on backend " + value.backend().name());
        }
        return new StepScalar(0, value);
    }

    /** The host number; an error for a device scalar, whose value the host does not know. */
    double hostValue() {
        if (device != null) {
            throw new IllegalStateException("StepScalar.hostValue: the value lives on backend "
                    + device.backend().name() + "; the host does not know it");
        }
        return host;
    }

    /** This value as a float64 rank-0 tensor on {@code backend} (a host number is made there). */
    Tensor tensorOn(Backend backend) {
        return device != null ? device : Tensor.scalar(backend, host, DType.FLOAT64);
    }

    /** {@code this + value}. */
    public StepScalar add(double value) {
        return device == null ? of(host + value) : of(device.add(value));
    }

    /** {@code this * value}. */
    public StepScalar mul(double value) {
        return device == null ? of(host * value) : of(device.mul(value));
    }

    /** {@code this * other}; on the device when either is. */
    public StepScalar mul(StepScalar other) {
        if (device == null && other.device == null) {
            return of(host * other.host);
        }
        Backend backend = (device != null ? device : other.device).backend();
        return of(tensorOn(backend).mul(other.tensorOn(backend)));
    }

    /** {@code this / other}; on the device when either is. */
    public StepScalar div(StepScalar other) {
        if (device == null && other.device == null) {
            return of(host / other.host);
        }
        Backend backend = (device != null ? device : other.device).backend();
        return of(tensorOn(backend).div(other.tensorOn(backend)));
    }

    /** {@code -this}. */
    public StepScalar neg() {
        return device == null ? of(-host) : of(device.neg());
    }

    /** The square root. */
    public StepScalar sqrt() {
        return device == null ? of(Math.sqrt(host)) : of(device.sqrt());
    }

    /** {@code x * this}, in {@code x}'s dtype (this value rounded to it first, as a cast would). */
    public Tensor scale(Tensor x) {
        return device == null ? x.mul(host) : x.mul(in(x.dtype()));
    }

    /** {@code x / this}, in {@code x}'s dtype (this value rounded to it first, as a cast would). */
    public Tensor divide(Tensor x) {
        return device == null ? x.div(host) : x.div(in(x.dtype()));
    }

    private Tensor in(DType dtype) {
        if (casts == null) {
            casts = new EnumMap<>(DType.class);
        }
        return casts.computeIfAbsent(dtype, device::cast);
    }

    @Override
    public String toString() {
        return device == null ? "StepScalar(" + host + ")" : "StepScalar(" + device.dtype() + " on "
                + device.backend().name() + ")";
    }
}
