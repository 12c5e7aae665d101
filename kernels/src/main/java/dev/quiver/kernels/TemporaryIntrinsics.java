package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Primitive;
import java.util.List;

/**
 * TEMPORARY, and the only place that knows it: the transcendental ops whose formulas are not yet written in the
 * formula language ({@link ElementwiseOps.Definition#temporaryIntrinsic()}: exp, log, sin, cos, tanh, pow) are
 * evaluated with each platform's own function: C's {@code exp()} in kernels, the Vector API's
 * {@code VectorOperators.EXP} in the CPU's SIMD rows, {@code Math.exp} in the scalar twins. These differ in their
 * last bits (between backends, and between a SIMD row and its twin). Delete this class once Quiver's own
 * formulas ({@code spi.formulas}) are the table's entries.
 *
 * <pre>{@code
 * TemporaryIntrinsics.c(Primitive.POW, List.of("x0", "x1"));   // "pow(x0, x1)"
 * }</pre>
 */
public final class TemporaryIntrinsics {
    private TemporaryIntrinsics() {
    }

    /** Whether {@code op} is evaluated here on floating dtypes. */
    public static boolean covers(Primitive op) {
        return ElementwiseOps.isElementwise(op) && ElementwiseOps.of(op).temporaryIntrinsic();
    }

    private static String function(Primitive op) {
        if (!covers(op)) {
            throw new IllegalArgumentException("kernels: " + op.opName() + " is not a temporary intrinsic");
        }
        return op.opName();   // exp, log, sin, cos, tanh, pow: the C and java.lang.Math names alike
    }

    /** The C expression over {@code inputs} (both dialects: OpenCL built-ins, CUDA's overloads). */
    public static String c(Primitive op, List<String> inputs) {
        return function(op) + "(" + String.join(", ", inputs) + ")";
    }

    /** The Vector API expression over vector locals {@code inputs}. */
    public static String vector(Primitive op, List<String> inputs) {
        String operator = "jdk.incubator.vector.VectorOperators." + op.name();
        return inputs.get(0) + ".lanewise(" + operator + (inputs.size() > 1 ? ", " + inputs.get(1) : "") + ")";
    }

    /** The scalar Java expression over {@code inputs} of {@code dtype}: {@code java.lang.Math}, rounded once. */
    public static String java(Primitive op, DType dtype, List<String> inputs) {
        String call = "Math." + function(op) + "(" + String.join(", ", inputs) + ")";
        return dtype == DType.FLOAT32 ? "(float) " + call : call;
    }
}
