package dev.quiver.spi.formulas;

import dev.quiver.DType;
import dev.quiver.spi.Expr;

/**
 * Quiver's own exp, expm1, log, log1p, tanh and pow as {@link Expr} formulas: range reduction and polynomials
 * written once, so that every backend that renders a formula (scalar Java, Vector API, C) computes the same bits.
 *
 * <p>Every formula is branch-free (special cases are {@link Expr#select selects} evaluated per lane) and table-free.
 * One formula serves float32 and float64; the dtype picks the constants (polynomial coefficients, splitting
 * points, exponent fields). Special values follow {@link Math}/{@link StrictMath}: NaN in, NaN out; overflow to
 * infinity; gradual underflow to subnormals and zero; {@code log} of a negative is NaN, of zero {@code -inf}.
 *
 * <p>Techniques (after fdlibm, musl and SLEEF, written anew): the nearest integer {@code k} of a reduced argument
 * by the magic-number trick ({@code (v + 1.5 * 2^p) - 1.5 * 2^p}, the integer read from the sum's low bits);
 * {@code ln 2} as a Cody-Waite pair ({@code x - k ln2_hi} is exact with one fma); polynomials fitted by Chebyshev
 * approximation of the remainder functions and evaluated by Horner with fma; {@code 2^k} built from bits in two
 * factors so that results reach the subnormals with one rounding.
 *
 * <pre>{@code
 * Expr x = Expr.input(0);
 * Expr softplus = x.max(Expr.constant(0))
 *         .add(Exponentials.log1p(Exponentials.exp(x.abs().neg(), DType.FLOAT32), DType.FLOAT32));
 * }</pre>
 */
public final class Exponentials {
    private Exponentials() {
    }

    /**
     * The constants of one floating dtype. {@code magic} is {@code 1.5 * 2^mantissaBits}: adding it to a value of
     * magnitude below {@code 2^(mantissaBits - 1)} rounds the value to an integer held in the sum's low bits.
     */
    private record Format(DType dtype, int mantissaBits, long bias, double magic, long magicBits, double ln2Hi,
                          double ln2Lo, double log2e, double expLow, double expHigh, double[] expPoly) {
    }

    private static final Format FLOAT32 = new Format(DType.FLOAT32, 23, 127, 0x1.8p23,
            Float.floatToRawIntBits(0x1.8p23f), 0x1.62e43p-1, -0x1.05c61p-29, 0x1.715476p0,
            // exp(x) is 0 below -104 (2^-150.04) and infinite above 89
            -104, 89,
            // (e^r - 1 - r) / r^2 on [-ln2/2, ln2/2]: Chebyshev fit, degree 5 (error 2^-29.3; times r^2 < 2^-3)
            new double[] {0x1.a12a42p-13, 0x1.6d4920p-10, 0x1.1110e0p-7, 0x1.5554e4p-5, 0x1.555556p-3, 0x1p-1});

    private static final Format FLOAT64 = new Format(DType.FLOAT64, 52, 1023, 0x1.8p52,
            Double.doubleToRawLongBits(0x1.8p52), 0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56,
            0x1.71547652b82fep0,
            // exp(x) is 0 below -746 (2^-1076.3) and infinite above 710
            -746, 710,
            // degree 10 (error 2^-59.2)
            new double[] {0x1.1f75aba0b1e2ep-29, 0x1.af52906239de4p-26, 0x1.27e4da1a3bf04p-22,
                0x1.71ddffef9e7b1p-19, 0x1.a01a01a741b3cp-16, 0x1.a01a01aca0134p-13, 0x1.6c16c16c16212p-10,
                0x1.111111110ff87p-7, 0x1.5555555555556p-5, 0x1.5555555555557p-3, 0x1p-1});

    private static Format format(DType dtype, String function) {
        if (dtype == DType.FLOAT32) {
            return FLOAT32;
        }
        if (dtype == DType.FLOAT64) {
            return FLOAT64;
        }
        throw new IllegalArgumentException("Exponentials." + function + ": dtype " + dtype
                + " is not floating (float32 or float64 only)");
    }

    /**
     * {@code e^x}. Error (measured, see {@code ExponentialsTest}): float32 below 1 ulp, float64 below 1 ulp.
     * {@code NaN -> NaN}, {@code +inf -> +inf}, {@code -inf -> +0}.
     */
    public static Expr exp(Expr x, DType dtype) {
        Format f = format(dtype, "exp");
        // clamping keeps k in range for the two-factor scaling; min/max pass NaN through
        Expr clamped = x.max(c(f.expLow())).min(c(f.expHigh()));
        Reduced red = reduce(clamped, f);
        Expr r = Expr.fma(red.k, c(-f.ln2Lo()), red.hi);
        return scale(expm1Kernel(r, f).add(c(1)), red.kBits, f);
    }

    /** {@code x - k ln2_hi} (exact) for {@code k} the nearest integer of {@code x / ln 2}, as a VALUE and as BITS. */
    private record Reduced(Expr k, Expr kBits, Expr hi) {
    }

    private static Reduced reduce(Expr x, Format f) {
        Expr shifted = Expr.fma(x, c(f.log2e()), c(f.magic()));
        Expr k = shifted.sub(c(f.magic()));
        Expr kBits = shifted.reinterpret().sub(Expr.bits(f.magicBits()));
        // exact: k ln2_hi and x are multiples of ulp(ln2_hi) or coarser, and the difference is below 1/2 in size
        return new Reduced(k, kBits, Expr.fma(k, c(-f.ln2Hi()), x));
    }

    /** {@code e^r - 1} for {@code |r| <= ln2 / 2}: {@code r + r^2 q(r)}. */
    private static Expr expm1Kernel(Expr r, Format f) {
        return Expr.fma(r.mul(r), horner(r, f.expPoly()), r);
    }

    /**
     * {@code v * 2^k} with one rounding for any {@code k} the clamped exps give (float32 -150..128, float64
     * -1077..1024): two normal factors {@code 2^(k >> 1)} and {@code 2^(k - (k >> 1))}; the first product is exact.
     */
    private static Expr scale(Expr v, Expr kBits, Format f) {
        Expr half = kBits.shiftRight(1);
        return v.mul(powerOfTwo(half, f)).mul(powerOfTwo(kBits.sub(half), f));
    }

    /** {@code 2^k} for BITS {@code k} in the normal exponent range. */
    private static Expr powerOfTwo(Expr kBits, Format f) {
        return kBits.add(Expr.bits(f.bias())).shiftLeft(f.mantissaBits()).reinterpret();
    }

    /** {@code coefficients[0] x^n + ... + coefficients[n]} by Horner with fma. */
    private static Expr horner(Expr x, double[] coefficients) {
        Expr p = c(coefficients[0]);
        for (int i = 1; i < coefficients.length; i++) {
            p = Expr.fma(p, x, c(coefficients[i]));
        }
        return p;
    }

    private static Expr c(double value) {
        return Expr.constant(value);
    }
}
