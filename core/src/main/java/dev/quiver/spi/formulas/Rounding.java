package dev.quiver.spi.formulas;

import dev.quiver.DType;
import dev.quiver.spi.Expr;

/**
 * Rounding to integers and division that rounds down, as {@link Expr} formulas: {@code round} (half to even, as
 * {@code tf.round} and {@link Math#rint}), {@code floor}, {@code ceil}, {@code floorDiv} and {@code floorMod}.
 * Branch-free and exact: every backend computes the same bits.
 *
 * <p>{@code round} adds and subtracts {@code 2^p} ({@code p} = 23 or 52) to {@code |x| < 2^p}: the sum has no
 * fraction bits left, so the hardware's round-to-nearest-even rounds it; larger values (and infinities) are
 * integers already. The sign is put back from {@code x}'s bit, so {@code round(-0.3) = -0}.
 *
 * <p>Floor division follows TensorFlow ({@code tf.math.floordiv}, {@code tf.math.floormod}) and Python:
 * integers: {@code floorDiv(-7, 2) = -4}, {@code floorMod(-7, 2) = 1} (the sign of the divisor); a zero divisor
 * is the op's error (it contains an integer {@code DIV}), {@code MIN / -1} wraps to {@code MIN} with remainder 0.
 * Floats: {@code floorDiv = floor(x / y)} exactly as TensorFlow computes it; {@code floorMod} is
 * {@code x - q y} rounded once by an fma, with {@code q = floor(x / y)} lowered by one where the rounded quotient
 * overshot, so for {@code |x / y| < 2^p} it is the correctly rounded Python {@code x % y} (a zero result takes the
 * divisor's sign, as Python's); beyond that the quotient has no fraction bits left and the result is
 * {@code x - q y} rounded (inaccurate, in magnitude up to an ulp of {@code x}). A zero divisor gives NaN, an
 * infinite divisor gives {@code x} or the divisor (Python's {@code -5.0 % inf = inf}).
 *
 * <pre>{@code
 * Expr y = Rounding.round(Expr.input(0), DType.FLOAT32);   // 2.5 -> 2, 3.5 -> 4, -0.5 -> -0
 * }</pre>
 */
public final class Rounding {
    private Rounding() {
    }

    /** Round half to even ({@link Math#rint}), for float32 or float64. */
    public static Expr round(Expr x, DType dtype) {
        long signBit = signBit(dtype, "round");
        double twoToP = dtype == DType.FLOAT32 ? 0x1p23 : 0x1p52;
        Expr magnitude = x.abs();
        Expr rounded = magnitude.add(c(twoToP)).sub(c(twoToP));
        Expr unsigned = Expr.select(magnitude.lt(c(twoToP)), rounded, magnitude);
        return unsigned.reinterpret().or(x.reinterpret().and(Expr.bits(signBit))).reinterpret();
    }

    /** The largest integer not above {@code x} ({@link Math#floor}), for float32 or float64. */
    public static Expr floor(Expr x, DType dtype) {
        Expr nearest = round(x, dtype);
        return Expr.select(nearest.gt(x), nearest.sub(c(1)), nearest);
    }

    /** The smallest integer not below {@code x} ({@link Math#ceil}: {@code ceil(-0.5) = -0}). */
    public static Expr ceil(Expr x, DType dtype) {
        return floor(x.neg(), dtype).neg();
    }

    /** {@code floor(x / y)}: Python's {@code x // y} for the integers, TensorFlow's {@code floor(x / y)} for floats. */
    public static Expr floorDiv(Expr x, Expr y, DType dtype) {
        if (dtype.isFloating()) {
            return floor(x.div(y), dtype);
        }
        Expr quotient = x.div(y);
        return Expr.select(roundsUp(x.sub(quotient.mul(y)), y), quotient.sub(c(1)), quotient);
    }

    /** {@code x - floorDiv(x, y) y}: Python's {@code x % y}, with the sign of {@code y}. */
    public static Expr floorMod(Expr x, Expr y, DType dtype) {
        if (!dtype.isFloating()) {
            Expr quotient = x.div(y);
            Expr remainder = x.sub(quotient.mul(y));
            return Expr.select(roundsUp(remainder, y), remainder.add(y), remainder);
        }
        Expr quotient = floor(x.div(y), dtype);
        // the rounded x / y may reach the next integer: then x - q y has the sign opposite to y, take q - 1
        Expr first = Expr.fma(quotient.neg(), y, x);
        Expr overshot = roundsUp(first, y);
        Expr remainder = Expr.fma(Expr.select(overshot, quotient.sub(c(1)), quotient).neg(), y, x);
        // an infinite divisor: x where it has y's sign (or is 0), else y itself (fma would give inf * 0 = NaN)
        Expr infiniteDivisor = y.abs().eq(c(Double.POSITIVE_INFINITY)).and(x.abs().lt(c(Double.POSITIVE_INFINITY)));
        Expr opposite = roundsUp(x, y);
        Expr value = Expr.select(infiniteDivisor, Expr.select(opposite, y, x), remainder);
        // a zero result takes the divisor's sign, as Python's
        Expr signedZero = Expr.select(y.lt(c(0)), c(0).neg(), c(0));
        return Expr.select(value.eq(c(0)), signedZero, value);
    }

    /** Whether {@code remainder} is nonzero and of {@code y}'s opposite sign (a truncating quotient is then one too high). */
    private static Expr roundsUp(Expr remainder, Expr y) {
        return remainder.ne(c(0)).and(remainder.lt(c(0)).xor(y.lt(c(0))));
    }

    private static long signBit(DType dtype, String function) {
        return FloatingDtypes.choose(dtype, function, (long) Integer.MIN_VALUE, Long.MIN_VALUE);
    }

    private static Expr c(double value) {
        return Expr.constant(value);
    }
}
