package dev.quiver.spi;

import java.util.Objects;

/**
 * The formula language of elementwise ops: a small typed expression DAG that every backend renders into its own
 * code (C for OpenCL and CUDA, Vector API and scalar Java for the CPU) so that one definition gives the same bits
 * everywhere. Shared sub-expressions are the same Java object; renderers compute each node once (by identity), in
 * a fixed post-order, as one statement per node, so no compiler can contract or reorder across nodes.
 *
 * <p>An expression is dtype-generic: it is rendered for one <em>operand dtype</em> D. Each node has a {@link Type}:
 * <ul>
 *   <li>{@code VALUE}: an element of D ({@code float} for float32, {@code long} for int64, ...);</li>
 *   <li>{@code BITS}: the signed integer of D's width ({@code int} for float32 and int32, {@code long} for float64
 *       and int64), for range reduction (exponent fields, quadrant numbers);</li>
 *   <li>{@code MASK}: a boolean lane (comparison results and bool tensors).</li>
 * </ul>
 *
 * <p>Records compare structurally, but a DAG's shared nodes make structural hashing exponential: renderers and
 * evaluators key nodes by identity ({@link java.util.IdentityHashMap}).
 *
 * <p>Every node's semantics are exact, so that all renderings agree bit for bit:
 * <ul>
 *   <li>{@code ADD, SUB, MUL, DIV} on a floating VALUE round to nearest even in D's width; on an integer VALUE or
 *       on BITS they wrap (two's complement); integer {@code DIV} truncates, {@code MIN / -1} is {@code MIN}, and a
 *       zero divisor is an error the backend reports for the op (a status word on devices);</li>
 *   <li>{@code MIN, MAX} follow {@link Math#min(float, float)}/{@link Math#max(float, float)}: NaN if either is
 *       NaN, and {@code -0.0 < +0.0};</li>
 *   <li>{@code NEG} flips the sign (integer: wraps); {@code ABS} clears the sign bit (integer: {@code MIN} stays);
 *       {@code SQRT} is correctly rounded; {@link Fma} rounds once ({@link Math#fma(float, float, float)});</li>
 *   <li>{@link Compare} is IEEE ({@code NaN} compares unequal to everything, {@code NE} is then true);</li>
 *   <li>{@code AND, OR, XOR} are bitwise on BITS and logical on MASK; {@code NOT} is bitwise on BITS and logical
 *       on MASK; {@code SHL, SHR, USHR} shift BITS by a BITS count taken modulo the width, as Java does;</li>
 *   <li>{@link Reinterpret} moves between a floating VALUE and its BITS ({@link Float#floatToRawIntBits});
 *       {@link Convert} turns BITS into the nearest VALUE ({@code (float) i});</li>
 *   <li>{@link Constant} is rounded once to D ({@code (float) value}); {@link BitsConstant} is truncated to D's
 *       width.</li>
 * </ul>
 *
 * <pre>{@code
 * // softplus(x) = max(x, 0) + log1p(exp(-|x|)), written once for every backend
 * Expr x = Expr.input(0);
 * Expr y = x.max(Expr.constant(0)).add(log1p(exp(x.abs().neg())));
 * }</pre>
 */
public sealed interface Expr permits Expr.Input, Expr.Constant, Expr.BitsConstant, Expr.Unary, Expr.Binary,
        Expr.Fma, Expr.Compare, Expr.Select, Expr.Reinterpret, Expr.Convert {

    /** What a node holds: an element of the operand dtype, its same-width integer bits, or a boolean lane. */
    enum Type { VALUE, BITS, MASK }

    /** One-operand operations. */
    enum UnaryOp { NEG, ABS, SQRT, NOT }

    /** Two-operand operations (both operands of one type). */
    enum BinaryOp { ADD, SUB, MUL, DIV, MIN, MAX, AND, OR, XOR, SHL, SHR, USHR }

    /** Comparisons; the result is a MASK. */
    enum CompareOp { LT, LE, GT, GE, EQ, NE }

    /** The node's type. */
    Type type();

    /** Input {@code index} of the op (0-based) as a VALUE. */
    static Expr input(int index) {
        return new Input(index, Type.VALUE);
    }

    /** Input {@code index} as a MASK: the condition of {@code where}, the operands of logical ops. */
    static Expr maskInput(int index) {
        return new Input(index, Type.MASK);
    }

    /** A VALUE constant, rounded once to the operand dtype. */
    static Expr constant(double value) {
        return new Constant(value);
    }

    /** A BITS constant. */
    static Expr bits(long value) {
        return new BitsConstant(value);
    }

    /** {@code mask ? ifTrue : ifFalse}, lane by lane. */
    static Expr select(Expr mask, Expr ifTrue, Expr ifFalse) {
        return new Select(mask, ifTrue, ifFalse);
    }

    /** {@code a * b + c} rounded once. */
    static Expr fma(Expr a, Expr b, Expr c) {
        return new Fma(a, b, c);
    }

    default Expr add(Expr other) { return new Binary(BinaryOp.ADD, this, other); }
    default Expr sub(Expr other) { return new Binary(BinaryOp.SUB, this, other); }
    default Expr mul(Expr other) { return new Binary(BinaryOp.MUL, this, other); }
    default Expr div(Expr other) { return new Binary(BinaryOp.DIV, this, other); }
    default Expr min(Expr other) { return new Binary(BinaryOp.MIN, this, other); }
    default Expr max(Expr other) { return new Binary(BinaryOp.MAX, this, other); }
    default Expr and(Expr other) { return new Binary(BinaryOp.AND, this, other); }
    default Expr or(Expr other) { return new Binary(BinaryOp.OR, this, other); }
    default Expr xor(Expr other) { return new Binary(BinaryOp.XOR, this, other); }
    default Expr shiftLeft(int count) { return new Binary(BinaryOp.SHL, this, bits(count)); }
    default Expr shiftRight(int count) { return new Binary(BinaryOp.SHR, this, bits(count)); }
    default Expr shiftRightUnsigned(int count) { return new Binary(BinaryOp.USHR, this, bits(count)); }

    default Expr add(double constant) { return add(constant(constant)); }
    default Expr sub(double constant) { return sub(constant(constant)); }
    default Expr mul(double constant) { return mul(constant(constant)); }

    default Expr neg() { return new Unary(UnaryOp.NEG, this); }
    default Expr abs() { return new Unary(UnaryOp.ABS, this); }
    default Expr sqrt() { return new Unary(UnaryOp.SQRT, this); }
    default Expr not() { return new Unary(UnaryOp.NOT, this); }

    /** {@code this * a + b} rounded once: the Horner step. */
    default Expr fma(Expr a, Expr b) { return new Fma(this, a, b); }

    default Expr lt(Expr other) { return new Compare(CompareOp.LT, this, other); }
    default Expr le(Expr other) { return new Compare(CompareOp.LE, this, other); }
    default Expr gt(Expr other) { return new Compare(CompareOp.GT, this, other); }
    default Expr ge(Expr other) { return new Compare(CompareOp.GE, this, other); }
    default Expr eq(Expr other) { return new Compare(CompareOp.EQ, this, other); }
    default Expr ne(Expr other) { return new Compare(CompareOp.NE, this, other); }

    /** A floating VALUE's raw bits (BITS), or BITS read back as a VALUE. */
    default Expr reinterpret() { return new Reinterpret(this); }

    /** BITS converted to the nearest VALUE. */
    default Expr toValue() { return new Convert(this); }

    /** An input of the op. */
    record Input(int index, Type type) implements Expr {
        public Input {
            if (index < 0 || type == Type.BITS) {
                throw new IllegalArgumentException("expr: input " + index + " of type " + type);
            }
        }
    }

    /** A VALUE constant. */
    record Constant(double value) implements Expr {
        @Override
        public Type type() {
            return Type.VALUE;
        }
    }

    /** A BITS constant. */
    record BitsConstant(long value) implements Expr {
        @Override
        public Type type() {
            return Type.BITS;
        }
    }

    /** A one-operand node. */
    record Unary(UnaryOp op, Expr x) implements Expr {
        public Unary {
            Objects.requireNonNull(op);
            boolean ok = switch (op) {
                case NEG, ABS, SQRT -> x.type() == Type.VALUE;
                case NOT -> x.type() != Type.VALUE;
            };
            check(ok, op + " of a " + x.type());
        }

        @Override
        public Type type() {
            return x.type();
        }
    }

    /** A two-operand node; both operands have one type, which is the result's. */
    record Binary(BinaryOp op, Expr a, Expr b) implements Expr {
        public Binary {
            Objects.requireNonNull(op);
            check(a.type() == b.type(), op + " of a " + a.type() + " and a " + b.type());
            boolean ok = switch (op) {
                case ADD, SUB, MUL -> a.type() != Type.MASK;
                case DIV, MIN, MAX -> a.type() == Type.VALUE;
                case AND, OR, XOR -> a.type() != Type.VALUE;
                case SHL, SHR, USHR -> a.type() == Type.BITS;
            };
            check(ok, op + " of " + a.type() + "s");
        }

        @Override
        public Type type() {
            return a.type();
        }
    }

    /** {@code a * b + c} with one rounding. */
    record Fma(Expr a, Expr b, Expr c) implements Expr {
        public Fma {
            check(a.type() == Type.VALUE && b.type() == Type.VALUE && c.type() == Type.VALUE,
                    "fma of " + a.type() + ", " + b.type() + ", " + c.type());
        }

        @Override
        public Type type() {
            return Type.VALUE;
        }
    }

    /** A comparison of two VALUEs or two BITS. */
    record Compare(CompareOp op, Expr a, Expr b) implements Expr {
        public Compare {
            Objects.requireNonNull(op);
            check(a.type() == b.type() && a.type() != Type.MASK, op + " of a " + a.type() + " and a " + b.type());
        }

        @Override
        public Type type() {
            return Type.MASK;
        }
    }

    /** {@code mask ? ifTrue : ifFalse}. */
    record Select(Expr mask, Expr ifTrue, Expr ifFalse) implements Expr {
        public Select {
            check(mask.type() == Type.MASK && ifTrue.type() == ifFalse.type(),
                    "select on a " + mask.type() + " between a " + ifTrue.type() + " and a " + ifFalse.type());
        }

        @Override
        public Type type() {
            return ifTrue.type();
        }
    }

    /** VALUE to its raw BITS, or BITS to the VALUE they encode. */
    record Reinterpret(Expr x) implements Expr {
        public Reinterpret {
            check(x.type() != Type.MASK, "reinterpret of a MASK");
        }

        @Override
        public Type type() {
            return x.type() == Type.VALUE ? Type.BITS : Type.VALUE;
        }
    }

    /** BITS to the nearest VALUE. */
    record Convert(Expr x) implements Expr {
        public Convert {
            check(x.type() == Type.BITS, "convert of a " + x.type());
        }

        @Override
        public Type type() {
            return Type.VALUE;
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("expr: ill-typed node: " + what);
        }
    }
}
