package dev.quiver;

import dev.quiver.spi.Primitive;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * One vector-Jacobian rule per differentiable {@link Primitive}, written with {@link Tensor} ops so that it runs
 * on every backend and can itself be recorded by an outer tape (second derivatives). A rule receives the node,
 * the upstream gradient {@code g} (shaped like the output) and which inputs need a gradient, and returns one
 * gradient per input, shaped like that input ({@code null} where not needed).
 */
final class GradientRules {
    @FunctionalInterface
    interface Rule {
        Tensor[] backward(Node node, Tensor g, boolean[] needed);
    }

    private static final Map<Primitive, Rule> RULES = new EnumMap<>(Primitive.class);

    /** Primitives whose gradient is zero or undefined everywhere; the tape stops at them. */
    static final Set<Primitive> NOT_DIFFERENTIABLE = EnumSet.of(Primitive.SIGN, Primitive.LOGICAL_NOT,
            Primitive.LESS, Primitive.LESS_EQUAL, Primitive.GREATER, Primitive.GREATER_EQUAL, Primitive.EQUAL,
            Primitive.NOT_EQUAL, Primitive.LOGICAL_AND, Primitive.LOGICAL_OR,
            // TensorFlow registers None for these: piecewise constant
            Primitive.FLOOR, Primitive.CEIL, Primitive.ROUND, Primitive.FLOOR_DIV);

    static {
        // unary: x = input 0, y = output
        unary(Primitive.NEG, (x, y, g) -> g.neg());
        unary(Primitive.ABS, (x, y, g) -> g.mul(x.sign()));
        unary(Primitive.EXP, (x, y, g) -> g.mul(y));
        unary(Primitive.LOG, (x, y, g) -> g.div(x));
        unary(Primitive.SQRT, (x, y, g) -> g.div(y.mul(2.0)));
        unary(Primitive.SIN, (x, y, g) -> g.mul(x.cos()));
        unary(Primitive.COS, (x, y, g) -> g.mul(x.sin()).neg());
        unary(Primitive.TANH, (x, y, g) -> g.mul(y.square().neg().add(1.0)));
        unary(Primitive.ERF, (x, y, g) -> g.mul(x.square().neg().exp().mul(2 / Math.sqrt(Math.PI))));
        unary(Primitive.LOG1P, (x, y, g) -> g.div(x.add(1.0)));
        unary(Primitive.EXPM1, (x, y, g) -> g.mul(y.add(1.0)));
        unary(Primitive.SOFTPLUS, (x, y, g) -> g.mul(x.sigmoid()));
        unary(Primitive.TAN, (x, y, g) -> g.mul(y.square().add(1.0)));
        unary(Primitive.ATAN, (x, y, g) -> g.div(x.square().add(1.0)));

        // binary: a, b = inputs (same shape: broadcasting was recorded as EXPAND), y = output
        binary(Primitive.ADD, (a, b, y, g) -> g, (a, b, y, g) -> g);
        binary(Primitive.SUB, (a, b, y, g) -> g, (a, b, y, g) -> g.neg());
        binary(Primitive.MUL, (a, b, y, g) -> g.mul(b), (a, b, y, g) -> g.mul(a));
        binary(Primitive.DIV, (a, b, y, g) -> g.div(b), (a, b, y, g) -> g.mul(a).div(b.square()).neg());
        binary(Primitive.POW,
                (a, b, y, g) -> g.mul(b).mul(a.pow(b.sub(1.0))),
                // d/db a^b = a^b ln a, taken as 0 where a <= 0 (as TensorFlow does) to avoid NaN from ln
                (a, b, y, g) -> {
                    Tensor positive = a.greater(0.0);
                    Tensor safeLog = Tensor.where(positive, a, Tensor.onesLike(a)).log();
                    return Tensor.where(positive, g.mul(y).mul(safeLog), Tensor.zerosLike(g));
                });
        // ties send the whole gradient to the first operand, as TensorFlow's maximum/minimum do
        binary(Primitive.MAXIMUM,
                (a, b, y, g) -> Tensor.where(a.greaterEqual(b), g, Tensor.zerosLike(g)),
                (a, b, y, g) -> Tensor.where(a.greaterEqual(b), Tensor.zerosLike(g), g));
        // TensorFlow's FloorMod gradient: x - floor(x / y) y
        binary(Primitive.MOD, (a, b, y, g) -> g, (a, b, y, g) -> g.mul(a.floorDiv(b)).neg());
        // TensorFlow's Atan2 gradient: (x, -y) / (x^2 + y^2) for atan2(y, x) = atan2(a, b)
        binary(Primitive.ATAN2,
                (a, b, y, g) -> g.mul(b).div(a.square().add(b.square())),
                (a, b, y, g) -> g.mul(a).div(a.square().add(b.square())).neg());
        binary(Primitive.MINIMUM,
                (a, b, y, g) -> Tensor.where(a.lessEqual(b), g, Tensor.zerosLike(g)),
                (a, b, y, g) -> Tensor.where(a.lessEqual(b), Tensor.zerosLike(g), g));

        RULES.put(Primitive.WHERE, (node, g, needed) -> {
            Tensor condition = node.inputs()[0];
            Tensor zeros = Tensor.zerosLike(g);
            return new Tensor[] {null,
                    needed[1] ? Tensor.where(condition, g, zeros) : null,
                    needed[2] ? Tensor.where(condition, zeros, g) : null};
        });

        // reductions: the output gradient, reshaped with the reduced axes kept, broadcast back over them
        RULES.put(Primitive.SUM, (node, g, needed) -> new Tensor[] {spread(node, g)});
        RULES.put(Primitive.MAX, GradientRules::extremum);
        RULES.put(Primitive.MIN, GradientRules::extremum);

        RULES.put(Primitive.MATMUL, (node, g, needed) -> {
            Tensor a = node.inputs()[0];
            Tensor b = node.inputs()[1];
            return new Tensor[] {
                    needed[0] ? sumToShape(g.matmul(swapLastTwo(b)), a.shape()) : null,
                    needed[1] ? sumToShape(swapLastTwo(a).matmul(g), b.shape()) : null};
        });

        RULES.put(Primitive.CAST, (node, g, needed) -> new Tensor[] {g.cast(node.inputs()[0].dtype())});
        RULES.put(Primitive.COPY, (node, g, needed) -> new Tensor[] {g});
        RULES.put(Primitive.RESHAPE, (node, g, needed) -> new Tensor[] {g.reshape(sourceShape(node))});
        RULES.put(Primitive.PERMUTE, (node, g, needed) -> {
            int[] permutation = permutation(node);
            int[] inverse = new int[permutation.length];
            for (int i = 0; i < permutation.length; i++) {
                inverse[permutation[i]] = i;
            }
            return new Tensor[] {g.transpose(inverse)};
        });
        RULES.put(Primitive.EXPAND, (node, g, needed) -> new Tensor[] {sumToShape(g, sourceShape(node))});
        RULES.put(Primitive.SLICE, (node, g, needed) ->
                new Tensor[] {Ops.pad(g, sliceBounds(node))});
        RULES.put(Primitive.PAD, (node, g, needed) -> {
            Node.SliceBounds bounds = sliceBounds(node);
            return new Tensor[] {g.slice(bounds.begin(), node.inputs()[0].shape().dims())};
        });
        RULES.put(Primitive.REVERSE, (node, g, needed) -> new Tensor[] {g.reverse(reversedAxes(node))});
        // gather's gradient is TensorFlow's IndexedSlices densified: g's rows added back where they were read
        RULES.put(Primitive.GATHER, (node, g, needed) -> new Tensor[] {
                Ops.scatterAdd(g, node.inputs()[1], node.inputs()[0].shape(), indexAxis(node)), null});
        RULES.put(Primitive.SCATTER_ADD, (node, g, needed) -> new Tensor[] {
                Ops.gather(g, node.inputs()[1], indexAxis(node)), null});
        RULES.put(Primitive.CONCAT, (node, g, needed) -> {
            int axis = concatAxis(node);
            Tensor[] grads = new Tensor[node.inputs().length];
            int start = 0;
            for (int i = 0; i < grads.length; i++) {
                int extent = node.inputs()[i].shape().dim(axis);
                grads[i] = needed[i] ? g.slice(axis, start, start + extent) : null;
                start += extent;
            }
            return grads;
        });
    }

    private GradientRules() {
    }

    /** The input gradients of {@code node} given the upstream gradient {@code g}. */
    static Tensor[] backward(Node node, Tensor g, boolean[] needed) {
        if (node.attributes() instanceof Node.CustomBackward custom) {
            return customBackward(node, custom, g, needed);
        }
        Rule rule = RULES.get(node.op());
        if (rule == null) {
            if (NOT_DIFFERENTIABLE.contains(node.op())) {
                return new Tensor[node.inputs().length];
            }
            throw new IllegalStateException("no gradient rule for " + node.op().opName());
        }
        return rule.backward(node, g, needed);
    }

    /**
     * A {@link GradientTape#customGradient} node: the user's backward function in place of a rule, its answer
     * checked (one gradient per input, each of its input's shape and dtype), since a wrong one would otherwise
     * surface far away, in an optimizer or an unrelated add.
     */
    private static Tensor[] customBackward(Node node, Node.CustomBackward custom, Tensor g, boolean[] needed) {
        Tensor[] inputs = node.inputs();
        java.util.List<Tensor> grads = custom.backward().apply(g);
        if (grads == null || grads.size() != inputs.length) {
            throw Errors.state("customGradient", g.backend(), "the backward function returned "
                    + (grads == null ? "null" : grads.size() + " gradients") + " for " + inputs.length
                    + " inputs of shapes " + java.util.Arrays.toString(java.util.Arrays.stream(inputs)
                    .map(Tensor::shape).toArray()) + "; return one per input (null for none)");
        }
        Tensor[] result = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor grad = grads.get(i);
            if (grad == null || !needed[i]) {
                continue;
            }
            if (!grad.shape().equals(inputs[i].shape()) || grad.dtype() != inputs[i].dtype()) {
                throw Errors.state("customGradient", g.backend(), "the backward function's gradient " + i + " is "
                        + grad.dtype() + " " + grad.shape() + ", but input " + i + " is " + inputs[i].dtype() + " "
                        + inputs[i].shape() + "; a gradient has its input's shape and dtype");
            }
            result[i] = grad;
        }
        return result;
    }

    /** Whether a rule exists (for the completeness test). */
    static boolean hasRule(Primitive op) {
        return RULES.containsKey(op);
    }

    // ---------------------------------------------------------------- helpers

    private interface UnaryRule {
        Tensor apply(Tensor x, Tensor y, Tensor g);
    }

    private interface BinaryRule {
        Tensor apply(Tensor a, Tensor b, Tensor y, Tensor g);
    }

    private static void unary(Primitive op, UnaryRule rule) {
        RULES.put(op, (node, g, needed) -> new Tensor[] {rule.apply(node.inputs()[0], node.output(), g)});
    }

    private static void binary(Primitive op, BinaryRule left, BinaryRule right) {
        RULES.put(op, (node, g, needed) -> {
            Tensor a = node.inputs()[0];
            Tensor b = node.inputs()[1];
            return new Tensor[] {needed[0] ? left.apply(a, b, node.output(), g) : null,
                    needed[1] ? right.apply(a, b, node.output(), g) : null};
        });
    }

    // ---------------------------------------------------------------- attributes, by kind

    static Shape sourceShape(Node node) {
        if (node.attributes() instanceof Node.SourceShape(Shape shape)) {
            return shape;
        }
        throw wrongAttributes(node, Node.SourceShape.class);
    }

    static int[] permutation(Node node) {
        if (node.attributes() instanceof Node.Permutation(int[] axes)) {
            return axes;
        }
        throw wrongAttributes(node, Node.Permutation.class);
    }

    static Node.SliceBounds sliceBounds(Node node) {
        if (node.attributes() instanceof Node.SliceBounds bounds) {
            return bounds;
        }
        throw wrongAttributes(node, Node.SliceBounds.class);
    }

    static Node.ReduceAxes reduceAxes(Node node) {
        if (node.attributes() instanceof Node.ReduceAxes axes) {
            return axes;
        }
        throw wrongAttributes(node, Node.ReduceAxes.class);
    }

    static int[] reversedAxes(Node node) {
        if (node.attributes() instanceof Node.ReversedAxes(int[] axes)) {
            return axes;
        }
        throw wrongAttributes(node, Node.ReversedAxes.class);
    }

    static int indexAxis(Node node) {
        if (node.attributes() instanceof Node.IndexAxis(int axis)) {
            return axis;
        }
        throw wrongAttributes(node, Node.IndexAxis.class);
    }

    static int concatAxis(Node node) {
        if (node.attributes() instanceof Node.ConcatAxis(int axis)) {
            return axis;
        }
        throw wrongAttributes(node, Node.ConcatAxis.class);
    }

    /** A node recorded with the wrong kind of attributes: a bug in core's recording, named for the fix. */
    private static IllegalStateException wrongAttributes(Node node, Class<? extends Node.Attributes> expected) {
        return new IllegalStateException("gradient rule of " + node.op().opName() + " expects "
                + expected.getSimpleName() + " attributes, the tape recorded " + node.attributes());
    }

    /** The gradient of a reduction, broadcast back to the input's shape. */
    private static Tensor spread(Node node, Tensor g) {
        Node.ReduceAxes axes = reduceAxes(node);
        return g.reshape(axes.keptShape()).broadcastTo(node.inputs()[0].shape());
    }

    /** max/min: the gradient goes to the elements equal to the result, split evenly between ties. */
    private static Tensor[] extremum(Node node, Tensor g, boolean[] needed) {
        return new Tensor[] {extremumWeights(node).mul(spread(node, g))};
    }

    /**
     * How much each input element of a max/min node counts in its result: {@code 1 / ties} where it equals the
     * result, 0 elsewhere (shaped like the input). The gradient and the JVP share it, so they split ties alike.
     */
    static Tensor extremumWeights(Node node) {
        Node.ReduceAxes axes = reduceAxes(node);
        Tensor x = node.inputs()[0];
        Tensor hits = x.equal(node.output().reshape(axes.keptShape())).cast(x.dtype());
        return hits.div(hits.sum(axes.axes(), true));
    }

    /** Sums a broadcast gradient back to {@code shape}: over added leading axes and axes that were size 1. */
    static Tensor sumToShape(Tensor g, Shape shape) {
        if (g.shape().equals(shape)) {
            return g;
        }
        int extra = g.rank() - shape.rank();
        java.util.List<Integer> axes = new java.util.ArrayList<>();
        for (int i = 0; i < g.rank(); i++) {
            if (i < extra || (shape.dim(i - extra) == 1 && g.shape().dim(i) != 1)) {
                axes.add(i);
            }
        }
        Tensor summed = g.sum(axes.stream().mapToInt(Integer::intValue).toArray(), true);
        return summed.reshape(shape);
    }

    /** {@code x} with its last two axes swapped (a view): a matrix transpose over any batch dimensions. */
    static Tensor swapLastTwo(Tensor x) {
        int[] order = new int[x.rank()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        order[order.length - 1] = order.length - 2;
        order[order.length - 2] = order.length - 1;
        return x.transpose(order);
    }
}
