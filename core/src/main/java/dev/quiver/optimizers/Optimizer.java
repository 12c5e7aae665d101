package dev.quiver.optimizers;

import dev.quiver.DType;
import dev.quiver.GradientTape;
import dev.quiver.Tensor;
import dev.quiver.Variable;
import dev.quiver.spi.Backend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Updates variables from their gradients, with Keras' formulas and defaults. All state lives in {@link Variable}s on
 * the backend of the parameters: per-variable slots (momentum, second moments), the step count
 * ({@link #iterations()}, an int64 variable as Keras') and whatever a subclass derives from it (Adam's powers of
 * beta). So a training loop never moves data to the host, and a step traced once ({@link dev.quiver.TrainingStep})
 * replays correctly at any step count: nothing that changes from step to step is a host number in a traced step
 * (PyTorch calls such optimizers "capturable").
 *
 * <p>An eager step still computes its per-step numbers (the step count, the powers of beta, the coefficients) on the
 * host while the host knows that state ({@link Variable#knownValue()}): it writes the new state to the device with
 * one fill per variable and feeds the coefficients to the update as numbers, instead of some 25 backend calls on
 * one-element tensors. A traced step, and every step after a compiled step has written the state, computes the same
 * operations in the same order on the device ({@link StepScalar}), so both give the same numbers.
 *
 * <p>A call is all or nothing: {@link #applyGradients} checks every (gradient, variable) pair first, and a rejected
 * call changes no variable, creates no optimizer state and takes no step. Hyper-parameters are checked when the
 * optimizer is made, each against its domain.
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
    private static final System.Logger LOG = System.getLogger(Optimizer.class.getName());

    private double learningRate;
    // the learning rate on the device (float64 scalar), made with the first step's state: a replayed step reads it, so
    // setLearningRate changes compiled steps too
    private Variable learningRateVariable;
    private final Map<Variable, Variable[]> slots = new IdentityHashMap<>();
    // variables already warned about a missing gradient: once each, not once per step
    private final Set<Variable> warnedMissing = Collections.newSetFromMap(new IdentityHashMap<>());
    // made with the first step's state, on the parameters' backend
    private Variable iterations;
    // every per-step state variable (the step count, the learning rate, a subclass's stepState): this step runs on the
    // host when the host knows all of them
    private final List<Variable> stepStates = new ArrayList<>();
    private boolean stepOnHost;
    // this step's learning rate: one per step, so that a device one is cast once per dtype for all variables
    private StepScalar stepLearningRate;

    /**
     * An optimizer with the given step size.
     *
     * @param learningRate a finite number {@code > 0}
     * @throws IllegalArgumentException naming the optimizer and the range otherwise
     */
    protected Optimizer(double learningRate) {
        this.learningRate = requirePositive("learning rate", learningRate);
    }

    /** The step size: the one given at construction, or the last {@link #setLearningRate}. */
    public double learningRate() {
        return learningRate;
    }

    /**
     * Changes the step size for the following steps, eager or compiled ({@link dev.quiver.TrainingStep} replays read it
     * from the device): a learning-rate schedule without tracing again.
     *
     * @throws IllegalArgumentException naming the optimizer and the range unless it is a finite number {@code > 0}
     */
    public void setLearningRate(double learningRate) {
        this.learningRate = requirePositive("learning rate", learningRate);
        if (learningRateVariable != null) {
            learningRateVariable.assign(learningRate);
        }
    }

    /** This step's learning rate, for the update (from {@link #beforeStep()} on). */
    protected final StepScalar learningRateScalar() {
        return stepLearningRate;
    }

    /**
     * How many steps {@link #applyGradients} has taken (Keras' {@code optimizer.iterations}), replays of a compiled
     * step included: once a compiled step has taken steps the count lives only on the device, so this reads it (and
     * waits for pending work).
     */
    public long iterations() {
        if (iterations == null) {
            return 0;
        }
        OptionalDouble known = iterations.knownValue();
        return known.isPresent() ? (long) known.getAsDouble() : iterations.longValue();
    }

    /** The step count as a device variable (int64 scalar), null before the first step; subclasses derive from it. */
    protected final Variable iterationsVariable() {
        return iterations;
    }

    /**
     * One step: {@code gradients.get(i)} updates {@code variables.get(i)}, like Keras'
     * {@code apply_gradients(zip(grads, vars))}. A {@code null} gradient (a variable the loss does not reach) is
     * skipped, with a warning naming the variable the first time ({@link System.Logger}, logger
     * {@code dev.quiver.optimizers.Optimizer}); all {@code null} is an error. Every pair is validated before any
     * variable changes or any optimizer state is made: open tensors, equal shapes, floating dtypes, one backend.
     */
    public void applyGradients(List<Tensor> gradients, List<? extends Variable> variables) {
        String method = getClass().getSimpleName() + ".applyGradients";
        if (gradients == null || variables == null) {
            throw new NullPointerException(method + ": " + (gradients == null ? "gradients" : "variables")
                    + " is null");
        }
        if (gradients.size() != variables.size()) {
            throw new IllegalArgumentException(method + ": " + gradients.size() + " gradients for "
                    + variables.size() + " variables");
        }
        List<Variable> missing = new ArrayList<>();
        for (int i = 0; i < gradients.size(); i++) {
            Variable variable = variables.get(i);
            if (variable == null) {
                throw new NullPointerException(method + ": variable " + i + " is null");
            }
            Tensor gradient = gradients.get(i);
            if (gradient == null) {
                missing.add(variable);
            } else {
                validate(method, gradient, variable);
            }
        }
        if (missing.size() == gradients.size()) {
            throw new IllegalArgumentException(method + ": no gradients provided for any variable "
                    + "(is the loss connected to them?)");
        }
        warnMissing(missing);
        GradientTape.noRecording(() -> {
            // state for every variable before any update, so that a failing allocation leaves no variable changed
            List<Variable[]> state = new ArrayList<>(gradients.size());
            for (int i = 0; i < gradients.size(); i++) {
                state.add(gradients.get(i) == null ? null : slotsFor(variables.get(i)));
            }
            if (iterations == null) {
                Variable first = variables.get(0);
                // assigned from the host, so that the host knows the count (Variable.knownValue)
                iterations = new Variable(Tensor.scalar(first.backend(), 0, DType.INT64), "iterations", false)
                        .assign(0);
                learningRateVariable = stepState(first.backend(), "learning_rate", learningRate);
                stepStates.add(iterations);
                createStepState(first.backend());
            }
            stepOnHost = true;
            for (Variable stepState : stepStates) {
                stepOnHost &= stepState.knownValue().isPresent();
            }
            if (stepOnHost) {
                iterations.assign(iterations.knownValue().getAsDouble() + 1);
            } else {
                iterations.assignAdd(1);
            }
            stepLearningRate = read(learningRateVariable);
            beforeStep();
            for (int i = 0; i < gradients.size(); i++) {
                Tensor gradient = gradients.get(i);
                if (gradient != null) {
                    Variable variable = variables.get(i);
                    update(variable, gradient.cast(variable.dtype()), state.get(i));
                }
            }
            return null;
        });
    }

    /** Everything a pair must satisfy before anything is written. */
    private static void validate(String method, Tensor gradient, Variable variable) {
        String which = "variable '" + variable.name() + "' " + variable.dtype() + " " + variable.shape()
                + " on backend " + variable.backend().name();
        if (variable.isClosed()) {
            throw new IllegalStateException(method + ": " + which + " is closed");
        }
        if (gradient.isClosed()) {
            throw new IllegalStateException(method + ": the gradient of " + which + " is closed");
        }
        if (!variable.dtype().isFloating()) {
            throw new IllegalArgumentException(method + ": " + which + " is not floating; only float32 and float64"
                    + " variables can be trained");
        }
        if (!gradient.dtype().isFloating()) {
            throw new IllegalArgumentException(method + ": the gradient of " + which + " is " + gradient.dtype()
                    + "; a gradient must be float32 or float64");
        }
        if (!gradient.shape().equals(variable.shape())) {
            throw new IllegalArgumentException(method + ": gradient of shape " + gradient.shape() + " for " + which);
        }
        if (gradient.backend() != variable.backend()) {
            throw new IllegalArgumentException(method + ": the gradient of " + which + " lives on backend "
                    + gradient.backend().name() + "@" + Integer.toHexString(System.identityHashCode(gradient.backend()))
                    + ", the variable on backend " + variable.backend().name() + "@"
                    + Integer.toHexString(System.identityHashCode(variable.backend())) + "; make both on one backend");
        }
    }

    /** Keras' "Gradients do not exist for variables ..." warning, once per variable per optimizer. */
    private void warnMissing(List<Variable> missing) {
        List<String> names = new ArrayList<>();
        for (Variable variable : missing) {
            if (warnedMissing.add(variable)) {
                names.add("'" + variable.name() + "' " + variable.dtype() + " " + variable.shape());
            }
        }
        if (!names.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "Gradients do not exist for variables " + names + " when "
                    + getClass().getSimpleName() + " applied gradients; they were not updated. Is the loss connected "
                    + "to them (read them in the forward pass, under the tape)? A constant needs tape.watch(x), "
                    + "or make it a trainable Variable.");
        }
    }

    /** One step from (gradient, variable) pairs: Keras' {@code apply_gradients(zip(grads, vars))}. */
    public void applyGradients(List<GradientAndVariable> pairs) {
        if (pairs == null) {
            throw new NullPointerException(getClass().getSimpleName() + ".applyGradients: pairs is null");
        }
        List<Tensor> gradients = new ArrayList<>(pairs.size());
        List<Variable> variables = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            GradientAndVariable pair = pairs.get(i);
            if (pair == null) {
                throw new NullPointerException(getClass().getSimpleName() + ".applyGradients: pair " + i + " is null");
            }
            gradients.add(pair.gradient());
            variables.add(pair.variable());
        }
        applyGradients(gradients, variables);
    }

    /** Computes the loss under a new tape, then applies its gradients to {@code variables}; returns the loss. */
    public Tensor minimize(Supplier<Tensor> loss, List<? extends Variable> variables) {
        String method = getClass().getSimpleName() + ".minimize";
        if (loss == null || variables == null) {
            throw new NullPointerException(method + ": " + (loss == null ? "loss" : "variables") + " is null");
        }
        try (GradientTape tape = new GradientTape()) {
            Tensor value = loss.get();
            if (value == null) {
                throw new NullPointerException(method + ": the loss supplier returned null");
            }
            List<Tensor> gradients = tape.gradient(value, variables);
            applyGradients(gradients, variables);
            return value;
        }
    }

    /** How many state tensors each variable needs (e.g. Adam: 2). */
    protected abstract int slotCount();

    /**
     * Makes the optimizer's step-dependent state on {@code backend} (the parameters'), once, before the first step:
     * device variables such as Adam's powers of beta, made with {@link #stepState}. Nothing by default.
     */
    protected void createStepState(Backend backend) {
    }

    /**
     * A float64 scalar variable on {@code backend} for step-dependent state, starting at {@code initial}: read it with
     * {@link #read} and write it with {@link #write} in {@link #beforeStep()}.
     */
    protected final Variable stepState(Backend backend, String name, double initial) {
        // assigned from the host, so that the host knows the value and eager steps start on the host
        Variable state = new Variable(Tensor.scalar(backend, initial, DType.FLOAT64), name, false).assign(initial);
        stepStates.add(state);
        return state;
    }

    /**
     * The value of a {@link #stepState} variable in this step: a host number while the host knows every step state
     * (eager steps), else the variable itself (traced steps, and eager steps once a compiled step writes the state).
     */
    protected final StepScalar read(Variable state) {
        return stepOnHost ? StepScalar.of(state.knownValue().getAsDouble()) : StepScalar.of(state);
    }

    /**
     * Stores {@code value} in a {@link #stepState} variable (a fill from the host, or an assign on the device) and
     * returns what reads it from now on in this step.
     */
    protected final StepScalar write(Variable state, StepScalar value) {
        if (stepOnHost) {
            state.assign(value.hostValue());
            return value;
        }
        state.assign(value.tensorOn(state.backend()));
        return StepScalar.of(state);
    }

    /**
     * Called once per step before the variables are updated, after {@link #iterationsVariable()} counted the step:
     * derive the step's coefficients here from {@link #read} state as {@link StepScalar}s, never from host numbers of
     * the subclass that change with the step (a compiled step would replay them as constants).
     */
    protected void beforeStep() {
    }

    /** Updates one variable in place; {@code slots} are zero-initialised variables shaped like it. */
    protected abstract void update(Variable variable, Tensor gradient, Variable[] slots);

    /** The optimizer state of one variable (for checkpoints and tests); empty before its first update. */
    public List<Variable> slots(Variable variable) {
        Variable[] state = slots.get(variable);
        return state == null ? List.of() : new ArrayList<>(List.of(state));
    }

    private Variable[] slotsFor(Variable variable) {
        Variable[] state = slots.get(variable);
        if (state == null) {
            state = new Variable[slotCount()];
            for (int i = 0; i < state.length; i++) {
                state[i] = new Variable(Tensor.zerosLike(variable), variable.name() + "/slot" + i, false);
            }
            slots.put(variable, state);
        }
        return state;
    }

    // ---------------------------------------------------------------- hyper-parameter domains (for subclasses)

    /**
     * {@code value} when it is a finite number {@code > 0}; otherwise an error naming this optimizer, the parameter
     * and the allowed range.
     */
    protected final double requirePositive(String parameter, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw outOfDomain(parameter, "a finite number > 0", value);
        }
        return value;
    }

    /**
     * {@code value} when it lies in {@code [0, 1)} ({@code [0, 1]} when {@code oneIncluded}); otherwise an error
     * naming this optimizer, the parameter and the allowed range.
     */
    protected final double requireFraction(String parameter, double value, boolean oneIncluded) {
        if (!(value >= 0 && (oneIncluded ? value <= 1 : value < 1))) {
            throw outOfDomain(parameter, oneIncluded ? "[0, 1]" : "[0, 1)", value);
        }
        return value;
    }

    private IllegalArgumentException outOfDomain(String parameter, String domain, double value) {
        return new IllegalArgumentException(getClass().getSimpleName() + ": " + parameter + " must be in "
                + domain + ", got " + value);
    }
}
