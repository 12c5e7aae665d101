package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every formula renderer shares: one statement per node, in post-order, each node computed once (nodes are
 * keyed by identity, so a shared sub-expression is one local); inputs and constants are written in place. A
 * renderer supplies a node's type and its expression over its operands' names.
 */
abstract class StatementWriter {
    /** The operand dtype the formula is rendered for. */
    final DType dtype;
    /** What input {@code i} is called (a local, a parameter or an expression). */
    final List<String> inputNames;
    private final StringBuilder out;
    private final String indent;
    private final Map<Expr, String> names = new IdentityHashMap<>();

    StatementWriter(DType dtype, List<String> inputNames, StringBuilder out, String indent) {
        this.dtype = dtype;
        this.inputNames = inputNames;
        this.out = out;
        this.indent = indent;
    }

    /** The name of {@code node}'s value, writing its statement (and its operands') on first use. */
    final String name(Expr node) {
        String known = names.get(node);
        if (known != null) {
            return known;
        }
        String expression = expression(node);
        String name;
        if (inline(node)) {
            name = expression;
        } else {
            name = "t" + names.size();
            out.append(indent).append(declaration(node.type())).append(' ').append(name).append(" = ")
                    .append(expression).append(";\n");
        }
        names.put(node, name);
        return name;
    }

    /** Inputs and constants are written where they are used. */
    boolean inline(Expr node) {
        return node instanceof Expr.Input || node instanceof Expr.Constant || node instanceof Expr.BitsConstant;
    }

    /** The declaration of a local of {@code type}: {@code final float}, {@code q_f32}. */
    abstract String declaration(Expr.Type type);

    /** The expression of {@code node}, naming its operands through {@link #name}. */
    abstract String expression(Expr node);

    /** A node's operands, in the order every renderer visits them. */
    static List<Expr> operands(Expr node) {
        return switch (node) {
            case Expr.Input in -> List.of();
            case Expr.Constant c -> List.of();
            case Expr.BitsConstant c -> List.of();
            case Expr.Unary u -> List.of(u.x());
            case Expr.Binary b -> List.of(b.a(), b.b());
            case Expr.Fma f -> List.of(f.a(), f.b(), f.c());
            case Expr.Compare c -> List.of(c.a(), c.b());
            case Expr.Select s -> List.of(s.mask(), s.ifTrue(), s.ifFalse());
            case Expr.Reinterpret r -> List.of(r.x());
            case Expr.Convert c -> List.of(c.x());
        };
    }

    /** Which of an op's {@code arity} inputs {@code root} reads as MASKs (bool tensors). */
    static boolean[] maskInputs(Expr root, int arity) {
        boolean[] masks = new boolean[arity];
        for (Expr node : postOrder(root)) {
            if (node instanceof Expr.Input in) {
                if (in.index() >= arity) {
                    throw new IllegalArgumentException("expr: input " + in.index() + " of an op with " + arity
                            + " inputs");
                }
                masks[in.index()] |= in.type() == Expr.Type.MASK;
            }
        }
        return masks;
    }

    /** Every node of {@code root} once, operands first. */
    static List<Expr> postOrder(Expr root) {
        List<Expr> order = new java.util.ArrayList<>();
        visit(root, new IdentityHashMap<>(), order);
        return order;
    }

    private static void visit(Expr node, Map<Expr, Boolean> seen, List<Expr> order) {
        if (seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        for (Expr operand : operands(node)) {
            visit(operand, seen, order);
        }
        order.add(node);
    }
}
