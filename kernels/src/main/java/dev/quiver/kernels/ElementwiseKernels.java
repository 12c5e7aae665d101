package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Expr;
import dev.quiver.spi.Primitive;
import java.util.List;
import java.util.Map;

/**
 * Every elementwise kernel, rendered from the op table ({@link ElementwiseOps}): a primitive's formula for the
 * operand dtype becomes a device function {@code q_<op>_<dtype>(x0, x1, ...)} of one statement per node
 * ({@link CRenderer}), and {@link #source} calls it from a contiguous kernel and strided kernels of rank 1 to
 * {@value #MAX_STRIDED_RANK}. Adding an elementwise op is one entry of the table; both dialects get it.
 *
 * <p>Casts follow the CPU backend's scalar twins: float-to-int truncates toward zero and saturates (NaN gives 0),
 * anything to bool is {@code != 0}. Integer division by zero reports status 1 instead of trapping.
 *
 * <pre>{@code
 * KernelSource exp = ElementwiseKernels.source(Primitive.EXP, List.of(DType.FLOAT32), DType.FLOAT32, Map.of());
 * // kernels exp_f32_c (contiguous) and exp_f32_s1 .. exp_f32_s6 (strided)
 * }</pre>
 */
public final class ElementwiseKernels {
    /** The largest rank a strided kernel takes after dimensions are merged; higher ranks loop on the host. */
    public static final int MAX_STRIDED_RANK = 6;
    /** Status word value for an integer division by zero. */
    public static final int STATUS_DIVISION_BY_ZERO = 1;

    /* Integer division: by zero reports status instead of trapping (x86 raises SIGFPE, which would kill the JVM
       under PoCL), and MIN / -1 wraps to MIN as in Java instead of overflowing. Guarded: div, floor_div and mod
       each carry it, and a translation unit may hold several programs (CudaCompileTest compiles them as one). */
    private static final String DIVISION_HELPER = """
            #ifndef Q_DIV_$T_DEFINED
            #define Q_DIV_$T_DEFINED
            DEVICE_FN $T q_div_$T($T a, $T b, GLOBAL q_i32* status) {
                if (b == 0) {
                    status[0] = %d;
                    return 0;
                }
                if (b == -1) {
                    return ($T) (($U) 0 - ($U) a);
                }
                return a / b;
            }
            #endif
            """.formatted(STATUS_DIVISION_BY_ZERO);

    private ElementwiseKernels() {
    }

    /** Whether {@code op} on {@code dtype} is a row of the table. */
    public static boolean supports(Primitive op, DType dtype) {
        return ElementwiseOps.isElementwise(op) && ElementwiseOps.of(op).supports(dtype);
    }

    /** True when the kernel of {@code op} on {@code dtype} takes the status word (integer division). */
    public static boolean usesStatus(Primitive op, DType dtype) {
        return supports(op, dtype) && CRenderer.dividesIntegers(ElementwiseOps.of(op).formula(dtype), dtype);
    }

    /**
     * The device function {@code q_<program>(x0, ..., [status])} that evaluates {@code op}'s formula for operand
     * dtype {@code operand}: one statement per node. Bool inputs are {@code q_u8}; a MASK result is {@code q_u8}.
     */
    static String function(String program, Primitive op, DType operand, boolean status) {
        ElementwiseOps.Definition definition = ElementwiseOps.of(op);
        List<String> names = java.util.stream.IntStream.range(0, definition.arity()).mapToObj(i -> "x" + i).toList();
        StringBuilder body = new StringBuilder();
        Expr formula = definition.formula(operand);
        boolean[] masks = StatementWriter.maskInputs(formula, definition.arity());
        String result = CRenderer.statements(formula, operand, names, body, "    ");
        String resultType = formula.type() == Expr.Type.MASK ? "q_u8" : typeName(operand);
        StringBuilder f = new StringBuilder("DEVICE_FN ").append(resultType).append(" q_").append(program).append('(');
        for (int i = 0; i < names.size(); i++) {
            f.append(i == 0 ? "" : ", ").append(masks[i] ? "q_u8" : typeName(operand)).append(' ').append(names.get(i));
        }
        if (status) {
            f.append(", GLOBAL q_i32* status");
        }
        return f.append(") {\n").append(body).append("    return (").append(resultType).append(") (").append(result)
                .append(");\n}\n\n").toString();
    }

    /**
     * The program of one elementwise op: {@code op} over inputs of {@code inputs} dtypes writing {@code output}.
     * {@code op} is a UNARY, BINARY or WHERE primitive; CAST and COPY convert {@code inputs.get(0)} to
     * {@code output}; a {@code null} op is a fill with the scalar argument {@code value}.
     */
    public static KernelSource source(Primitive op, List<DType> inputs, DType output, Map<String, String> defines) {
        return source(op, inputs, 0, output, defines);
    }

    /**
     * {@link #source(Primitive, List, DType, Map)} where the inputs whose bit is set in {@code valueInputs} (bit
     * {@code i} for input {@code i}) are taken by value, as a kernel argument {@code inI_value} of their type,
     * instead of as a buffer: a Java number in an op ({@link dev.quiver.spi.HostScalar}) needs no device memory.
     * Those programs are named with {@code _v} and the inputs' indices: {@code mul_f32_v1}, {@code where_f32_v12}.
     */
    public static KernelSource source(Primitive op, List<DType> inputs, int valueInputs, DType output,
                                      Map<String, String> defines) {
        String name = programName(op, inputs, valueInputs, output);
        String expression;
        String helper = "";
        boolean status = false;
        if (op == null) {
            expression = "value";
        } else if (op == Primitive.CAST || op == Primitive.COPY) {
            expression = castExpression(inputs.get(0), output);
        } else {
            DType operand = op == Primitive.WHERE ? inputs.get(1) : inputs.get(0);
            if (!supports(op, operand)) {
                throw new IllegalArgumentException("kernels: no elementwise formula for " + op.opName() + " on "
                        + operand);
            }
            status = usesStatus(op, operand);
            if (status) {
                helper = divisionHelper(operand);
            }
            helper += function(name, op, operand, status);
            StringBuilder call = new StringBuilder("q_").append(name).append('(');
            for (int i = 0; i < inputs.size(); i++) {
                call.append(i == 0 ? "" : ", ").append('x').append(i);
            }
            expression = call.append(status ? ", status)" : ")").toString();
        }
        StringBuilder body = new StringBuilder(helper);
        String fill = op == null ? ", " + typeName(output) + " value" : "";
        for (int rank = 0; rank <= MAX_STRIDED_RANK; rank++) {
            body.append(kernel(kernelName(name, rank), rank, List.of(output), inputs, valueInputs, DrawnInputs.NONE,
                    fill, status, "", List.of(expression)));
        }
        return new KernelSource(name, body.toString(), defines);
    }

    /** The integer division helper {@code q_div_<T>} of {@code dtype}, which {@link CRenderer} calls for DIV. */
    static String divisionHelper(DType dtype) {
        return DIVISION_HELPER.replace("$T", typeName(dtype)).replace("$U", unsignedTypeName(dtype));
    }

    /**
     * {@link #programName(Primitive, List, DType)} plus {@code _v} and the indices of the inputs taken by value
     * ({@code valueInputs}, a bit per input), so that the variants are distinct programs and cache keys.
     */
    public static String programName(Primitive op, List<DType> inputs, int valueInputs, DType output) {
        String name = programName(op, inputs, output);
        if (valueInputs == 0) {
            return name;
        }
        StringBuilder suffix = new StringBuilder("_v");
        for (int i = 0; i < inputs.size(); i++) {
            if ((valueInputs & (1 << i)) != 0) {
                suffix.append(i);
            }
        }
        return name + suffix;
    }

    /** {@code exp_f32}, {@code less_i64}, {@code cast_f64_i32}, {@code where_f32}, {@code fill_b8}. */
    public static String programName(Primitive op, List<DType> inputs, DType output) {
        if (op == null) {
            return "fill_" + shortName(output);
        }
        if (op == Primitive.CAST || op == Primitive.COPY) {
            return "cast_" + shortName(inputs.get(0)) + "_" + shortName(output);
        }
        DType operand = op == Primitive.WHERE ? inputs.get(1) : inputs.get(0);
        return op.opName() + "_" + shortName(operand);
    }

    /** The kernel of a program for a layout: {@code _c} when every operand is contiguous, else {@code _s<rank>}. */
    public static String kernelName(String program, int stridedRank) {
        return program + (stridedRank == 0 ? "_c" : "_s" + stridedRank);
    }

    /** Conversion with Java's semantics, written without C's undefined behaviour (NaN or out-of-range to int). */
    static String castExpression(DType from, DType to) {
        String t = typeName(to);
        if (to == DType.BOOL) {
            return "(q_u8) (x0 != 0)";
        }
        if (from.isFloating() && !to.isFloating()) {
            String suffix = from == DType.FLOAT32 ? "f" : "";
            // the bounds are powers of two, exact in either float type: x >= 2^31 saturates to MAX, x < -2^31 to MIN
            String limit = to == DType.INT32 ? "2147483648.0" + suffix : "9223372036854775808.0" + suffix;
            String max = to == DType.INT32 ? "2147483647" : "9223372036854775807L";
            String min = to == DType.INT32 ? "(-2147483647 - 1)" : "(-9223372036854775807L - 1)";
            return "(x0 != x0 ? (" + t + ") 0 : (x0 >= " + limit + " ? (" + t + ") " + max + " : (x0 < -" + limit
                    + " ? (" + t + ") " + min + " : (" + t + ") x0)))";
        }
        return "(" + t + ") x0";
    }

    /**
     * One kernel writing {@code outputs} (named {@code out}, or {@code out0, out1, ...} when there are several) from
     * {@code inputs} read into locals {@code x0, x1, ...}; {@code statements} (lines, may be empty) then compute, and
     * output {@code j} receives {@code results.get(j)}. An input whose bit is set in {@code valueInputs} is a by-value
     * argument {@code inI_value}, with no offset and no strides (every element is that value), in the position its
     * pointer would have had. A {@code draws} input is generated where it is read ({@link DrawnInputs}): its seed and
     * stream counter in place of the pointer, its offset the stream element of buffer index 0 past the counter, its
     * scale and shift after it, and strides as an input in memory. Every input is read before any output is written,
     * so an output may alias an input.
     * {@code rank} 0 is the contiguous kernel; {@code extraParameters} ({@code ", q_f32 value"} of a fill) follow
     * the inputs.
     */
    static String kernel(String name, int rank, List<DType> outputs, List<DType> inputs, int valueInputs,
                         DrawnInputs draws, String extraParameters, boolean status, String statements,
                         List<String> results) {
        List<String> outs = outputs.size() == 1 ? List.of("out")
                : java.util.stream.IntStream.range(0, outputs.size()).mapToObj(j -> "out" + j).toList();
        StringBuilder k = new StringBuilder();
        k.append("KERNEL void ").append(name).append("(q_i64 n");
        for (int j = 0; j < outs.size(); j++) {
            k.append(", GLOBAL ").append(typeName(outputs.get(j))).append("* ").append(outs.get(j)).append(", q_i64 ")
                    .append(outs.get(j)).append("_offset");
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (byValue(valueInputs, i)) {
                k.append(", ").append(typeName(inputs.get(i))).append(" in").append(i).append("_value");
            } else if (draws.drawn(i)) {
                k.append(", ").append(DrawnInputs.parameters(i, inputs.get(i)));
            } else {
                k.append(", GLOBAL const ").append(typeName(inputs.get(i))).append("* in").append(i)
                        .append(", q_i64 in").append(i).append("_offset");
            }
        }
        k.append(extraParameters);
        if (status) {
            k.append(", GLOBAL q_i32* status");
        }
        for (int d = 1; d < rank; d++) {
            k.append(", q_i64 dim").append(d);
        }
        List<String> walked = new java.util.ArrayList<>(outs);   // the operands in memory, outputs first
        for (int i = 0; i < inputs.size(); i++) {
            if (!byValue(valueInputs, i)) {
                walked.add("in" + i);
            }
        }
        for (String operand : walked) {
            for (int d = 0; d < rank; d++) {
                k.append(", q_i64 ").append(operand).append("_stride").append(d);
            }
        }
        k.append(") {\n    for (q_i64 i = GID(0); i < n; i += GSIZE(0)) {\n");
        if (rank == 0) {
            for (String operand : walked) {
                k.append("        q_i64 ").append(position(operand)).append(" = ").append(operand)
                        .append("_offset + i;\n");
            }
        } else {
            k.append("        q_i64 rest = i;\n");
            for (String operand : walked) {
                k.append("        q_i64 ").append(position(operand)).append(" = ").append(operand).append("_offset;\n");
            }
            // peel coordinates from the innermost dimension outward; dimension 0 takes what is left
            for (int d = rank - 1; d >= 0; d--) {
                String coordinate = d == 0 ? "rest" : "c" + d;
                if (d > 0) {
                    k.append("        q_i64 c").append(d).append(" = rest % dim").append(d).append(";\n")
                            .append("        rest /= dim").append(d).append(";\n");
                }
                for (String operand : walked) {
                    k.append("        ").append(position(operand)).append(" += ").append(coordinate).append(" * ")
                            .append(operand).append("_stride").append(d).append(";\n");
                }
            }
        }
        for (int i = 0; i < inputs.size(); i++) {
            k.append("        ").append(typeName(inputs.get(i))).append(" x").append(i).append(" = ")
                    .append(byValue(valueInputs, i) ? "in" + i + "_value"
                            : draws.drawn(i) ? draws.load(i, inputs.get(i), "at" + i) : "in" + i + "[at" + i + "]")
                    .append(";\n");
        }
        k.append(statements);
        for (int j = 0; j < outs.size(); j++) {
            k.append("        ").append(outs.get(j)).append('[').append(position(outs.get(j))).append("] = (")
                    .append(typeName(outputs.get(j))).append(") (").append(results.get(j)).append(");\n");
        }
        k.append("    }\n}\n\n");
        return k.toString();
    }

    /** The local holding an operand's element index: {@code at_out}, {@code at_out1}, {@code at0} for {@code in0}. */
    private static String position(String operand) {
        return operand.startsWith("out") ? "at_" + operand : "at" + operand.substring(2);
    }

    /** Whether input {@code operand} is taken by value. */
    static boolean byValue(int valueInputs, int operand) {
        return (valueInputs & (1 << operand)) != 0;
    }

    /** The kernel C type of a dtype: {@code q_f32}, {@code q_f64}, {@code q_i32}, {@code q_i64}, {@code q_u8}. */
    public static String typeName(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "q_f32";
            case FLOAT64 -> "q_f64";
            case INT32 -> "q_i32";
            case INT64 -> "q_i64";
            case BOOL -> "q_u8";
        };
    }

    static String unsignedTypeName(DType dtype) {
        return switch (dtype) {
            case INT32 -> "q_u32";
            case INT64 -> "q_u64";
            default -> typeName(dtype);
        };
    }

    /** {@code f32}, {@code f64}, {@code i32}, {@code i64}, {@code b8}: the dtype part of program names. */
    public static String shortName(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case INT32 -> "i32";
            case INT64 -> "i64";
            case BOOL -> "b8";
        };
    }
}
