package dev.quiver.kernels;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Test helper: errors in ulps against a reference, and a high-precision (BigDecimal, 50 digits) reference for
 * float64 exp, expm1, log, log1p, tanh and pow, so that float64 formulas are measured against correctly rounded
 * values rather than against StrictMath (itself up to 1 ulp off).
 *
 * <pre>{@code
 * double e = UlpReference.ulps32(myExp.apply(1f), StrictMath.exp(1.0));      // float32: a double reference
 * double d = UlpReference.ulps64(myExp64.apply(1.0), UlpReference.exp(BigDecimal.ONE));
 * }</pre>
 */
final class UlpReference {
    private static final MathContext MC = new MathContext(50, RoundingMode.HALF_EVEN);
    private static final BigDecimal LN2 = new BigDecimal(
            "0.69314718055994530941723212145817656807550013436025525412068000949339362196969471560586332699641868754");
    private static final BigDecimal TINY = new BigDecimal("1e-60");
    private static final BigDecimal SQRT2 = new BigDecimal("1.41421356237309504880168872420969807856967187537694");
    /** Beyond these arguments exp overflows or underflows every dtype (returned as the markers below). */
    private static final BigDecimal EXP_MAX = BigDecimal.valueOf(800);
    /** A stand-in for an infinite result: larger than any double, compared by {@link #ulps64}. */
    static final BigDecimal OVERFLOW = BigDecimal.TWO.pow(1100);

    private UlpReference() {
    }

    /**
     * C99's {@code pow} (numpy's and TensorFlow's too): {@link StrictMath#pow} except {@code 1^y = 1} for every
     * {@code y} (NaN too) and {@code (-1)^(+-inf) = 1}, where Java says NaN.
     */
    static double powC99(double x, double y) {
        if (x == 1 || y == 0 || (x == -1 && Double.isInfinite(y))) {
            return 1;
        }
        return StrictMath.pow(x, y);
    }

    /**
     * The error of a float32 result {@code y} in ulps of the reference's float ({@code ref} a double that is
     * within 2^-52 of the true value): fractional, so a correctly rounded result is at most 0.5. Infinite when
     * the kind differs (NaN vs number, zero sign); an infinite {@code y} against a finite reference counts as
     * 2^128, so a result one ulp over the largest float is measured as such.
     */
    static double ulps32(float y, double ref) {
        if (Double.isNaN(ref) || Float.isNaN(y)) {
            return Double.isNaN(ref) && Float.isNaN(y) ? 0 : Double.POSITIVE_INFINITY;
        }
        float rf = (float) ref;
        if (Double.isInfinite(ref) || (Float.isInfinite(rf) && y == rf)) {
            return y == rf ? 0 : Double.POSITIVE_INFINITY;
        }
        if (rf == 0 && y == 0) {
            return Float.floatToRawIntBits(rf) == Float.floatToRawIntBits(y) ? Math.abs(ref) / Float.MIN_VALUE
                    : Double.POSITIVE_INFINITY;
        }
        double yd = Float.isInfinite(y) ? Math.copySign(0x1p128, y) : y;
        double ulp = Float.isInfinite(rf) ? Math.ulp(Float.MAX_VALUE) : Math.ulp(rf);
        return Math.abs(yd - ref) / ulp;
    }

    /** The error of a float64 result in ulps of {@code ref} (a double, e.g. StrictMath's), as {@link #ulps32}. */
    static double ulps64(double y, double ref) {
        if (Double.isNaN(ref) || Double.isNaN(y)) {
            return Double.isNaN(ref) && Double.isNaN(y) ? 0 : Double.POSITIVE_INFINITY;
        }
        if (Double.isInfinite(ref) || Double.isInfinite(y)) {
            return y == ref ? 0 : Double.isInfinite(y) && Math.abs(ref) == Double.MAX_VALUE ? 1
                    : Double.POSITIVE_INFINITY;
        }
        if (ref == 0 && y == 0) {
            return Double.doubleToRawLongBits(ref) == Double.doubleToRawLongBits(y) ? 0 : Double.POSITIVE_INFINITY;
        }
        return inUlps(new BigDecimal(y).subtract(new BigDecimal(ref)), Math.ulp(ref));
    }

    /**
     * The error of a float64 result in ulps of the exact value {@code ref} ({@link #OVERFLOW} or its negation for
     * a result beyond the doubles; {@code null} for NaN).
     */
    static double ulps64(double y, BigDecimal ref) {
        if (ref == null || Double.isNaN(y)) {
            return ref == null && Double.isNaN(y) ? 0 : Double.POSITIVE_INFINITY;
        }
        double rd = ref.doubleValue();
        if (Double.isInfinite(y)) {
            if (Double.isInfinite(rd)) {
                return Math.signum(rd) == Math.signum(y) ? 0 : Double.POSITIVE_INFINITY;
            }
            BigDecimal yb = new BigDecimal(Math.copySign(0x1p1023, y)).multiply(BigDecimal.TWO);
            return inUlps(yb.subtract(ref), Math.ulp(Double.MAX_VALUE));
        }
        double ulp = Double.isInfinite(rd) ? Math.ulp(Double.MAX_VALUE) : Math.ulp(rd);
        return inUlps(new BigDecimal(y).subtract(ref), ulp);
    }

    /** {@code |difference| / ulp}, divided in BigDecimal: a fraction of the subnormal ulp is no double. */
    private static double inUlps(BigDecimal difference, double ulp) {
        return difference.abs().divide(new BigDecimal(ulp), MC).doubleValue();
    }

    /** {@code e^x} to 50 digits ({@link #OVERFLOW} above 800, zero below -800). */
    static BigDecimal exp(BigDecimal x) {
        if (x.compareTo(EXP_MAX) > 0) {
            return OVERFLOW;
        }
        if (x.compareTo(EXP_MAX.negate()) < 0) {
            return BigDecimal.ZERO;
        }
        int k = x.divide(LN2, MC).setScale(0, RoundingMode.HALF_EVEN).intValueExact();
        BigDecimal r = x.subtract(LN2.multiply(BigDecimal.valueOf(k)), MC);
        BigDecimal sum = BigDecimal.ONE;
        BigDecimal term = BigDecimal.ONE;
        for (int n = 1; term.abs().compareTo(TINY) > 0; n++) {
            term = term.multiply(r, MC).divide(BigDecimal.valueOf(n), MC);
            sum = sum.add(term, MC);
        }
        return sum.multiply(BigDecimal.TWO.pow(k, MC), MC);
    }

    /** {@code e^x - 1} to 50 significant digits (series for {@code |x| < 1}). */
    static BigDecimal expm1(BigDecimal x) {
        if (x.abs().compareTo(BigDecimal.ONE) >= 0) {
            return exp(x).subtract(BigDecimal.ONE, MC);
        }
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal term = BigDecimal.ONE;
        for (int n = 1; n < 3 || term.abs().compareTo(sum.abs().multiply(TINY)) > 0; n++) {
            term = term.multiply(x, MC).divide(BigDecimal.valueOf(n), MC);
            sum = sum.add(term, MC);
        }
        return sum;
    }

    /** {@code ln x} for {@code x > 0} to 50 significant digits (relative, also near 1; exact zero at 1). */
    static BigDecimal log(BigDecimal x) {
        int e = 0;
        BigDecimal m = x;
        while (m.compareTo(BigDecimal.TWO) >= 0 || m.compareTo(BigDecimal.ONE) < 0) {
            int step = m.doubleValue() >= 0x1p-1000 ? Math.getExponent(m.doubleValue()) : -1000;
            step = step == 0 ? (m.compareTo(BigDecimal.ONE) < 0 ? -1 : 1) : step;
            m = step > 0 ? m.divide(BigDecimal.TWO.pow(step), MC) : m.multiply(BigDecimal.TWO.pow(-step));
            e += step;
        }
        // m in [sqrt(1/2), sqrt 2): no cancellation between log m and e ln 2 for x near 1 (from below too)
        if (m.compareTo(SQRT2) > 0) {
            m = m.divide(BigDecimal.TWO);
            e++;
        }
        // log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.18
        BigDecimal s = m.subtract(BigDecimal.ONE).divide(m.add(BigDecimal.ONE), MC);
        BigDecimal s2 = s.multiply(s, MC);
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal power = s;
        for (int n = 0; power.signum() != 0 && power.abs().compareTo(s.abs().multiply(TINY)) > 0; n++) {
            sum = sum.add(power.divide(BigDecimal.valueOf(2L * n + 1), MC), MC);
            power = power.multiply(s2, MC);
        }
        return sum.multiply(BigDecimal.TWO).add(LN2.multiply(BigDecimal.valueOf(e)), MC);
    }

    /** {@code ln(1 + x)} for {@code x > -1}: 1 + x is exact in BigDecimal. */
    static BigDecimal log1p(BigDecimal x) {
        return log(BigDecimal.ONE.add(x));
    }

    /** {@code tanh x} to 50 significant digits. */
    static BigDecimal tanh(BigDecimal x) {
        if (x.abs().compareTo(BigDecimal.valueOf(60)) > 0) {
            return BigDecimal.valueOf(x.signum());
        }
        BigDecimal e = expm1(x.multiply(BigDecimal.TWO));
        return e.divide(e.add(BigDecimal.TWO), MC);
    }

    /**
     * {@code x^y} for finite {@code x}, {@code y} and {@code x != 0} ({@code null} for NaN: a negative base with a
     * non-integer exponent); signed overflow markers beyond the doubles.
     */
    static BigDecimal pow(double x, double y) {
        BigDecimal bx = new BigDecimal(x);
        BigDecimal by = new BigDecimal(y);
        boolean integer = by.stripTrailingZeros().scale() <= 0;
        if (x < 0 && !integer) {
            return null;
        }
        boolean odd = integer && by.toBigInteger().testBit(0);
        BigDecimal magnitude = exp(by.multiply(log(bx.abs()), MC));
        return x < 0 && odd ? magnitude.negate() : magnitude;
    }

    /** True when {@code v} is an integer (finite). */
    static boolean isInteger(double v) {
        return v == Math.rint(v) && !Double.isInfinite(v);
    }

    /** Whether {@code v} is an odd integer. */
    static boolean isOddInteger(double v) {
        return isInteger(v) && Math.abs(v) < 0x1p53 && new BigDecimal(v).toBigInteger().and(BigInteger.ONE)
                .signum() != 0;
    }
}
