package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.Primitive;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@link FusedElementwise} chain as one program: each step is its primitive's formula from the op table,
 * as the same device function {@code q_<op>_<dtype>} the unfused kernel calls ({@link ElementwiseKernels#function},
 * one per distinct (op, dtype) of the chain), or the same conversion a copy does ({@link
 * ElementwiseKernels#castExpression}); registers are locals, so no intermediate touches memory. Because every step
 * is the unfused kernel's own function, rounded to its dtype at the same statement, a fused kernel gives the unfused
 * bits (contraction is off in both dialects, see {@link CRenderer}). An integer division by zero in any step sets the
 * status word as the unfused {@code div} does.
 *
 * <p>Two kinds of program: {@link #source} writes several outputs elementwise (contiguous, or strided of one rank,
 * inputs by pointer or by value as in {@link ElementwiseKernels}); {@link #reduceSource} puts the chain in front of
 * {@code reduce.qk} as the visit of each element, so sibling SUM/MAX/MIN of the chain's outputs need no full-size
 * temporary and the chain runs once per element for all of them and for the outputs it writes besides.
 * Programs are named by a hash of the kernel's canonical {@link FusedElementwise#toString()}.
 *
 * <pre>{@code
 * FusedElementwise squaredError = ...;   // (x - y)^2
 * KernelSource program = FusedKernels.source(squaredError, 0, 0, Map.of());
 * program.name();   // "fused_3f9c0e27a1b4_c": one kernel of that name, contiguous operands
 * }</pre>
 */
public final class FusedKernels {
    private FusedKernels() {
    }

    /**
     * {@code fused_<12 hex digits of SHA-256 of kernel.toString()>}, plus {@code _v} and the indices of the inputs
     * taken by value ({@code valueInputs}, a bit per input): equal kernels get equal names on every run.
     */
    public static String programName(FusedElementwise kernel, int valueInputs) {
        return programName(kernel, valueInputs, DrawnInputs.NONE);
    }

    /**
     * {@link #programName(FusedElementwise, int)} plus the drawn inputs' {@link DrawnInputs#nameSuffix}: which inputs
     * are drawn and how, never a draw's seed or position (kernel arguments), so every replay of a compiled step
     * reuses one program.
     */
    public static String programName(FusedElementwise kernel, int valueInputs, DrawnInputs draws) {
        StringBuilder name = new StringBuilder("fused_").append(hash(kernel.toString()));
        if (valueInputs != 0) {
            name.append("_v");
            for (int i = 0; i < kernel.inputTypes().size(); i++) {
                if (ElementwiseKernels.byValue(valueInputs, i)) {
                    name.append(i);
                }
            }
        }
        return name.append(draws.nameSuffix(kernel.inputTypes().size())).toString();
    }

    /** Whether a step divides integers, so the program takes the status word. */
    public static boolean usesStatus(FusedElementwise kernel) {
        for (int s = 0; s < kernel.steps().size(); s++) {
            if (stepUsesStatus(kernel, s)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The elementwise program for one layout: {@code rank} 0 is the contiguous kernel, else the strided kernel of
     * that rank (as {@link ElementwiseKernels}' {@code _c} and {@code _s<rank>}). Program and kernel share the name
     * {@link ElementwiseKernels#kernelName}{@code (programName, rank)}. Arguments: {@code n}, each output's pointer
     * and offset, each input's pointer and offset (or its value), the status word when {@link #usesStatus}, the
     * inner dimensions, then every strided operand's strides (outputs first).
     */
    public static KernelSource source(FusedElementwise kernel, int valueInputs, int rank, Map<String, String> defines) {
        return source(kernel, valueInputs, DrawnInputs.NONE, rank, defines);
    }

    /**
     * {@link #source(FusedElementwise, int, int, Map)} with the inputs of {@code draws} generated where they are read
     * ({@link DrawnInputs}): in place of an input's pointer and offset, its seed, its stream counter, the stream
     * element of its buffer index 0 past the counter, and its scale and shift; its strides as any input's in memory.
     */
    public static KernelSource source(FusedElementwise kernel, int valueInputs, DrawnInputs draws, int rank,
                                      Map<String, String> defines) {
        String name = ElementwiseKernels.kernelName(programName(kernel, valueInputs, draws), rank);
        StringBuilder statements = new StringBuilder();
        List<String> results = new ArrayList<>();
        String helpers = chain(kernel, statements, "        ");
        for (int output : kernel.outputs()) {
            results.add(register(kernel, output));
        }
        String body = draws.helpers() + helpers + ElementwiseKernels.kernel(name, rank, kernel.outputTypes(),
                kernel.inputTypes(), valueInputs, draws, "", usesStatus(kernel), statements.toString(), results);
        return new KernelSource(name, body, draws.defines(kernel.inputTypes(), defines));
    }

    /**
     * Sibling reductions of the kernel's first {@code reductions.length} outputs over the middle axis of the block
     * {@code (outer, reduced, inner)}, and its other outputs written into the contiguous block, in one pass that runs
     * the chain once per element: {@code reduce.qk} behind a prologue that defines its {@code INPUTS} (each input's
     * pointer, offset and three strides, or its value; then the status word when {@link #usesStatus}), {@code
     * OUTPUTS} (each output's pointer and offset, in the kernel's order), {@code ROW}, {@code ACCUMULATORS} (one per
     * reduction, of its register's dtype) and {@code VISIT} (the chain at one element, each reduced register combined
     * into its accumulator, each written one stored). Each accumulator combines what a single reduction of its register
     * would, in the same order, so it gets that reduction's bits. {@code loopDefines} are the reduction loop's ({@code
     * WG}, {@code ITEM_SLICES}, {@code Q_FP64}); the program is named {@code name}.
     *
     * <pre>{@code
     * // sum and max of (x - y) over a block, and x < y written: registers 2 (x - y) and 3 (x < y)
     * KernelSource program = FusedKernels.reduceSource(kernel, 0, new Primitive[] {Primitive.SUM, Primitive.MAX},
     *         "fused_sum_max", Map.of("WG", "256"));   // kernel.outputs() is {2, 2, 3}
     * }</pre>
     */
    public static KernelSource reduceSource(FusedElementwise kernel, int valueInputs, Primitive[] reductions,
                                            String name, Map<String, String> loopDefines) {
        return reduceSource(kernel, valueInputs, DrawnInputs.NONE, reductions, name, loopDefines);
    }

    /**
     * {@link #reduceSource(FusedElementwise, int, Primitive[], String, Map)} with the inputs of {@code draws}
     * generated where they are read ({@link DrawnInputs}): each takes five arguments, its seed, its stream counter,
     * the stream element of its buffer index 0 past the counter (the view's offset), its scale and shift; its view is
     * contiguous, so the block's strides are its own.
     */
    public static KernelSource reduceSource(FusedElementwise kernel, int valueInputs, DrawnInputs draws,
                                            Primitive[] reductions, String name, Map<String, String> loopDefines) {
        int[] outputs = kernel.outputs();
        if (reductions.length == 0 || reductions.length > outputs.length) {
            throw new IllegalArgumentException("fusedReduce: " + kernel + " has " + outputs.length + " outputs for "
                    + reductions.length + " reductions; at least one reduction, at most one per output");
        }
        StringBuilder statements = new StringBuilder();
        String helpers = chain(kernel, statements, "    ");
        List<DType> inputs = kernel.inputTypes();
        List<DType> outputTypes = kernel.outputTypes();
        StringBuilder prologue = new StringBuilder("/* the fused chain ").append(kernel).append(": ");
        for (int j = 0; j < reductions.length; j++) {
            prologue.append(j == 0 ? "" : ", ").append(reductions[j].opName());
        }
        prologue.append(" of its first ").append(reductions.length).append(" outputs, the rest written */\n")
                .append(draws.helpers()).append(helpers);
        StringBuilder parameters = new StringBuilder();
        StringBuilder row = new StringBuilder();
        StringBuilder visit = new StringBuilder();
        for (int i = 0; i < inputs.size(); i++) {
            String type = ElementwiseKernels.typeName(inputs.get(i));
            parameters.append(i == 0 ? "" : ", ");
            visit.append("    ").append(type).append(" x").append(i).append(" = ");
            if (ElementwiseKernels.byValue(valueInputs, i)) {
                parameters.append(type).append(" in").append(i).append("_value");
                visit.append("in").append(i).append("_value;\n");
            } else if (draws.drawn(i)) {
                // the stream element of buffer index 0, then the contiguous block's own strides
                parameters.append(DrawnInputs.parameters(i, inputs.get(i)));
                row.append(" q_i64 at").append(i).append(" = in").append(i)
                        .append("_offset + (o) * reduced * inner + (i);");
                visit.append(draws.load(i, inputs.get(i), "at" + i + " + (r) * inner")).append(";\n");
            } else {
                parameters.append("GLOBAL const ").append(type).append("* in").append(i).append(", q_i64 in")
                        .append(i).append("_offset");
                for (int d = 0; d < 3; d++) {
                    parameters.append(", q_i64 in").append(i).append("_stride").append(d);
                }
                row.append(" q_i64 at").append(i).append(" = in").append(i).append("_offset + (o) * in").append(i)
                        .append("_stride0 + (i) * in").append(i).append("_stride2;");
                visit.append("in").append(i).append("[at").append(i).append(" + (r) * in").append(i)
                        .append("_stride1];\n");
            }
        }
        if (usesStatus(kernel)) {
            parameters.append(", GLOBAL q_i32* status");
        }
        visit.append(statements);
        StringBuilder outputParameters = new StringBuilder();
        StringBuilder accumulators = new StringBuilder();
        for (int j = 0; j < outputs.length; j++) {
            DType type = outputTypes.get(j);
            String typeName = ElementwiseKernels.typeName(type);
            outputParameters.append(j == 0 ? "" : ", ").append("GLOBAL ").append(typeName).append("* out").append(j)
                    .append(", q_i64 out").append(j).append("_offset");
            if (j < reductions.length) {
                String combine = combine(reductions[j], type);
                accumulators.append(" X(").append(j).append(", ").append(typeName).append(", ").append(typeName)
                        .append(", ").append(combine).append(", ").append(LaunchPlanner.identity(reductions[j], type))
                        .append(')');
                visit.append("    acc").append(j).append(" = ").append(combine).append("(acc").append(j).append(", ")
                        .append(register(kernel, outputs[j])).append(");\n");
            } else {
                // written as Backend.fused writes it: the same conversion, into the contiguous block
                visit.append("    out").append(j).append("[out").append(j).append("_offset + at_out + (r) * inner] = (")
                        .append(typeName).append(") (").append(register(kernel, outputs[j])).append(");\n");
            }
        }
        if (outputs.length > reductions.length) {
            row.append(" q_i64 at_out = (o) * reduced * inner + (i);");
        }
        // reduce.qk ends ROW(o, i) and VISIT(r) with its own semicolon; a macro's lines end with a backslash
        String rowText = row.isEmpty() ? "" : row.substring(1, row.length() - 1);
        String visitText = visit.substring(0, visit.length() - 2).replace("\n", " \\\n");
        prologue.append("#define INPUTS ").append(parameters).append('\n')
                .append("#define OUTPUTS ").append(outputParameters).append('\n')
                .append("#define ROW(o, i) ").append(rowText).append('\n')
                .append("#define ACCUMULATORS(X)").append(accumulators).append('\n')
                .append("#define VISIT(r) \\\n").append(visitText).append("\n\n");
        return new KernelSource(name, prologue + Dialect.resource("reduce.qk"), draws.defines(inputs, loopDefines));
    }

    /** The combining macro of {@code reduce.qk} for {@code op} on {@code dtype} (NaN-propagating for floats). */
    private static String combine(Primitive op, DType dtype) {
        String base = switch (op) {
            case SUM -> "Q_COMBINE_SUM";
            case MAX -> "Q_COMBINE_MAX";
            case MIN -> "Q_COMBINE_MIN";
            default -> throw new IllegalArgumentException("fusedReduce: " + op.opName() + " is not SUM, MAX or MIN");
        };
        return op != Primitive.SUM && dtype.isFloating() ? base + "_FLOATING" : base;
    }

    /**
     * Whether register {@code register} depends on a step that divides integers (its value then carries that step's
     * division-by-zero error, as the unfused step's output would).
     */
    public static boolean reachesStatus(FusedElementwise kernel, int register) {
        return reach(kernel, register, true)[0];
    }

    /** Which inputs register {@code register} is computed from (element {@code i}: input {@code i}). */
    public static boolean[] inputsReaching(FusedElementwise kernel, int register) {
        return reach(kernel, register, false);
    }

    /** Inputs (or, for {@code status}, the one flag "a dividing step") that {@code register} depends on. */
    private static boolean[] reach(FusedElementwise kernel, int register, boolean status) {
        int inputs = kernel.inputTypes().size();
        boolean[] needed = new boolean[kernel.registerCount()];
        needed[register] = true;
        boolean[] result = new boolean[status ? 1 : inputs];
        for (int r = kernel.registerCount() - 1; r >= 0; r--) {
            if (!needed[r]) {
                continue;
            }
            if (r < inputs) {
                if (!status) {
                    result[r] = true;
                }
                continue;
            }
            int s = r - inputs;
            if (status && stepUsesStatus(kernel, s)) {
                result[0] = true;
            }
            FusedElementwise.Step step = kernel.steps().get(s);
            for (int i = 0; i < step.arity(); i++) {
                needed[step.operand(i)] = true;
            }
        }
        return result;
    }

    private static boolean stepUsesStatus(FusedElementwise kernel, int s) {
        FusedElementwise.Step step = kernel.steps().get(s);
        return step.op() != Primitive.CAST && ElementwiseKernels.usesStatus(step.op(), kernel.operandType(s));
    }

    /**
     * Appends one statement per step to {@code statements} ({@code q_f32 r3 = q_sub_f32(x0, x1);}) and returns the
     * device functions they call: each division helper and each (op, dtype) function once, in first-use order.
     */
    private static String chain(FusedElementwise kernel, StringBuilder statements, String indent) {
        Map<String, String> functions = new LinkedHashMap<>();
        int inputs = kernel.inputTypes().size();
        for (int s = 0; s < kernel.steps().size(); s++) {
            FusedElementwise.Step step = kernel.steps().get(s);
            DType operand = kernel.operandType(s);
            String function;
            boolean status = false;
            if (step.op() == Primitive.CAST) {
                function = "cast_" + ElementwiseKernels.shortName(operand) + "_" + ElementwiseKernels.shortName(step.type());
                functions.computeIfAbsent(function, key -> "DEVICE_FN " + ElementwiseKernels.typeName(step.type())
                        + " q_" + key + "(" + ElementwiseKernels.typeName(operand) + " x0) {\n    return "
                        + ElementwiseKernels.castExpression(operand, step.type()) + ";\n}\n\n");
            } else {
                checkTypes(kernel, s, operand);
                function = step.op().opName() + "_" + ElementwiseKernels.shortName(operand);
                status = stepUsesStatus(kernel, s);
                if (status) {
                    functions.computeIfAbsent("div helper " + operand, key -> ElementwiseKernels.divisionHelper(operand));
                }
                boolean takesStatus = status;
                functions.computeIfAbsent(function, key ->
                        ElementwiseKernels.function(key, step.op(), operand, takesStatus));
            }
            statements.append(indent).append(ElementwiseKernels.typeName(step.type())).append(' ')
                    .append(register(kernel, inputs + s)).append(" = q_").append(function).append('(');
            for (int i = 0; i < step.arity(); i++) {
                statements.append(i == 0 ? "" : ", ").append(register(kernel, step.operand(i)));
            }
            statements.append(status ? ", status);\n" : ");\n");
        }
        return String.join("", functions.values());
    }

    /** A step's operands and result have the dtypes its table row reads and writes, or an error naming the step. */
    private static void checkTypes(FusedElementwise kernel, int s, DType operand) {
        FusedElementwise.Step step = kernel.steps().get(s);
        if (!ElementwiseKernels.supports(step.op(), operand)) {
            throw new IllegalArgumentException("fused: step " + s + " (" + step + ") of " + kernel
                    + ": no elementwise formula for " + step.op().opName() + " on " + operand);
        }
        ElementwiseOps.Definition definition = ElementwiseOps.of(step.op());
        boolean[] masks = StatementWriter.maskInputs(definition.formula(operand), definition.arity());
        for (int i = 0; i < step.arity(); i++) {
            DType expected = masks[i] ? DType.BOOL : operand;
            DType actual = kernel.registerType(step.operand(i));
            if (actual != expected) {
                throw new IllegalArgumentException("fused: step " + s + " (" + step + ") of " + kernel + " reads a "
                        + actual + " register as operand " + i + ", where " + step.op().opName() + " on " + operand
                        + " takes " + expected);
            }
        }
        if (definition.resultDtype(operand) != step.type()) {
            throw new IllegalArgumentException("fused: step " + s + " (" + step + ") of " + kernel + " declares "
                    + step.type() + ", but " + step.op().opName() + " on " + operand + " gives "
                    + definition.resultDtype(operand));
        }
    }

    /** Inputs are the kernel's locals {@code x<i>}, step results {@code r<register>}. */
    private static String register(FusedElementwise kernel, int r) {
        return (r < kernel.inputTypes().size() ? "x" : "r") + r;
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
