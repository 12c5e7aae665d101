package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import java.util.List;

/**
 * Renders an {@link Expr} as kernel C (the subset both preludes define: OpenCL C and CUDA C): one statement per
 * node, in the same post-order as {@link JavaScalarRenderer}, each node computed once. The text carries Expr's
 * exact semantics into C, where the obvious spelling would differ:
 * <ul>
 *   <li>integer VALUE and BITS arithmetic goes through the unsigned twin ({@code q_u32}), so it wraps as Java's
 *       does instead of being undefined on overflow;</li>
 *   <li>floating {@code MIN}/{@code MAX} are spelled out as {@link Math#min(float, float)} is (NaN in, that NaN
 *       out; {@code -0.0 < +0.0}), not as C's {@code fmin} (which drops NaN);</li>
 *   <li>integer {@code DIV} calls {@code q_div_<T>}, which reports a zero divisor in the status word and wraps
 *       {@code MIN / -1};</li>
 *   <li>reinterpretation uses the preludes' {@code q_bits_f32}/{@code q_value_f32} ({@code as_int}/
 *       {@code __float_as_int}); float constants are hex literals (exact, no decimal parsing);</li>
 *   <li>no contraction: the OpenCL prelude turns {@code FP_CONTRACT} off and NVRTC runs with
 *       {@code --fmad=false}, so {@code a * b + c} in two statements stays two roundings; FMA only where the
 *       formula says {@code fma}.</li>
 * </ul>
 * A MASK is an int 0 or 1 (C's comparison result); a bool input is read as one (buffers hold 0 or 1).
 *
 * <pre>{@code
 * StringBuilder out = new StringBuilder();
 * String result = CRenderer.statements(Expr.fma(x, y, z), DType.FLOAT32, List.of("x0", "x1", "x2"), out, "    ");
 * // out: "    q_f32 t0 = fma(x0, x1, x2);\n", result: "t0"
 * }</pre>
 */
public final class CRenderer {
    private CRenderer() {
    }

    /**
     * Appends one statement per node of {@code root} to {@code out} (each line starting with {@code indent}) and
     * returns the C expression of the result. An integer DIV refers to {@code status} (a {@code GLOBAL q_i32*}).
     */
    public static String statements(Expr root, DType dtype, List<String> inputNames, StringBuilder out,
                                    String indent) {
        return new Writer(dtype, inputNames, out, indent).name(root);
    }

    /** Whether the formula divides integers, so its kernel takes the status word. */
    public static boolean dividesIntegers(Expr root, DType dtype) {
        return !dtype.isFloating() && StatementWriter.postOrder(root).stream().anyMatch(node ->
                node instanceof Expr.Binary b && b.op() == Expr.BinaryOp.DIV);
    }

    /** The C type of a node type under operand dtype {@code dtype}. */
    public static String cType(Expr.Type type, DType dtype) {
        return switch (type) {
            case MASK -> "q_i32";
            case BITS -> dtype.byteSize() == 8 ? "q_i64" : "q_i32";
            case VALUE -> ElementwiseKernels.typeName(dtype);
        };
    }

    private static String unsignedType(Expr.Type type, DType dtype) {
        return dtype.byteSize() == 8 || (type == Expr.Type.VALUE && dtype == DType.INT64) ? "q_u64" : "q_u32";
    }

    /** A C literal of a VALUE constant rounded to {@code dtype}. */
    static String valueLiteral(double value, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> {
                float f = (float) value;
                yield Float.isFinite(f) ? "(" + Float.toHexString(f) + "f)"
                        : "q_value_f32(" + bitsLiteral(Float.floatToRawIntBits(f), DType.FLOAT32) + ")";
            }
            case FLOAT64 -> Double.isFinite(value) ? "(" + Double.toHexString(value) + ")"
                    : "q_value_f64(" + bitsLiteral(Double.doubleToRawLongBits(value), DType.FLOAT64) + ")";
            case INT32 -> bitsLiteral((int) value, DType.INT32);
            case INT64 -> bitsLiteral((long) value, DType.INT64);
            case BOOL -> value != 0 ? "1" : "0";
        };
    }

    /** A C literal of a BITS constant, truncated to {@code dtype}'s width; written so no literal overflows. */
    static String bitsLiteral(long value, DType dtype) {
        if (dtype.byteSize() != 8) {
            int v = (int) value;
            return v == Integer.MIN_VALUE ? "(-2147483647 - 1)" : "(" + v + ")";
        }
        if (value == (int) value) {
            return "((q_i64) " + (int) value + ")";
        }
        return "((q_i64) (((q_u64) " + Integer.toUnsignedString((int) (value >>> 32)) + "u << 32) | (q_u64) "
                + Integer.toUnsignedString((int) value) + "u))";
    }

    private static final class Writer extends StatementWriter {
        Writer(DType dtype, List<String> inputNames, StringBuilder out, String indent) {
            super(dtype, inputNames, out, indent);
        }

        @Override
        String declaration(Expr.Type type) {
            return cType(type, dtype);
        }

        /** Integer VALUEs and all BITS wrap: C's signed overflow is undefined, its unsigned arithmetic wraps. */
        private boolean wraps(Expr.Type type) {
            return type == Expr.Type.BITS || (type == Expr.Type.VALUE && !dtype.isFloating());
        }

        private String wrapped(String a, String operator, String b, Expr.Type type) {
            String u = unsignedType(type, dtype);
            return "(" + cType(type, dtype) + ") ((" + u + ") " + a + " " + operator + " (" + u + ") " + b + ")";
        }

        @Override
        String expression(Expr node) {
            return switch (node) {
                case Expr.Input in -> in.type() == Expr.Type.MASK ? "(" + inputNames.get(in.index()) + " != 0)"
                        : inputNames.get(in.index());
                case Expr.Constant c -> valueLiteral(c.value(), dtype);
                case Expr.BitsConstant c -> bitsLiteral(c.value(), dtype);
                case Expr.Unary u -> {
                    String x = name(u.x());
                    yield switch (u.op()) {
                        case NEG -> wraps(u.type()) ? wrapped("0", "-", x, u.type()) : "-" + x;
                        case ABS -> wraps(u.type()) ? "(" + x + " < 0 ? " + wrapped("0", "-", x, u.type()) + " : "
                                + x + ")" : "fabs(" + x + ")";
                        case SQRT -> "sqrt(" + x + ")";
                        case NOT -> u.type() == Expr.Type.MASK ? "!" + x : "~" + x;
                    };
                }
                case Expr.Binary b -> binary(b, name(b.a()), name(b.b()));
                case Expr.Fma f -> "fma(" + name(f.a()) + ", " + name(f.b()) + ", " + name(f.c()) + ")";
                case Expr.Compare c -> {
                    String a = name(c.a());
                    String b = name(c.b());
                    yield "(" + a + switch (c.op()) {
                        case LT -> " < ";
                        case LE -> " <= ";
                        case GT -> " > ";
                        case GE -> " >= ";
                        case EQ -> " == ";
                        case NE -> " != ";
                    } + b + ")";
                }
                case Expr.Select s -> name(s.mask()) + " ? " + name(s.ifTrue()) + " : " + name(s.ifFalse());
                case Expr.Reinterpret r -> {
                    String x = name(r.x());
                    if (!dtype.isFloating()) {
                        yield x;
                    }
                    String suffix = dtype == DType.FLOAT32 ? "f32" : "f64";
                    yield (r.x().type() == Expr.Type.VALUE ? "q_bits_" : "q_value_") + suffix + "(" + x + ")";
                }
                case Expr.Convert c -> "(" + cType(Expr.Type.VALUE, dtype) + ") " + name(c.x());
            };
        }

        private String binary(Expr.Binary node, String a, String b) {
            Expr.Type type = node.type();
            int width = dtype.byteSize() == 8 ? 63 : 31;
            return switch (node.op()) {
                case ADD -> wraps(type) ? wrapped(a, "+", b, type) : a + " + " + b;
                case SUB -> wraps(type) ? wrapped(a, "-", b, type) : a + " - " + b;
                case MUL -> wraps(type) ? wrapped(a, "*", b, type) : a + " * " + b;
                case DIV -> dtype.isFloating() ? a + " / " + b
                        : "q_div_" + ElementwiseKernels.typeName(dtype) + "(" + a + ", " + b + ", status)";
                case MIN -> minMax(a, b, "<", "|");
                case MAX -> minMax(a, b, ">", "&");
                case AND -> a + " & " + b;
                case OR -> a + " | " + b;
                case XOR -> a + " ^ " + b;
                case SHL -> wrapped(a, "<<", "(" + b + " & " + width + ")", type);
                case SHR -> a + " >> (" + b + " & " + width + ")";
                case USHR -> wrapped(a, ">>", "(" + b + " & " + width + ")", type);
            };
        }

        /**
         * Math.min/max: a NaN operand is the result (the first one), and of two equal operands the bits are OR-ed
         * (min: {@code -0.0} wins) or AND-ed (max: {@code +0.0} wins); equal non-zero operands have equal bits.
         */
        private String minMax(String a, String b, String pick, String zeroBits) {
            if (!dtype.isFloating()) {
                return "(" + a + " " + pick + " " + b + " ? " + a + " : " + b + ")";
            }
            String suffix = dtype == DType.FLOAT32 ? "f32" : "f64";
            return "(" + a + " != " + a + " ? " + a + " : " + b + " != " + b + " ? " + b + " : " + a + " == " + b
                    + " ? q_value_" + suffix + "(q_bits_" + suffix + "(" + a + ") " + zeroBits + " q_bits_" + suffix
                    + "(" + b + ")) : " + a + " " + pick + " " + b + " ? " + a + " : " + b + ")";
        }
    }
}
