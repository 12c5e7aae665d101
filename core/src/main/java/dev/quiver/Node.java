package dev.quiver;

import dev.quiver.spi.Primitive;

/**
 * One recorded primitive application: what the tape needs to run the gradient rule later.
 *
 * @param op         the primitive
 * @param inputs     the operands as the primitive saw them (after promotion and broadcasting)
 * @param output     the result
 * @param attributes what the rule needs besides the tensors (axes, the input shape, slice bounds); may be null
 */
record Node(Primitive op, Tensor[] inputs, Tensor output, Object attributes) {
}
