package dev.quiver.spi;

import dev.quiver.DType;
import dev.quiver.spi.formulas.ErrorFunction;
import dev.quiver.spi.formulas.Exponentials;
import dev.quiver.spi.formulas.InverseTrigonometry;
import dev.quiver.spi.formulas.Rounding;
import dev.quiver.spi.formulas.Trigonometry;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The op table: every elementwise primitive ({@link Primitive.Kind#UNARY UNARY}, {@link Primitive.Kind#BINARY
 * BINARY} with comparisons and logical ops, {@link Primitive.Kind#WHERE WHERE}) defined once, as its arity, its
 * dtype rule and its {@link Expr formula} per dtype family. Everything else is derived from this one place: the C
 * kernels of OpenCL and CUDA ({@code kernels}), the CPU backend's Vector API rows and their scalar twins (generated
 * at build time), the conformance rows and the completeness test. A family without a formula is a dtype core
 * rejects for the op ({@code exp} of an int32).
 *
 * <p>Inputs are {@code Expr.input(i)} (VALUE) or {@code Expr.maskInput(i)} (a bool tensor read as MASK: the
 * condition of {@code where}, the operands of logical ops and of bool comparisons). A MASK result is a bool tensor.
 *
 * <pre>{@code
 * ElementwiseOps.Definition add = ElementwiseOps.of(Primitive.ADD);
 * add.arity();                        // 2
 * add.formula(DType.INT32);           // input(0).add(input(1)), wrapping
 * add.supports(DType.BOOL);           // false: core rejects bool arithmetic
 * ElementwiseOps.of(Primitive.LESS).result();   // Result.BOOL
 * }</pre>
 */
public final class ElementwiseOps {
    /** The result dtype: the operands' dtype, or bool. */
    public enum Result { OPERAND, BOOL }

    /** The dtype families a formula is written for. */
    public enum Family {
        FLOATING, INTEGER, BOOL;

        /** The family of {@code dtype}. */
        public static Family of(DType dtype) {
            return dtype.isFloating() ? FLOATING : dtype == DType.BOOL ? BOOL : INTEGER;
        }
    }

    /**
     * One elementwise primitive: {@code arity} inputs (for WHERE: condition, whenTrue, whenFalse; the operand dtype
     * is the whenTrue input's), its result rule, and its formula per operand dtype (none: not defined there). A
     * formula may differ between float32 and float64 (a polynomial's degree), so it is kept per dtype.
     */
    public record Definition(Primitive op, int arity, Result result, Map<DType, Expr> formulas) {
        public Definition {
            Map<DType, Expr> copy = new EnumMap<>(DType.class);
            copy.putAll(formulas);
            formulas = Collections.unmodifiableMap(copy);
        }

        /** The formula for operand dtype {@code dtype}, or null where the op is not defined. */
        public Expr formula(DType dtype) {
            return formulas.get(dtype);
        }

        /** Whether core allows the op on operands of {@code dtype}. */
        public boolean supports(DType dtype) {
            return formulas.containsKey(dtype);
        }

        /** Whether the op is defined only on float32 and float64 ({@code exp}; not {@code neg}). */
        public boolean floatingOnly() {
            for (DType dtype : DType.values()) {
                if (!dtype.isFloating() && supports(dtype)) {
                    return false;
                }
            }
            return true;
        }

        /** The output dtype for operands of {@code dtype}. */
        public DType resultDtype(DType dtype) {
            return result == Result.BOOL ? DType.BOOL : dtype;
        }
    }

    private static final Map<Primitive, Definition> TABLE = new EnumMap<>(Primitive.class);

    static {
        Expr x = Expr.input(0);
        Expr y = Expr.input(1);
        Expr p = Expr.maskInput(0);
        Expr q = Expr.maskInput(1);

        define(Primitive.NEG, Result.OPERAND, x.neg(), x.neg(), null);
        define(Primitive.ABS, Result.OPERAND, x.abs(), x.abs(), null);
        // Math.signum: +-1 by sign, zeros (and NaN) stay as they are; the same formula serves the integers
        Expr sign = Expr.select(x.gt(Expr.constant(0)), Expr.constant(1),
                Expr.select(x.lt(Expr.constant(0)), Expr.constant(-1), x));
        define(Primitive.SIGN, Result.OPERAND, sign, sign, null);
        define(Primitive.SQRT, Result.OPERAND, x.sqrt(), null, null);
        // Quiver's own range reductions and polynomials (spi.formulas): the same bits on every backend
        definePerDtype(Primitive.EXP, Result.OPERAND, dtype -> Exponentials.exp(x, dtype), null, null);
        definePerDtype(Primitive.LOG, Result.OPERAND, dtype -> Exponentials.log(x, dtype), null, null);
        definePerDtype(Primitive.SIN, Result.OPERAND, dtype -> Trigonometry.sin(x, dtype), null, null);
        definePerDtype(Primitive.COS, Result.OPERAND, dtype -> Trigonometry.cos(x, dtype), null, null);
        definePerDtype(Primitive.TANH, Result.OPERAND, dtype -> Exponentials.tanh(x, dtype), null, null);
        definePerDtype(Primitive.ERF, Result.OPERAND, dtype -> ErrorFunction.erf(x, dtype), null, null);
        definePerDtype(Primitive.LOG1P, Result.OPERAND, dtype -> Exponentials.log1p(x, dtype), null, null);
        definePerDtype(Primitive.EXPM1, Result.OPERAND, dtype -> Exponentials.expm1(x, dtype), null, null);
        // log(1 + e^x) without overflow: e^-|x| <= 1
        definePerDtype(Primitive.SOFTPLUS, Result.OPERAND, dtype -> x.max(Expr.constant(0))
                .add(Exponentials.log1p(Exponentials.exp(x.abs().neg(), dtype), dtype)), null, null);
        // exact roundings (spi.formulas.Rounding): floats only, as tf.floor, tf.ceil and tf.round
        definePerDtype(Primitive.FLOOR, Result.OPERAND, dtype -> Rounding.floor(x, dtype), null, null);
        definePerDtype(Primitive.CEIL, Result.OPERAND, dtype -> Rounding.ceil(x, dtype), null, null);
        definePerDtype(Primitive.ROUND, Result.OPERAND, dtype -> Rounding.round(x, dtype), null, null);
        definePerDtype(Primitive.TAN, Result.OPERAND, dtype -> Trigonometry.tan(x, dtype), null, null);
        definePerDtype(Primitive.ATAN, Result.OPERAND, dtype -> InverseTrigonometry.atan(x, dtype), null, null);
        define(Primitive.LOGICAL_NOT, Result.BOOL, null, null, p.not());

        define(Primitive.ADD, Result.OPERAND, x.add(y), x.add(y), null);
        define(Primitive.SUB, Result.OPERAND, x.sub(y), x.sub(y), null);
        define(Primitive.MUL, Result.OPERAND, x.mul(y), x.mul(y), null);
        // integer division truncates, MIN / -1 wraps to MIN, and a zero divisor is the op's error (Expr's DIV)
        define(Primitive.DIV, Result.OPERAND, x.div(y), x.div(y), null);
        define(Primitive.MAXIMUM, Result.OPERAND, x.max(y), x.max(y), null);
        define(Primitive.MINIMUM, Result.OPERAND, x.min(y), x.min(y), null);
        definePerDtype(Primitive.POW, Result.OPERAND, dtype -> Exponentials.pow(x, y, dtype), null, null);
        // Python's // and % (the remainder has the divisor's sign); on integers (one formula for int32 and int64) a
        // zero divisor is the op's error
        definePerDtype(Primitive.FLOOR_DIV, Result.OPERAND, dtype -> Rounding.floorDiv(x, y, dtype),
                Rounding.floorDiv(x, y, DType.INT64), null);
        definePerDtype(Primitive.MOD, Result.OPERAND, dtype -> Rounding.floorMod(x, y, dtype),
                Rounding.floorMod(x, y, DType.INT64), null);
        // atan2(y, x): input 0 is y, as tf.math.atan2(y, x)
        definePerDtype(Primitive.ATAN2, Result.OPERAND, dtype -> InverseTrigonometry.atan2(x, y, dtype), null, null);

        // comparisons of numbers are IEEE (NaN is unequal to everything); of bools, false < true
        define(Primitive.LESS, Result.BOOL, x.lt(y), x.lt(y), p.not().and(q));
        define(Primitive.LESS_EQUAL, Result.BOOL, x.le(y), x.le(y), p.not().or(q));
        define(Primitive.GREATER, Result.BOOL, x.gt(y), x.gt(y), p.and(q.not()));
        define(Primitive.GREATER_EQUAL, Result.BOOL, x.ge(y), x.ge(y), p.or(q.not()));
        define(Primitive.EQUAL, Result.BOOL, x.eq(y), x.eq(y), p.xor(q).not());
        define(Primitive.NOT_EQUAL, Result.BOOL, x.ne(y), x.ne(y), p.xor(q));
        define(Primitive.LOGICAL_AND, Result.BOOL, null, null, p.and(q));
        define(Primitive.LOGICAL_OR, Result.BOOL, null, null, p.or(q));

        Expr c = Expr.maskInput(0);
        define(Primitive.WHERE, Result.OPERAND, Expr.select(c, y, Expr.input(2)), Expr.select(c, y, Expr.input(2)),
                Expr.select(c, Expr.maskInput(1), Expr.maskInput(2)));

        for (Primitive op : Primitive.values()) {
            boolean elementwise = op.kind() == Primitive.Kind.UNARY || op.kind() == Primitive.Kind.BINARY
                    || op.kind() == Primitive.Kind.WHERE;
            if (elementwise != TABLE.containsKey(op)) {
                throw new ExceptionInInitializerError("ElementwiseOps: " + op.opName() + " is " + op.kind()
                        + (elementwise ? " but has no table entry" : " but has a table entry"));
            }
        }
    }

    private ElementwiseOps() {
    }

    private static void define(Primitive op, Result result, Expr floating, Expr integer, Expr bool) {
        definePerDtype(op, result, floating == null ? null : dtype -> floating, integer, bool);
    }

    /** An op whose floating formula depends on the dtype ({@code exp}: a longer polynomial for float64). */
    private static void definePerDtype(Primitive op, Result result, Function<DType, Expr> floating, Expr integer,
                                       Expr bool) {
        Map<DType, Expr> formulas = new EnumMap<>(DType.class);
        for (DType dtype : DType.values()) {
            Expr formula = switch (Family.of(dtype)) {
                case FLOATING -> floating == null ? null : floating.apply(dtype);
                case INTEGER -> integer;
                case BOOL -> bool;
            };
            if (formula != null) {
                formulas.put(dtype, formula);
            }
        }
        TABLE.put(op, new Definition(op, arity(op), result, formulas));
    }

    private static int arity(Primitive op) {
        return switch (op.kind()) {
            case UNARY -> 1;
            case BINARY -> 2;
            case WHERE -> 3;
            default -> throw new IllegalArgumentException("ElementwiseOps: " + op.opName() + " is " + op.kind());
        };
    }

    /** Whether {@code op} is an elementwise primitive (a row of the table). */
    public static boolean isElementwise(Primitive op) {
        return TABLE.containsKey(op);
    }

    /** The definition of elementwise primitive {@code op}. */
    public static Definition of(Primitive op) {
        Definition definition = TABLE.get(op);
        if (definition == null) {
            throw new IllegalArgumentException("ElementwiseOps: " + op.opName() + " is not elementwise (" + op.kind()
                    + ")");
        }
        return definition;
    }

    /** Every definition, in {@link Primitive} order. */
    public static Collection<Definition> all() {
        return Collections.unmodifiableCollection(TABLE.values());
    }
}
