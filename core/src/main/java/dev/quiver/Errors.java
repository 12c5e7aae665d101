package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.Primitive;
import java.math.BigInteger;

/**
 * Where core's error messages take their one shape: {@code method: what is wrong (backend name)}. The method is the
 * Java method the user called ({@code sum}, {@code floatValue}, {@code assignAdd}), not an internal primitive name,
 * and the backend is the one the tensors live on (or the one new tensors are made on), as the README promises.
 *
 * <pre>{@code
 * throw Errors.invalid("matmul", a.backend(), "inner dimensions differ: shapes (2, 3) and (4, 5)");
 * // IllegalArgumentException: matmul: inner dimensions differ: shapes (2, 3) and (4, 5) (backend cpu)
 * }</pre>
 */
final class Errors {
    // the Java method that runs each primitive, for messages: GREATER_EQUAL -> greaterEqual (computed once)
    private static final String[] METHOD_NAMES = new String[Primitive.values().length];

    static {
        for (Primitive op : Primitive.values()) {
            String[] words = op.name().toLowerCase(java.util.Locale.ROOT).split("_");
            StringBuilder name = new StringBuilder(words[0]);
            for (int i = 1; i < words.length; i++) {
                name.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
            }
            METHOD_NAMES[op.ordinal()] = name.toString();
        }
    }

    private Errors() {
    }

    /** The Java method name of a primitive: {@code greaterEqual}, {@code logicalNot}, {@code sum}. */
    static String methodName(Primitive op) {
        return METHOD_NAMES[op.ordinal()];
    }

    /** {@code " (backend cpu)"}, or nothing where no backend is involved (a bare {@link Shape}). */
    static String onBackend(Backend backend) {
        return backend == null ? "" : " (backend " + backend.name() + ")";
    }

    /** A rejected argument: wrong shape, dtype, axis, size. */
    static IllegalArgumentException invalid(String method, Backend backend, String detail) {
        return new IllegalArgumentException(method + ": " + detail + onBackend(backend));
    }

    /** A call this object's state forbids: a closed tensor, a read of many values as one. */
    static IllegalStateException state(String method, Backend backend, String detail) {
        return new IllegalStateException(method + ": " + detail + onBackend(backend));
    }

    /** A null where a value is required, naming the method and the argument. */
    static NullPointerException nullArgument(String method, String argument) {
        return new NullPointerException(method + ": " + argument + " is null");
    }

    /** {@code value}, or a {@link #nullArgument} error. */
    static <T> T notNull(T value, String method, String argument) {
        if (value == null) {
            throw nullArgument(method, argument);
        }
        return value;
    }

    /**
     * A backend call that failed, attributed to the method, the operand and the backend. Every failure of a backend
     * call is wrapped the same way: whether its own text already names the op does not matter.
     */
    static IllegalStateException failed(String method, Tensor operand, RuntimeException failure) {
        return failed(method, operand.backend(), operand.dtype(), operand.shape(), failure);
    }

    /** {@link #failed(String, Tensor, RuntimeException)} from the operand's parts. */
    static IllegalStateException failed(String method, Backend backend, DType dtype, Shape shape,
                                        RuntimeException failure) {
        return new IllegalStateException(method + " failed on backend " + backend.name() + " for " + dtype + " "
                + shape + ": " + failure.getMessage(), failure);
    }

    /** An allocation the backend refused (too large for the device or the Java heap). */
    static IllegalStateException allocationFailed(String method, Backend backend, Shape shape, DType dtype,
                                                  RuntimeException failure) {
        BigInteger bytes = BigInteger.valueOf(shape.size()).multiply(BigInteger.valueOf(dtype.byteSize()));
        return new IllegalStateException(method + ": cannot allocate " + dtype + " " + shape + ", " + bytes
                + " bytes, on backend " + backend.name() + ": " + failure.getMessage(), failure);
    }
}
