package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import java.util.List;

/**
 * Renders an {@link Expr} as Java Vector API code for float32 or float64: one {@code final} vector local per node,
 * in the same post-order as {@link JavaScalarRenderer} (its scalar twin) and {@link CRenderer}. Every operator is a
 * constant in the source, which is what lets C2 compile it to SIMD instructions (an interpreter of the tree, with
 * the operator in a variable, would run on boxed vectors).
 *
 * <p>The rendered code expects two species in scope: {@code S} for VALUEs ({@code VectorSpecies<Float>}) and
 * {@code SB} for BITS ({@code VectorSpecies<Integer>} of the same shape, so lanes line up). A VALUE is a
 * {@code FloatVector}, BITS an {@code IntVector} ({@code DoubleVector}/{@code LongVector} for float64), a MASK a
 * {@code VectorMask<Float>}. Each lane computes what {@link JavaScalarRenderer}'s code computes for that element:
 * the Vector API's add/sub/mul/div/sqrt/fma round as Java's operators and {@link Math#fma} do, and its min/max
 * follow {@link Math#min}/{@link Math#max}.
 *
 * <pre>{@code
 * StringBuilder out = new StringBuilder();
 * String result = VectorRenderer.statements(x.mul(y).add(x), DType.FLOAT32, List.of("x0", "x1"), out, "    ");
 * // final FloatVector t0 = x0.mul(x1);  final FloatVector t1 = t0.add(x0);   result "t1"
 * }</pre>
 */
public final class VectorRenderer {
    private VectorRenderer() {
    }

    /**
     * Appends one statement per node of {@code root} to {@code out} and returns the Java expression of the result.
     * {@code dtype} is FLOAT32 or FLOAT64; input names are vector (VALUE) or mask (MASK) locals.
     */
    public static String statements(Expr root, DType dtype, List<String> inputNames, StringBuilder out,
                                    String indent) {
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException("kernels: the Vector API rendering is for float32 and float64, not "
                    + dtype);
        }
        return new Writer(dtype, inputNames, out, indent).name(root);
    }

    /** The Java type of a node type: {@code FloatVector}, {@code IntVector}, {@code VectorMask<Float>}. */
    public static String vectorType(Expr.Type type, DType dtype) {
        boolean single = dtype == DType.FLOAT32;
        return switch (type) {
            case VALUE -> single ? "FloatVector" : "DoubleVector";
            case BITS -> single ? "IntVector" : "LongVector";
            case MASK -> single ? "VectorMask<Float>" : "VectorMask<Double>";
        };
    }

    private static final class Writer extends StatementWriter {
        Writer(DType dtype, List<String> inputNames, StringBuilder out, String indent) {
            super(dtype, inputNames, out, indent);
        }

        @Override
        String declaration(Expr.Type type) {
            return "final " + vectorType(type, dtype);
        }

        /** Constants are broadcast vectors: one local each (C2 hoists them out of the loop). */
        @Override
        boolean inline(Expr node) {
            return node instanceof Expr.Input;
        }

        private String operator(String name) {
            return "VectorOperators." + name;
        }

        @Override
        String expression(Expr node) {
            return switch (node) {
                case Expr.Input in -> inputNames.get(in.index());
                case Expr.Constant c -> vectorType(Expr.Type.VALUE, dtype) + ".broadcast(S, "
                        + JavaScalarRenderer.valueLiteral(c.value(), dtype) + ")";
                case Expr.BitsConstant c -> vectorType(Expr.Type.BITS, dtype) + ".broadcast(SB, "
                        + JavaScalarRenderer.bitsLiteral(c.value(), dtype) + ")";
                case Expr.Unary u -> {
                    String x = name(u.x());
                    yield x + switch (u.op()) {
                        case NEG -> ".neg()";
                        case ABS -> ".abs()";
                        case SQRT -> ".sqrt()";
                        case NOT -> ".not()";
                    };
                }
                case Expr.Binary b -> {
                    String a = name(b.a());
                    // a constant shift count stays a scalar: the Vector API then emits an immediate shift
                    boolean shift = b.op() == Expr.BinaryOp.SHL || b.op() == Expr.BinaryOp.SHR
                            || b.op() == Expr.BinaryOp.USHR;
                    String c = shift && b.b() instanceof Expr.BitsConstant count
                            ? JavaScalarRenderer.bitsLiteral(count.value(), dtype) : name(b.b());
                    boolean mask = b.type() == Expr.Type.MASK;
                    yield a + switch (b.op()) {
                        case ADD -> ".add(" + c + ")";
                        case SUB -> ".sub(" + c + ")";
                        case MUL -> ".mul(" + c + ")";
                        case DIV -> ".div(" + c + ")";
                        case MIN -> ".min(" + c + ")";
                        case MAX -> ".max(" + c + ")";
                        case AND -> ".and(" + c + ")";
                        case OR -> ".or(" + c + ")";
                        case XOR -> mask ? ".xor(" + c + ")" : ".lanewise(" + operator("XOR") + ", " + c + ")";
                        case SHL -> ".lanewise(" + operator("LSHL") + ", " + c + ")";
                        case SHR -> ".lanewise(" + operator("ASHR") + ", " + c + ")";
                        case USHR -> ".lanewise(" + operator("LSHR") + ", " + c + ")";
                    };
                }
                case Expr.Fma f -> name(f.a()) + ".fma(" + name(f.b()) + ", " + name(f.c()) + ")";
                case Expr.Compare c -> {
                    String a = name(c.a());
                    String b = name(c.b());
                    // a comparison of BITS gives a mask of int lanes: cast to the VALUE species' mask (same lanes)
                    String cast = c.a().type() == Expr.Type.BITS ? ".cast(S)" : "";
                    yield a + ".compare(" + operator(c.op().name()) + ", " + b + ")" + cast;
                }
                case Expr.Select s -> {
                    String m = name(s.mask());
                    String t = name(s.ifTrue());
                    String f = name(s.ifFalse());
                    yield switch (s.type()) {
                        case VALUE -> f + ".blend(" + t + ", " + m + ")";
                        case BITS -> f + ".blend(" + t + ", " + m + ".cast(SB))";
                        case MASK -> m + ".and(" + t + ").or(" + f + ".andNot(" + m + "))";
                    };
                }
                case Expr.Reinterpret r -> name(r.x())
                        + (r.x().type() == Expr.Type.VALUE ? ".viewAsIntegralLanes()" : ".viewAsFloatingLanes()");
                case Expr.Convert c -> "(" + vectorType(Expr.Type.VALUE, dtype) + ") " + name(c.x()) + ".convert("
                        + operator(dtype == DType.FLOAT32 ? "I2F" : "L2D") + ", 0)";
            };
        }
    }
}
