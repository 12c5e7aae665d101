package dev.quiver;

import dev.quiver.spi.Primitive;

/**
 * One recorded primitive application: what the tape needs to run the gradient rule later.
 *
 * <pre>{@code
 * // x.reshape(6) of an x of shape (2, 3), as the tape records it
 * new Node(Primitive.RESHAPE, new Tensor[] {x}, y, new Node.SourceShape(Shape.of(2, 3)));
 * }</pre>
 *
 * @param op         the primitive; {@code null} for a {@link GradientTape#customGradient} node, whose
 *                   {@link CustomBackward} attributes carry the user's backward function instead
 * @param inputs     the operands as the primitive saw them (after promotion and broadcasting)
 * @param output     the result
 * @param attributes what the rule needs besides the tensors (axes, the input shape, slice bounds); null for the
 *                   primitives that need nothing else (elementwise ops, matmul, cast, copy)
 */
record Node(Primitive op, Tensor[] inputs, Tensor output, Attributes attributes) {

    /** The name errors use: the primitive's, or {@code customGradient}. */
    String name() {
        return op == null ? "customGradient" : op.opName();
    }

    /**
     * What a gradient rule needs besides the tensors, one record per kind, so that a rule pattern-matches the kind
     * it expects instead of casting an {@code Object}.
     *
     * <pre>{@code
     * if (node.attributes() instanceof Node.SourceShape(Shape shape)) {
     *     return g.reshape(shape);
     * }
     * }</pre>
     */
    sealed interface Attributes permits SourceShape, Permutation, SliceBounds, ReduceAxes, ConcatAxis, ReversedAxes,
            IndexAxis, CustomBackward {
    }

    /** RESHAPE and EXPAND: the input's shape, which the gradient is brought back to. */
    record SourceShape(Shape shape) implements Attributes {
    }

    /** PERMUTE: output axis {@code i} is input axis {@code axes[i]}. */
    record Permutation(int[] axes) implements Attributes {
    }

    /** SLICE and PAD: the full (unsliced) shape and where the slice begins in it. */
    record SliceBounds(Shape full, int[] begin) implements Attributes {
    }

    /** SUM, MAX, MIN: which axes were reduced, and the input's shape with those axes kept as 1. */
    record ReduceAxes(int[] axes, Shape keptShape) implements Attributes {
    }

    /** CONCAT: the axis the inputs were joined along (normalized, {@code >= 0}). */
    record ConcatAxis(int axis) implements Attributes {
    }

    /** REVERSE: the axes that were reversed (normalized, {@code >= 0}). */
    record ReversedAxes(int[] axes) implements Attributes {
    }

    /** GATHER and SCATTER_ADD: the axis the indices pick along (normalized, {@code >= 0}). */
    record IndexAxis(int axis) implements Attributes {
    }

    /** A {@link GradientTape#customGradient} node: the user's backward function, which replaces a gradient rule. */
    record CustomBackward(java.util.function.Function<Tensor, java.util.List<Tensor>> backward)
            implements Attributes {
    }
}
