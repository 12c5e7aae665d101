package dev.quiver;

/**
 * The element types a {@link Tensor} can hold.
 *
 * <p>Promotion, used when two tensors of different dtypes meet in a binary op, follows one lattice:
 * {@code BOOL < INT32 < INT64 < FLOAT32 < FLOAT64}; the result takes the larger of the two. So
 * {@code int32 + float32 -> float32} and {@code int64 + float32 -> float32} (as in JAX), and
 * {@code float32 + float64 -> float64}. A Java number passed to an op ({@code x.mul(2.0)}) is
 * <em>weakly typed</em>: it takes the tensor's dtype, and it is an error when it cannot be represented
 * exactly there ({@code int32 * 2.5}) — cast the tensor first.
 *
 * <pre>{@code
 * DType.promote(DType.INT32, DType.FLOAT32);   // FLOAT32
 * Tensor.constant(new int[] {1, 2}).cast(DType.FLOAT64).dtype();  // FLOAT64
 * }</pre>
 */
public enum DType {
    /** {@code true}/{@code false}, one byte each; the result of comparisons. */
    BOOL("bool", 1, false, false),
    /** 32-bit signed integers: Java {@code int}. */
    INT32("int32", 4, true, false),
    /** 64-bit signed integers: Java {@code long}. */
    INT64("int64", 8, true, false),
    /** 32-bit IEEE floats: Java {@code float}, and the default for Java {@code double} values. */
    FLOAT32("float32", 4, false, true),
    /** 64-bit IEEE floats: Java {@code double}. */
    FLOAT64("float64", 8, false, true);

    private final String displayName;
    private final int byteSize;
    private final boolean integral;
    private final boolean floating;

    DType(String displayName, int byteSize, boolean integral, boolean floating) {
        this.displayName = displayName;
        this.byteSize = byteSize;
        this.integral = integral;
        this.floating = floating;
    }

    /** Bytes per element as stored on a backend. */
    public int byteSize() {
        return byteSize;
    }

    /** True for float32 and float64: the dtypes that carry gradients. */
    public boolean isFloating() {
        return floating;
    }

    /** True for int32 and int64. */
    public boolean isIntegral() {
        return integral;
    }

    /** The larger of two dtypes in the lattice {@code bool < int32 < int64 < float32 < float64}. */
    public static DType promote(DType a, DType b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    /** Parses {@code "float32"}, {@code "int64"}, ... (the names {@link #toString()} prints). */
    public static DType parse(String name) {
        for (DType type : values()) {
            if (type.displayName.equalsIgnoreCase(name) || type.name().equalsIgnoreCase(name)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "'; expected one of bool, int32, int64, float32, float64");
    }

    /** The name as TensorFlow prints it: {@code float32}, {@code int32}, ... */
    @Override
    public String toString() {
        return displayName;
    }
}
