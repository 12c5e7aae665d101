package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import java.util.List;

/**
 * Renders an {@link Expr} as plain scalar Java: one {@code final} local per node, in post-order, each node
 * computed once (shared nodes by identity). This is the scalar twin of every generated SIMD kernel and the
 * reference the formula tests compile; its statements mirror the C and Vector API renderings node for node.
 *
 * <pre>{@code
 * Expr x = Expr.input(0);
 * String source = JavaScalarRenderer.method("twice", x.add(x), DType.FLOAT32, 1);
 * // static float twice(float x0) { final float t0 = x0 + x0; return t0; }   (formatted over lines)
 * }</pre>
 */
public final class JavaScalarRenderer {
    private JavaScalarRenderer() {
    }

    /**
     * A {@code static} method {@code name(x0, x1, ...)} of {@code arity} inputs returning {@code root}; an input
     * that the formula reads as a MASK is a {@code boolean} parameter, the others are of {@code dtype}.
     */
    public static String method(String name, Expr root, DType dtype, int arity) {
        boolean[] masks = StatementWriter.maskInputs(root, arity);
        StringBuilder source = new StringBuilder("static ").append(javaType(root.type(), dtype)).append(' ')
                .append(name).append('(');
        for (int i = 0; i < arity; i++) {
            source.append(i == 0 ? "" : ", ").append(masks[i] ? "boolean" : javaType(Expr.Type.VALUE, dtype))
                    .append(" x").append(i);
        }
        source.append(") {\n");
        String result = statements(root, dtype, inputNames(arity), source, "    ");
        return source.append("    return ").append(result).append(";\n}\n").toString();
    }

    private static List<String> inputNames(int arity) {
        return java.util.stream.IntStream.range(0, arity).mapToObj(i -> "x" + i).toList();
    }

    /**
     * Appends one statement per node of {@code root} to {@code out} (each line starting with {@code indent}) and
     * returns the Java expression of the result (a local's name, or an input's).
     */
    public static String statements(Expr root, DType dtype, List<String> inputNames, StringBuilder out,
                                     String indent) {
        return new Writer(dtype, inputNames, out, indent).name(root);
    }

    /** The Java type of a node type under operand dtype {@code dtype}. */
    public static String javaType(Expr.Type type, DType dtype) {
        return switch (type) {
            case MASK -> "boolean";
            case BITS -> dtype.byteSize() == 8 ? "long" : "int";
            case VALUE -> switch (dtype) {
                case FLOAT32 -> "float";
                case FLOAT64 -> "double";
                case INT32 -> "int";
                case INT64 -> "long";
                case BOOL -> "boolean";
            };
        };
    }

    /** A Java literal of a VALUE constant rounded to {@code dtype} (hex floats: exact, no decimal parsing). */
    public static String valueLiteral(double value, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> {
                float f = (float) value;
                yield Float.isNaN(f) ? "Float.NaN" : Float.isInfinite(f)
                        ? (f > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY")
                        : "(" + Float.toHexString(f) + "f)";
            }
            case FLOAT64 -> Double.isNaN(value) ? "Double.NaN" : Double.isInfinite(value)
                    ? (value > 0 ? "Double.POSITIVE_INFINITY" : "Double.NEGATIVE_INFINITY")
                    : "(" + Double.toHexString(value) + ")";
            case INT32 -> "(" + (int) value + ")";
            case INT64 -> "(" + (long) value + "L)";
            case BOOL -> value != 0 ? "true" : "false";
        };
    }

    /** A Java literal of a BITS constant under {@code dtype}. */
    public static String bitsLiteral(long value, DType dtype) {
        return dtype.byteSize() == 8 ? "(" + value + "L)" : "(" + (int) value + ")";
    }

    private static final class Writer extends StatementWriter {
        Writer(DType dtype, List<String> inputNames, StringBuilder out, String indent) {
            super(dtype, inputNames, out, indent);
        }

        @Override
        String declaration(Expr.Type type) {
            return "final " + javaType(type, dtype);
        }

        private boolean floating() {
            return dtype.isFloating();
        }

        @Override
        String expression(Expr node) {
            return switch (node) {
                case Expr.Input in -> inputNames.get(in.index());
                case Expr.Constant c -> valueLiteral(c.value(), dtype);
                case Expr.BitsConstant c -> bitsLiteral(c.value(), dtype);
                case Expr.Unary u -> {
                    String x = name(u.x());
                    yield switch (u.op()) {
                        case NEG -> "-" + x;
                        case ABS -> "Math.abs(" + x + ")";
                        case SQRT -> dtype == DType.FLOAT32 ? "(float) Math.sqrt(" + x + ")" : "Math.sqrt(" + x + ")";
                        case NOT -> (u.type() == Expr.Type.MASK ? "!" : "~") + x;
                    };
                }
                case Expr.Binary b -> {
                    String a = name(b.a());
                    String c = name(b.b());
                    String cast = b.type() == Expr.Type.MASK ? "" : "(" + javaType(b.type(), dtype) + ") ";
                    yield switch (b.op()) {
                        case ADD -> a + " + " + c;
                        case SUB -> a + " - " + c;
                        case MUL -> a + " * " + c;
                        case DIV -> a + " / " + c;
                        case MIN -> "Math.min(" + a + ", " + c + ")";
                        case MAX -> "Math.max(" + a + ", " + c + ")";
                        case AND -> a + " & " + c;
                        case OR -> a + " | " + c;
                        case XOR -> a + " ^ " + c;
                        case SHL -> cast + "(" + a + " << " + c + ")";
                        case SHR -> cast + "(" + a + " >> " + c + ")";
                        case USHR -> cast + "(" + a + " >>> " + c + ")";
                    };
                }
                case Expr.Fma f -> "Math.fma(" + name(f.a()) + ", " + name(f.b()) + ", " + name(f.c()) + ")";
                case Expr.Compare c -> {
                    String a = name(c.a());
                    String b = name(c.b());
                    yield switch (c.op()) {
                        case LT -> a + " < " + b;
                        case LE -> a + " <= " + b;
                        case GT -> a + " > " + b;
                        case GE -> a + " >= " + b;
                        case EQ -> a + " == " + b;
                        case NE -> a + " != " + b;
                    };
                }
                case Expr.Select s -> name(s.mask()) + " ? " + name(s.ifTrue()) + " : " + name(s.ifFalse());
                case Expr.Reinterpret r -> {
                    String x = name(r.x());
                    if (!floating()) {
                        yield x;
                    }
                    boolean toBits = r.x().type() == Expr.Type.VALUE;
                    yield dtype == DType.FLOAT32
                            ? (toBits ? "Float.floatToRawIntBits(" : "Float.intBitsToFloat(") + x + ")"
                            : (toBits ? "Double.doubleToRawLongBits(" : "Double.longBitsToDouble(") + x + ")";
                }
                case Expr.Convert c -> "(" + javaType(Expr.Type.VALUE, dtype) + ") " + name(c.x());
            };
        }
    }
}
