package dev.quiver.spi;

import dev.quiver.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A chain of elementwise primitives that a compiled step runs as one kernel: each {@link Step} applies one table
 * primitive ({@link ElementwiseOps}) or a CAST to earlier registers, and no intermediate result is written to
 * memory. Register {@code r} is input {@code r} for {@code r < inputTypes().size()}, else the result of step
 * {@code r - inputTypes().size()}. Every step computes exactly what the primitive's own backend call computes
 * (the same formula, node for node), so a fused kernel gives the bits of the unfused calls.
 *
 * <p>Made by the compiler of traced steps, run by {@link Backend#fused} and {@link Backend#fusedReduce}; its
 * {@link #toString()} is canonical (equal kernels, equal strings), so backends key their program caches by it.
 *
 * <pre>{@code
 * // out = (x - y)^2 for float32 x, y: registers 0 = x, 1 = y, 2 = x - y, 3 = 2 * 2
 * FusedElementwise squaredError = new FusedElementwise(List.of(DType.FLOAT32, DType.FLOAT32), List.of(
 *         new FusedElementwise.Step(Primitive.SUB, new int[] {0, 1}, DType.FLOAT32),
 *         new FusedElementwise.Step(Primitive.MUL, new int[] {2, 2}, DType.FLOAT32)), new int[] {3});
 * }</pre>
 *
 * @param inputTypes the dtype of each input view (a bool input is a MASK register)
 * @param steps      the primitives in evaluation order; each names its operands by register
 * @param outputs    the registers written to the output views, in order
 */
public record FusedElementwise(List<DType> inputTypes, List<Step> steps, int[] outputs) {

    /**
     * The most reductions one {@link Backend#fusedReduce} call computes: the planned kernels keep an accumulator per
     * reduction in local memory. The compiler never asks for more.
     */
    public static final int MAX_REDUCTIONS = 8;

    /** The most outputs (reduced and written) of one {@link Backend#fusedReduce} call: the kernels' arguments. */
    public static final int MAX_REDUCE_OUTPUTS = 16;

    /**
     * The kernel arguments a planned {@link Backend#fusedReduce} launch passes (at most 128, what OpenCL guarantees):
     * three sizes and a status word, per input in memory its buffer, offset and three block strides, per host number
     * its value, per output its buffer and offset. The compiler keeps its fused reductions within it.
     */
    public static int reduceArguments(List<StridedView> inputs, int outputs) {
        int arguments = 4 + 2 * outputs;
        for (StridedView input : inputs) {
            arguments += input.buffer() instanceof HostScalar ? 1 : 5;
        }
        return arguments;
    }

    /** The most kernel arguments of a planned kernel ({@link #reduceArguments}). */
    public static final int MAX_KERNEL_ARGUMENTS = 128;

    /**
     * One primitive applied to registers.
     *
     * @param op       a UNARY, BINARY or WHERE primitive of the table, or CAST (one operand converted to {@code type})
     * @param operands the registers it reads, in the primitive's operand order
     * @param type     the dtype of its result (bool for comparisons)
     */
    public record Step(Primitive op, int[] operands, DType type) {
        public Step {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(type, "type");
            operands = operands.clone();
        }

        @Override
        public int[] operands() {
            return operands.clone();
        }

        /** The register read as operand {@code i} (no copy, for the kernels' inner loops). */
        public int operand(int i) {
            return operands[i];
        }

        /** The number of operands. */
        public int arity() {
            return operands.length;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Step step && op == step.op && type == step.type
                    && Arrays.equals(operands, step.operands);
        }

        @Override
        public int hashCode() {
            return Objects.hash(op, type, Arrays.hashCode(operands));
        }

        @Override
        public String toString() {
            return op.opName() + Arrays.toString(operands) + ":" + type.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public FusedElementwise {
        inputTypes = List.copyOf(inputTypes);
        steps = List.copyOf(steps);
        outputs = outputs.clone();
        int registers = inputTypes.size();
        for (Step step : steps) {
            boolean table = ElementwiseOps.isElementwise(step.op());
            if (!table && step.op() != Primitive.CAST) {
                throw new IllegalArgumentException("fused: " + step.op().opName() + " is not an elementwise primitive");
            }
            if (table && ElementwiseOps.of(step.op()).arity() != step.arity()
                    || !table && step.arity() != 1) {
                throw new IllegalArgumentException("fused: " + step + " has the wrong number of operands");
            }
            for (int operand : step.operands) {
                if (operand < 0 || operand >= registers) {
                    throw new IllegalArgumentException("fused: " + step + " reads register " + operand
                            + " before it is defined (" + registers + " defined)");
                }
            }
            registers++;
        }
        for (int output : outputs) {
            if (output < 0 || output >= registers) {
                throw new IllegalArgumentException("fused: output register " + output + " of " + registers);
            }
        }
    }

    @Override
    public int[] outputs() {
        return outputs.clone();
    }

    /** The number of registers: inputs plus steps. */
    public int registerCount() {
        return inputTypes.size() + steps.size();
    }

    /** The dtype of register {@code r}. */
    public DType registerType(int r) {
        return r < inputTypes.size() ? inputTypes.get(r) : steps.get(r - inputTypes.size()).type();
    }

    /**
     * The dtype in which step {@code s} computes: the operand dtype of its formula (for WHERE the value operands',
     * for CAST the source's), which is the row of the table a backend renders.
     */
    public DType operandType(int s) {
        Step step = steps.get(s);
        return registerType(step.op() == Primitive.WHERE ? step.operand(1) : step.operand(0));
    }

    /** The dtypes of the outputs, in order. */
    public List<DType> outputTypes() {
        List<DType> types = new ArrayList<>(outputs.length);
        for (int output : outputs) {
            types.add(registerType(output));
        }
        return types;
    }

    /**
     * The slow twin of a fused kernel: each step as its own backend call into a full-size temporary (released at
     * once), so its bits are by definition those of the unfused program. {@link Backend#fused}'s default, and the
     * reference the fused kernels are tested against.
     */
    public static void runUnfused(Backend backend, FusedElementwise kernel, StridedView[] inputs,
                                  StridedView[] outputs) {
        kernel.checkOperands("fused", inputs, outputs.length);
        int[] shape = outputs.length > 0 ? outputs[0].shape() : inputs[0].shape();
        StridedView[] registers = new StridedView[kernel.registerCount()];
        List<DeviceBuffer> temporaries = new ArrayList<>();
        try {
            System.arraycopy(drawnIntoTemporaries(backend, inputs, temporaries), 0, registers, 0, inputs.length);
            for (int s = 0; s < kernel.steps().size(); s++) {
                Step step = kernel.steps().get(s);
                int r = kernel.inputTypes().size() + s;
                StridedView first = registers[step.operand(0)];
                if (step.op() == Primitive.CAST && first.buffer() instanceof HostScalar scalar) {
                    registers[r] = new StridedView(HostScalar.of(step.type(), scalar.value()), shape,
                            new long[shape.length], 0);
                    continue;
                }
                DeviceBuffer buffer = backend.allocate(step.type(), elements(shape));
                temporaries.add(buffer);
                StridedView out = StridedView.contiguous(buffer, shape);
                switch (step.op().kind()) {
                    case UNARY -> backend.unary(step.op(), first, out);
                    case BINARY -> backend.binary(step.op(), first, registers[step.operand(1)], out);
                    case WHERE -> backend.where(first, registers[step.operand(1)], registers[step.operand(2)], out);
                    default -> backend.copy(first, out); // CAST
                }
                registers[r] = out;
            }
            int[] outs = kernel.outputs;
            for (int j = 0; j < outs.length; j++) {
                StridedView source = registers[outs[j]];
                if (source.buffer() instanceof HostScalar scalar) {
                    backend.fill(outputs[j], scalar.value());
                } else {
                    backend.copy(source, outputs[j]);
                }
            }
        } finally {
            temporaries.forEach(DeviceBuffer::release);
        }
    }

    /**
     * {@code inputs} with each view of a {@link Drawn} buffer replaced by the same view of a temporary the draw was
     * generated into by {@link Backend#random} from its counter's value (added to {@code temporaries}): what a kernel
     * that fuses draws reads.
     */
    static StridedView[] drawnIntoTemporaries(Backend backend, StridedView[] inputs, List<DeviceBuffer> temporaries) {
        StridedView[] drawn = inputs;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].buffer() instanceof Drawn draw) {
                DeviceBuffer values = backend.allocate(draw.dtype(), draw.length());
                temporaries.add(values);
                // the slow twin reads the stream's position back (a transfer): what the fused kernels read on the device
                long counter = ((long[]) backend.download(draw.counter(), 0, 1))[0];
                backend.random(draw.distribution(), draw.seed(), counter + draw.position(), draw.first(),
                        draw.second(), StridedView.contiguous(values, Math.toIntExact(draw.length())));
                drawn = drawn == inputs ? inputs.clone() : drawn;
                drawn[i] = new StridedView(values, inputs[i].shape(), inputs[i].strides(), inputs[i].offset());
            }
        }
        return drawn;
    }

    /**
     * The slow twin of {@link Backend#fusedReduce}: the kernel into temporaries (the reduced outputs) and the written
     * outputs, then {@link Backend#reduce} of each reduced one.
     */
    public static void runUnfusedReduce(Backend backend, FusedElementwise kernel, StridedView[] inputs,
                                        Primitive[] reductions, StridedView[] outputs) {
        kernel.checkReduceOperands("fusedReduce", inputs, reductions, outputs);
        int[] block = inputs[0].shape();
        StridedView[] all = outputs.clone();
        List<DeviceBuffer> temporaries = new ArrayList<>();
        try {
            List<DType> types = kernel.outputTypes();
            for (int j = 0; j < reductions.length; j++) {
                DeviceBuffer temporary = backend.allocate(types.get(j), elements(block));
                temporaries.add(temporary);
                all[j] = StridedView.contiguous(temporary, block);
            }
            runUnfused(backend, kernel, inputs, all);
            for (int j = 0; j < reductions.length; j++) {
                backend.reduce(reductions[j], all[j], outputs[j]);
            }
        } finally {
            temporaries.forEach(DeviceBuffer::release);
        }
    }

    /**
     * Checks the operands of {@link Backend#fusedReduce} against this kernel, for every backend: those of
     * {@link #checkOperands}, inputs of a block shape {@code (outer, reduced, inner)}, at least one reduction, each
     * SUM, MAX or MIN, reduced outputs contiguous {@code (outer, inner)} and written ones the contiguous block, each of
     * its register's dtype; errors start with {@code method} ({@code "cpu: fusedReduce"}).
     */
    public void checkReduceOperands(String method, StridedView[] inputs, Primitive[] reductions,
                                    StridedView[] outputs) {
        checkOperands(method, inputs, outputs.length);
        if (inputs.length == 0 || inputs[0].rank() != 3) {
            throw new IllegalArgumentException(method + " " + this + ": inputs must be (outer, reduced, inner) "
                    + "blocks, got " + (inputs.length == 0 ? "none" : Arrays.toString(inputs[0].shape())));
        }
        if (reductions.length == 0 || reductions.length > outputs.length) {
            throw new IllegalArgumentException(method + " " + this + ": " + reductions.length + " reductions for "
                    + outputs.length + " outputs; at least one, at most one per output");
        }
        int[] block = inputs[0].shape();
        // no allocation unless it fails: a compiled step's replay calls this for every fused reduction
        for (int j = 0; j < outputs.length; j++) {
            boolean reducedOutput = j < reductions.length;
            if (reducedOutput && reductions[j] != Primitive.SUM && reductions[j] != Primitive.MAX
                    && reductions[j] != Primitive.MIN) {
                throw new IllegalArgumentException(method + " " + this + ": reduction " + j + " is "
                        + (reductions[j] == null ? null : reductions[j].opName()) + ", not SUM, MAX or MIN");
            }
            StridedView out = outputs[j];
            DType type = registerType(this.outputs[j]);
            if (out == null || !(reducedOutput ? out.rank() == 2 && out.shape()[0] == block[0]
                    && out.shape()[1] == block[2] : Arrays.equals(out.shape(), block)) || !out.isContiguous()
                    || out.dtype() != type || out.buffer() instanceof HostScalar) {
                int[] expected = reducedOutput ? new int[] {block[0], block[2]} : block;
                throw new IllegalArgumentException(method + " " + this + ": output " + j + " must be a contiguous "
                        + type + " buffer of shape " + Arrays.toString(expected) + " ("
                        + (reducedOutput ? reductions[j].opName() + " over axis 1 of the block" : "written") + "), got "
                        + out);
            }
        }
    }

    /**
     * Checks a call's operands against this kernel, for every backend: as many inputs as input types, each of its type,
     * all of one shape, and {@code outputCount} equal to the kernel's outputs; errors start with {@code method}
     * ({@code "cpu: fused"}).
     */
    public void checkOperands(String method, StridedView[] inputs, int outputCount) {
        if (inputs.length != inputTypes.size() || outputCount != outputs.length) {
            throw new IllegalArgumentException(method + " " + this + " takes " + inputTypes.size() + " inputs and "
                    + outputs.length + " outputs, got " + inputs.length + " and " + outputCount);
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].dtype() != inputTypes.get(i) || !Arrays.equals(inputs[i].shape(), inputs[0].shape())) {
                throw new IllegalArgumentException(method + ": input " + i + " of " + this + " is " + inputs[i]
                        + ", expected " + inputTypes.get(i) + " of shape " + Arrays.toString(inputs[0].shape()));
            }
        }
    }

    private static long elements(int[] shape) {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        return size;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FusedElementwise kernel && inputTypes.equals(kernel.inputTypes)
                && steps.equals(kernel.steps) && Arrays.equals(outputs, kernel.outputs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(inputTypes, steps, Arrays.hashCode(outputs));
    }

    /** Canonical: {@code fused(f32,f32; sub[0, 1]:f32, mul[2, 2]:f32 -> [3])}. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("fused(");
        for (int i = 0; i < inputTypes.size(); i++) {
            text.append(i == 0 ? "" : ",").append(inputTypes.get(i).name().toLowerCase(java.util.Locale.ROOT));
        }
        text.append("; ");
        for (int i = 0; i < steps.size(); i++) {
            text.append(i == 0 ? "" : ", ").append(steps.get(i));
        }
        return text.append(" -> ").append(Arrays.toString(outputs)).append(')').toString();
    }
}
