package dev.quiver;

import dev.quiver.spi.Primitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One Jacobian-vector (forward-mode) rule per primitive, for {@link ForwardAccumulator}: given a recorded node and one
 * tangent per input ({@code null} where the input carries none), the tangent of its output. Written with
 * {@link Tensor} ops, like the gradient rules, so that a tape or an outer accumulator records them (higher orders).
 *
 * <p>Elementwise primitives (unary, binary, where) take their JVP from their gradient rule: broadcasting is a
 * separate EXPAND node, so each operand's Jacobian is diagonal, {@code J = Jᵀ}, and the gradient rule applied to a
 * tangent is that operand's JVP; the operands' JVPs add. Any elementwise primitive with a gradient rule so has
 * forward mode without a second formula. Reductions, matmul, casts and movement, whose Jacobians are not
 * symmetric, have their own line in the table below. Any other primitive is an error naming it.
 *
 * <pre>{@code
 * // SUM: the tangent reduced over the same axes
 * RULES.put(Primitive.SUM, (node, t) -> t[0].sum(GradientRules.reduceAxes(node).axes(), true).reshape(shape));
 * }</pre>
 */
final class JvpRules {
    @FunctionalInterface
    interface Rule {
        Tensor jvp(Node node, Tensor[] tangents);
    }

    private static final Map<Primitive, Rule> RULES = new EnumMap<>(Primitive.class);

    static {
        // reductions: the tangent reduced like the primal; max/min weight it by the split of ties
        RULES.put(Primitive.SUM, (node, t) -> reduced(node, t[0]));
        RULES.put(Primitive.MAX, (node, t) -> reduced(node, GradientRules.extremumWeights(node).mul(t[0])));
        RULES.put(Primitive.MIN, (node, t) -> reduced(node, GradientRules.extremumWeights(node).mul(t[0])));
        // d(a b) = da b + a db
        RULES.put(Primitive.MATMUL, (node, t) -> {
            Tensor left = t[0] == null ? null : t[0].matmul(node.inputs()[1]);
            Tensor right = t[1] == null ? null : node.inputs()[0].matmul(t[1]);
            return left == null ? right : right == null ? left : left.add(right);
        });
        RULES.put(Primitive.CAST, (node, t) -> t[0].cast(node.output().dtype()));
        RULES.put(Primitive.COPY, (node, t) -> t[0]);
        // movement: the same move applied to the tangent
        RULES.put(Primitive.RESHAPE, (node, t) -> t[0].reshape(node.output().shape()));
        RULES.put(Primitive.PERMUTE, (node, t) -> t[0].transpose(GradientRules.permutation(node)));
        RULES.put(Primitive.EXPAND, (node, t) -> t[0].broadcastTo(node.output().shape()));
        RULES.put(Primitive.SLICE, (node, t) ->
                t[0].slice(GradientRules.sliceBounds(node).begin(), node.output().shape().dims()));
        RULES.put(Primitive.PAD, (node, t) -> Ops.pad(t[0], GradientRules.sliceBounds(node)));
        RULES.put(Primitive.REVERSE, (node, t) -> Ops.reverse(t[0], GradientRules.reversedAxes(node)));
        // gather and scatter-add are linear in their values; the indices carry no tangent
        RULES.put(Primitive.GATHER, (node, t) -> Ops.gather(t[0], node.inputs()[1], GradientRules.indexAxis(node)));
        RULES.put(Primitive.SCATTER_ADD, (node, t) -> Ops.scatterAdd(t[0], node.inputs()[1], node.output().shape(),
                GradientRules.indexAxis(node)));
        RULES.put(Primitive.CONCAT, (node, t) -> {
            List<Tensor> parts = new ArrayList<>(t.length);
            for (int i = 0; i < t.length; i++) {
                parts.add(t[i] != null ? t[i] : Tensor.zerosLike(node.inputs()[i]));
            }
            return Tensor.concat(parts, GradientRules.concatAxis(node));
        });
    }

    private JvpRules() {
    }

    /** The tangent of {@code node}'s output given its inputs' tangents (at least one not null). */
    static Tensor jvp(Node node, Tensor[] tangents) {
        if (node.attributes() instanceof Node.CustomBackward custom) {
            return transposed(node, custom, tangents);
        }
        if (isElementwise(node.op())) {
            return elementwise(node, tangents);
        }
        Rule rule = RULES.get(node.op());
        if (rule == null) {
            throw missingRule(node);
        }
        return rule.jvp(node, tangents);
    }

    /** Whether forward mode covers {@code op} (for the completeness test). */
    static boolean covers(Primitive op) {
        return isElementwise(op) ? GradientRules.hasRule(op) || GradientRules.NOT_DIFFERENTIABLE.contains(op)
                : RULES.containsKey(op);
    }

    /** The error for a primitive forward mode does not cover: names it, its operands and what to use instead. */
    static IllegalStateException missingRule(Node node) {
        Tensor first = node.inputs()[0];
        return Errors.state("ForwardAccumulator", first.backend(), "no JVP (forward-mode) rule for "
                + node.name() + " (inputs " + Arrays.toString(Arrays.stream(node.inputs())
                .map(input -> input.dtype() + " " + input.shape()).toArray()) + "); forward mode covers the "
                + "elementwise, reduction, matmul, cast and movement primitives; take this derivative with "
                + "GradientTape.jacobian instead");
    }

    private static boolean isElementwise(Primitive op) {
        Primitive.Kind kind = op.kind();
        return kind == Primitive.Kind.UNARY || kind == Primitive.Kind.BINARY || kind == Primitive.Kind.WHERE;
    }

    /** Elementwise: each operand's gradient rule applied to its tangent (diagonal Jacobians), summed. */
    private static Tensor elementwise(Node node, Tensor[] tangents) {
        Tensor result = null;
        for (int i = 0; i < tangents.length; i++) {
            if (tangents[i] == null) {
                continue;
            }
            boolean[] only = new boolean[tangents.length];
            only[i] = true;
            Tensor part = GradientRules.backward(node, tangents[i], only)[i];
            if (part != null) { // null: the op is flat in this operand (sign, a where's condition)
                result = result == null ? part : result.add(part);
            }
        }
        return result != null ? result : Tensor.zerosLike(node.output());
    }

    /** A reduction's tangent: {@code t} reduced over the node's axes, in the output's shape. */
    private static Tensor reduced(Node node, Tensor t) {
        return t.sum(GradientRules.reduceAxes(node).axes(), true).reshape(node.output().shape());
    }

    /**
     * A {@link GradientTape#customGradient} node has only the user's backward function {@code u -> Jᵀu}; its JVP is
     * the transpose of that linear map, {@code J t = d/du <Jᵀu, t>}, taken by a tape around the backward function
     * (TensorFlow's forward accumulator does the same). It needs the backward function to be made of Tensor ops
     * on its upstream gradient, as second derivatives through it do.
     */
    private static Tensor transposed(Node node, Node.CustomBackward custom, Tensor[] tangents) {
        Tensor upstream = Tensor.zerosLike(node.output());
        try (GradientTape tape = new GradientTape()) {
            tape.watch(upstream);
            boolean[] needed = new boolean[tangents.length];
            for (int i = 0; i < tangents.length; i++) {
                needed[i] = tangents[i] != null;
            }
            Tensor[] vjps = GradientRules.backward(node, upstream, needed);
            Tensor pairing = null;
            for (int i = 0; i < tangents.length; i++) {
                if (tangents[i] != null && vjps[i] != null) {
                    Tensor term = vjps[i].mul(tangents[i]).sum();
                    pairing = pairing == null ? term : pairing.add(term);
                }
            }
            if (pairing == null) {
                return Tensor.zerosLike(node.output());
            }
            return tape.gradient(pairing, upstream, GradientTape.Unconnected.ZERO);
        }
    }
}
