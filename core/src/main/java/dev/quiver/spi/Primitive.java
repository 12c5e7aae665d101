package dev.quiver.spi;

/**
 * The primitives every backend executes. Everything else in Quiver ({@code square}, {@code mean},
 * {@code sigmoid}, {@code relu}, {@code mse}, ...) is composed from these, so a new backend implements this
 * list and nothing more, and the tape needs exactly one gradient rule per differentiable entry.
 *
 * <p>The {@link Kind} says which {@link Backend} method runs a primitive. Movement primitives
 * ({@code RESHAPE}, {@code PERMUTE}, {@code EXPAND}, {@code SLICE}, {@code REVERSE}) are views: they change a
 * {@link StridedView}'s shape, strides and offset and never reach a backend; they are listed here
 * because the tape differentiates them.
 *
 * <p>The elementwise entries (UNARY, BINARY, WHERE) are defined once in {@link ElementwiseOps}: arity, dtype rule
 * and formula.
 *
 * <pre>{@code
 * Primitive.ADD.kind();          // BINARY
 * Primitive.LESS.producesBool(); // true
 * }</pre>
 */
public enum Primitive {
    // unary, same dtype in and out
    NEG(Kind.UNARY), ABS(Kind.UNARY), SIGN(Kind.UNARY),
    EXP(Kind.UNARY), LOG(Kind.UNARY), SQRT(Kind.UNARY),
    SIN(Kind.UNARY), COS(Kind.UNARY), TANH(Kind.UNARY),
    ERF(Kind.UNARY), LOG1P(Kind.UNARY), EXPM1(Kind.UNARY), SOFTPLUS(Kind.UNARY),
    FLOOR(Kind.UNARY), CEIL(Kind.UNARY), ROUND(Kind.UNARY), TAN(Kind.UNARY), ATAN(Kind.UNARY),
    LOGICAL_NOT(Kind.UNARY),
    // binary, operands of one dtype, same shape (broadcasting is an EXPAND view before the call)
    ADD(Kind.BINARY), SUB(Kind.BINARY), MUL(Kind.BINARY), DIV(Kind.BINARY), POW(Kind.BINARY),
    MAXIMUM(Kind.BINARY), MINIMUM(Kind.BINARY),
    FLOOR_DIV(Kind.BINARY), MOD(Kind.BINARY), ATAN2(Kind.BINARY),
    // binary with a bool result
    LESS(Kind.BINARY), LESS_EQUAL(Kind.BINARY), GREATER(Kind.BINARY), GREATER_EQUAL(Kind.BINARY),
    EQUAL(Kind.BINARY), NOT_EQUAL(Kind.BINARY), LOGICAL_AND(Kind.BINARY), LOGICAL_OR(Kind.BINARY),
    // select(cond, a, b)
    WHERE(Kind.WHERE),
    // reductions over the middle axis of a contiguous (outer, reduced, inner) block
    SUM(Kind.REDUCE), MAX(Kind.REDUCE), MIN(Kind.REDUCE),
    // batched matrix product
    MATMUL(Kind.MATMUL),
    // strided copy with dtype conversion
    CAST(Kind.COPY), COPY(Kind.COPY),
    // views: no backend call (REVERSE is a view with negative strides)
    RESHAPE(Kind.VIEW), PERMUTE(Kind.VIEW), EXPAND(Kind.VIEW), SLICE(Kind.VIEW), REVERSE(Kind.VIEW),
    // rows picked by an int index tensor along one axis, and its adjoint (rows added back where they came from)
    GATHER(Kind.INDEX), SCATTER_ADD(Kind.INDEX),
    // joins inputs along one axis; writes a tensor into zeros at an offset (the adjoint of SLICE).
    // Core runs both as backend fill + strided copy.
    CONCAT(Kind.COPY), PAD(Kind.COPY);

    /** Which backend entry point runs a primitive. */
    public enum Kind { UNARY, BINARY, WHERE, REDUCE, MATMUL, COPY, VIEW, INDEX }

    private final Kind kind;
    // computed once: backends name the op on every call (buffer checks, error paths), so no string per call
    private final String opName;

    Primitive(Kind kind) {
        this.kind = kind;
        this.opName = name().toLowerCase(java.util.Locale.ROOT);
    }

    public Kind kind() {
        return kind;
    }

    /** Comparisons and logical ops: their result is {@code bool} whatever the operand dtype ({@link ElementwiseOps}). */
    public boolean producesBool() {
        return ElementwiseOps.isElementwise(this) && ElementwiseOps.of(this).result() == ElementwiseOps.Result.BOOL;
    }

    /** Ops only defined on floating dtypes ({@code exp} of an int32 is an error): the table has no other formula. */
    public boolean requiresFloating() {
        return ElementwiseOps.isElementwise(this) && ElementwiseOps.of(this).floatingOnly();
    }

    /** The lower-case name used in error messages and kernel names: {@code greater_equal}. */
    public String opName() {
        return opName;
    }
}
