package dev.quiver.spi.formulas;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.Philox;

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
 * {@code ln 2} as a Cody-Waite pair ({@code x - k ln2_hi} is exact with one fma); polynomials by Horner with fma
 * (exp's and pow's log tail fitted here by Chebyshev approximation, log's those of fdlibm and musl that
 * {@link Philox.Twin} uses); {@code 2^k} built from bits in two
 * factors so that results reach the subnormals with one rounding. Where cancellation would cost the last bits
 * (expm1, tanh, pow), intermediate values are carried as unevaluated pairs {@code hi + lo} whose low parts come
 * from exact operations (Fast2Sum/TwoSum, fma products and division remainders).
 *
 * <p>Accuracy: every function is below 1 ulp in both dtypes, measured against correctly rounded references:
 * float32 over all 2^32 inputs ({@code ExponentialsSweep}; pow on a dense 2-D sample), float64 on random inputs
 * against StrictMath and a 50-digit BigDecimal reference ({@code ExponentialsTest}).
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
                          double ln2Lo, double log2e, double expLow, double expHigh, double[] expPoly,
                          double expm1Low, long sqrtHalfBits, double logLn2Hi, double logLn2Lo, double[] logOdd,
                          double[] logEven, double twoThirdsLo, double[] powPoly) {
        long mantissaMask() {
            return (1L << mantissaBits) - 1;
        }

        long signBit() {
            return dtype == DType.FLOAT32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
        }

        double minNormal() {
            return dtype == DType.FLOAT32 ? Float.MIN_NORMAL : Double.MIN_NORMAL;
        }
    }

    private static final Format FLOAT32 = new Format(DType.FLOAT32, 23, 127, 0x1.8p23,
            Float.floatToRawIntBits(0x1.8p23f), 0x1.62e43p-1, -0x1.05c61p-29, 0x1.715476p0,
            // exp(x) is 0 below -104 (2^-150.04) and infinite above 89
            -104, 89,
            // (e^r - 1 - r) / r^2 on [-ln2/2, ln2/2]: Chebyshev fit, degree 5 (error 2^-29.3; times r^2 < 2^-3)
            new double[] {0x1.a12a42p-13, 0x1.6d4920p-10, 0x1.1110e0p-7, 0x1.5554e4p-5, 0x1.555556p-3, 0x1p-1},
            // e^x - 1 rounds to -1 below -25 (e^-25 < 2^-36)
            -25,
            // log: musl logf's split point, ln 2 pair and minimax polynomials (shared with Philox.Twin)
            Philox.Twin.SQRT_HALF_BITSF, Philox.Twin.LN2_HIF, Philox.Twin.LN2_LOF,
            new double[] {Philox.Twin.LG3F, Philox.Twin.LG1F}, new double[] {Philox.Twin.LG4F, Philox.Twin.LG2F},
            // pow's log: 2/3 - (float) 2/3, and T(z) = (2 atanh(s) - 2s - 2s^3/3) / s^5 of z = s^2 in
            // [0, 0.0295]: degree 3 (error 2^-29.9; times s^5 < 2^-12.7)
            -0x1.555556p-26, new double[] {0x1.87c8bcp-3, 0x1.c6bf0ap-3, 0x1.249290p-2, 0x1.99999ap-2});

    private static final Format FLOAT64 = new Format(DType.FLOAT64, 52, 1023, 0x1.8p52,
            Double.doubleToRawLongBits(0x1.8p52), 0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56,
            0x1.71547652b82fep0,
            // exp(x) is 0 below -746 (2^-1076.3) and infinite above 710
            -746, 710,
            // degree 10 (error 2^-59.2)
            new double[] {0x1.1f75aba0b1e2ep-29, 0x1.af52906239de4p-26, 0x1.27e4da1a3bf04p-22,
                0x1.71ddffef9e7b1p-19, 0x1.a01a01a741b3cp-16, 0x1.a01a01aca0134p-13, 0x1.6c16c16c16212p-10,
                0x1.111111110ff87p-7, 0x1.5555555555556p-5, 0x1.5555555555557p-3, 0x1p-1},
            // e^x - 1 rounds to -1 below -40 (e^-40 < 2^-57)
            -40,
            // log: fdlibm e_log.c's (shared with Philox.Twin)
            Philox.Twin.SQRT_HALF_BITS, Philox.Twin.LN2_HI, Philox.Twin.LN2_LO,
            new double[] {Philox.Twin.LG7, Philox.Twin.LG5, Philox.Twin.LG3, Philox.Twin.LG1},
            new double[] {Philox.Twin.LG6, Philox.Twin.LG4, Philox.Twin.LG2},
            // degree 7 (error 2^-58.8)
            0x1.5555555555555p-55, new double[] {0x1.e0b2fadc317e7p-4, 0x1.df700c050c69dp-4, 0x1.11190514d902bp-3,
                0x1.3b1394b0a7753p-3, 0x1.745d177d4ef6cp-3, 0x1.c71c71c6e78a1p-3, 0x1.249249249252cp-2,
                0x1.999999999999ap-2});

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
     * {@code e^x}. Error (measured): float32 at most 0.61 ulp for normal results (all 2^32 inputs), float64 0.57
     * ulp (random sample against 50 digits); subnormal results add the second rounding (0.78 ulp).
     * {@code NaN -> NaN}, {@code +inf -> +inf}, {@code -inf -> +0}.
     */
    public static Expr exp(Expr x, DType dtype) {
        Format f = format(dtype, "exp");
        // clamping keeps k in range for the two-factor scaling; min/max pass NaN through
        Expr clamped = x.max(c(f.expLow())).min(c(f.expHigh()));
        Reduced red = reduce(clamped, f);
        return scale(onePlus(expm1Reduced(red, red.k.mul(c(-f.ln2Lo())), f)), red.kBits, f);
    }

    /**
     * {@code e^x - 1}, exact near 0 ({@code expm1(x) = x} for tiny {@code x}, signed zeros kept). Error (measured):
     * float32 and float64 below 1 ulp. {@code NaN -> NaN}, {@code +inf -> +inf}, {@code -inf -> -1}.
     */
    public static Expr expm1(Expr x, DType dtype) {
        Format f = format(dtype, "expm1");
        Pair e = expm1Clamped(x.max(c(f.expm1Low())).min(c(f.expHigh())), f);
        return Expr.select(x.eq(c(0)), x, e.hi.add(e.lo));
    }

    /** An unevaluated sum {@code hi + lo}, {@code |lo|} at most about an ulp of {@code hi}. */
    private record Pair(Expr hi, Expr lo) {
    }

    /**
     * {@code e^x - 1} as a pair, for {@code x} clamped to {@code [expm1Low, expHigh]}. With {@code x = k ln2 + r}
     * and {@code E = e^r - 1} held as a pair: {@code 2^k - 1 + 2^k E}, summed as {@code 2 (s E + (s - 1/2))} with
     * {@code s = 2^(k-1)} (finite up to the overflow threshold, {@code k = 128} for float32); {@code s - 1/2} and
     * {@code s E_hi} are exact for the {@code k} where the sum cancels, and their sum's error is kept (Fast2Sum:
     * {@code |s - 1/2| >= |s E_hi|}, or {@code s - 1/2 = 0}). {@code k = 0} gives {@code E} itself (no halving of a
     * subnormal).
     */
    private static Pair expm1Clamped(Expr x, Format f) {
        Reduced red = reduce(x, f);
        Pair e = expm1Reduced(red, red.k.mul(c(-f.ln2Lo())), f);
        Expr s = powerOfTwo(red.kBits.sub(Expr.bits(1)), f);
        Expr half = c(0.5);
        Expr a = s.sub(half);
        Expr aLo = s.sub(a).sub(half);                  // s - 1/2 - a, nonzero once s outgrows the mantissa
        Expr b = s.mul(e.hi);
        Expr sum = a.add(b);
        Expr error = b.sub(sum.sub(a)).add(aLo);
        Expr two = c(2);
        Expr kZero = red.kBits.eq(Expr.bits(0));
        return new Pair(Expr.select(kZero, e.hi, sum.mul(two)),
                Expr.select(kZero, e.lo, Expr.fma(s, e.lo, error).mul(two)));
    }

    /**
     * {@code tanh x = sign(x) e / (e + 2)} with {@code e = expm1(2|x|)} as a pair and the division corrected by
     * its exact remainder (a division's remainder by fma is exact); as {@code 1 - 2 / (e + 2)}, corrected the
     * same way, once {@code |x| >= 0.75} (where {@code 2 / (e + 2) < 1/3}). Error (measured): below 1 ulp.
     * {@code tanh(+-inf) = +-1}, {@code tanh(-0) = -0}, {@code NaN -> NaN}.
     */
    public static Expr tanh(Expr x, DType dtype) {
        Format f = format(dtype, "tanh");
        Expr ax = x.abs();
        // tanh is 1 in both dtypes beyond |x| = 20; the clamp keeps e finite
        Pair e = expm1Clamped(ax.add(ax).min(c(40)), f);
        Expr two = c(2);
        Expr d = e.hi.add(two);
        Expr isSmall = ax.lt(c(0.75));
        // d's rounding error by Fast2Sum: e.hi <= e^1.5 - 1 < 4 while small, e.hi > 2 when large
        Expr dLo = Expr.select(isSmall, two.sub(d).add(e.hi), e.hi.sub(d).add(two)).add(e.lo);
        Expr q = e.hi.div(d);
        Expr small = q.add(Expr.fma(q.neg(), d, e.hi).add(e.lo).sub(q.mul(dLo)).div(d));
        Expr q2 = two.div(d);
        Expr q2Lo = Expr.fma(q2.neg(), d, two).sub(q2.mul(dLo)).div(d);
        Expr magnitude = Expr.select(isSmall, small, c(1).sub(q2.add(q2Lo)));
        return copySign(magnitude, x, f);
    }

    /** {@code magnitude} (non-negative or NaN) with the sign bit of {@code sign}. */
    private static Expr copySign(Expr magnitude, Expr sign, Format f) {
        return magnitude.reinterpret().or(sign.reinterpret().and(Expr.bits(f.signBit()))).reinterpret();
    }

    /**
     * {@code ln x}: {@code x = 2^k m} with {@code m} in {@code [sqrt(1/2), sqrt 2)} read from the bits (subnormals
     * scaled up first), then fdlibm's {@code log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))}, {@code s = f / (2 + f)}.
     * Error (measured): below 1 ulp. {@code log(negative or NaN) = NaN}, {@code log(+-0) = -inf},
     * {@code log(+inf) = +inf}.
     */
    public static Expr log(Expr x, DType dtype) {
        Format f = format(dtype, "log");
        Split split = split(x, true, f);
        Expr result = logReduced(split.m.sub(c(1)), split.k, split.k.mul(c(f.logLn2Lo())), f);
        Expr special = Expr.select(x.eq(c(0)), c(Double.NEGATIVE_INFINITY),
                Expr.select(x.eq(c(Double.POSITIVE_INFINITY)), x, result));
        return Expr.select(x.ge(c(0)), special, c(Double.NaN));
    }

    /** {@code x = 2^k m}: {@code k} an integral VALUE, {@code m} in {@code [sqrt(1/2), sqrt 2)}. */
    private record Split(Expr k, Expr m) {
    }

    /** {@link Split} of a positive finite {@code x}; {@code subnormals}: scaled up first when there may be some. */
    private static Split split(Expr x, boolean subnormals, Format f) {
        if (!subnormals) {
            return splitNormal(x, f);
        }
        Expr subnormal = x.lt(c(f.minNormal()));
        int up = f.mantissaBits() + 2;
        Split split = splitNormal(Expr.select(subnormal, x.mul(c(Math.scalb(1.0, up))), x), f);
        return new Split(split.k.sub(Expr.select(subnormal, c(up), c(0))), split.m);
    }

    private static Split splitNormal(Expr x, Format f) {
        Expr ix = x.reinterpret().sub(Expr.bits(f.sqrtHalfBits()));
        Expr m = ix.and(Expr.bits(f.mantissaMask())).add(Expr.bits(f.sqrtHalfBits())).reinterpret();
        return new Split(ix.shiftRight(f.mantissaBits()).toValue(), m);
    }

    /**
     * {@code ln(1 + x)}, exact near 0 ({@code log1p(x) = x} for tiny {@code x}, signed zeros kept): {@code u = 1 + x}
     * rounded, its rounding error {@code c} recovered exactly (TwoSum), {@code ln(1 + x) = ln u + c / u} with
     * {@code ln u} as in {@link #log}. Error (measured): below 1 ulp. {@code log1p(x < -1 or NaN) = NaN},
     * {@code log1p(-1) = -inf}, {@code log1p(+inf) = +inf}.
     */
    public static Expr log1p(Expr x, DType dtype) {
        Format f = format(dtype, "log1p");
        Expr one = c(1);
        Expr u = one.add(x);
        Expr xPart = u.sub(one);
        Expr error = one.sub(u.sub(xPart)).add(x.sub(xPart));
        Split split = split(u, false, f);                // u >= 2^-p where finite: never subnormal
        Expr result = logReduced(split.m.sub(one), split.k, Expr.fma(split.k, c(f.logLn2Lo()), error.div(u)), f);
        Expr special = Expr.select(x.eq(c(-1)), c(Double.NEGATIVE_INFINITY),
                Expr.select(x.eq(c(Double.POSITIVE_INFINITY)), x, Expr.select(x.eq(c(0)), x, result)));
        return Expr.select(x.ge(c(-1)), special, c(Double.NaN));
    }

    /**
     * {@code k ln2 + ln(1 + f) + lo} for {@code 1 + f} in {@code [sqrt(1/2), sqrt 2)} ({@code f} exact) and a small
     * {@code lo} (holding {@code k ln2_lo} and any correction), summed from the smallest term up (fdlibm).
     */
    private static Expr logReduced(Expr fm, Expr k, Expr lo, Format f) {
        Expr s = fm.div(c(2).add(fm));
        Expr z = s.mul(s);
        Expr w = z.mul(z);
        Expr r = z.mul(Polynomials.highestFirst(w, f.logOdd()))
                .add(w.mul(Polynomials.highestFirst(w, f.logEven())));
        Expr hfsq = c(0.5).mul(fm).mul(fm);
        Expr inner = Expr.fma(s, hfsq.add(r), lo);
        return Expr.fma(k, c(f.logLn2Hi()), fm.sub(hfsq.sub(inner)));
    }

    /**
     * {@code x^y} with C99's special cases (those of C's {@code pow}, numpy and TensorFlow, so that every backend
     * agrees with them): {@code y = +-0 -> 1} (NaN base too), {@code x = 1 -> 1} (NaN or infinite {@code y} too),
     * {@code x = -1} with infinite {@code y} is 1, {@code y = 1 -> x}, NaN if either is NaN otherwise, zero and
     * infinite bases by the signs, a negative base needs an integral {@code y} (odd: negative result) or gives
     * NaN. These are {@link Math#pow}'s rules except for {@code 1^NaN} and {@code (+-1)^(+-inf)}, which Java makes
     * NaN. The magnitude is {@code e^(y ln|x|)} with {@code ln|x|} as a pair accurate to about twice the dtype's
     * precision and {@code y ln|x| = z_hi + z_lo} (exact product by fma), {@code z_lo} folded into exp's reduced
     * argument. Error (measured): below 1 ulp.
     */
    public static Expr pow(Expr x, Expr y, DType dtype) {
        Format f = format(dtype, "pow");
        Expr ax = x.abs();
        Expr ay = y.abs();
        Expr zero = c(0);
        Expr inf = c(Double.POSITIVE_INFINITY);
        Expr nan = c(Double.NaN);
        // |x|^y for finite nonzero x and finite y
        Pair log = logPair(ax, f);
        Expr zHi = y.mul(log.hi);
        Expr zLo = Expr.fma(y, log.hi, zHi.neg()).add(y.mul(log.lo));
        Expr clamped = zHi.max(c(f.expLow())).min(c(f.expHigh()));
        Reduced red = reduce(clamped, f);
        // z_lo is meaningless once z_hi overflowed (and the clamp made it irrelevant)
        Expr lo = Expr.select(zHi.abs().lt(c(2 * f.expHigh())), zLo, zero);
        Expr magnitude = scale(onePlus(expm1Reduced(red, Expr.fma(red.k, c(-f.ln2Lo()), lo), f)), red.kBits, f);
        // y integral (every float from 2^mantissaBits on is) and odd (its units bit, below 2^(mantissaBits+1))
        Expr bigInteger = ay.ge(c(Math.scalb(1.0, f.mantissaBits())));
        Expr shifted = ay.add(c(Math.scalb(1.0, f.mantissaBits())));
        Expr integral = bigInteger.or(shifted.sub(c(Math.scalb(1.0, f.mantissaBits()))).eq(ay));
        Expr unitsBit = Expr.select(bigInteger, ay, shifted).reinterpret().and(Expr.bits(1)).eq(Expr.bits(1));
        Expr odd = integral.and(unitsBit).and(ay.lt(c(Math.scalb(1.0, f.mantissaBits() + 1))));
        // zero and infinite bases: 0 or inf by the signs; then the sign of an odd power of a negative base
        Expr xInf = ax.eq(inf);
        Expr edge = Expr.select(xInf.xor(y.lt(zero)), inf, zero);
        Expr unsigned = Expr.select(ax.eq(zero).or(xInf), edge, magnitude);
        Expr negative = x.reinterpret().lt(Expr.bits(0)).and(odd);
        Expr signed = Expr.select(negative, unsigned.neg(), unsigned);
        Expr finiteNegative = x.lt(zero).and(xInf.not());
        Expr real = Expr.select(finiteNegative.and(integral.not()), nan, signed);
        Expr one = c(1);
        Expr yInf = Expr.select(ax.eq(one), one, Expr.select(ax.gt(one).xor(y.lt(zero)), inf, zero));
        Expr finiteY = Expr.select(ay.eq(inf), yInf, real);
        Expr notNan = Expr.select(x.ne(x).or(y.ne(y)), nan, finiteY);
        // C99: 1^y = 1 and x^0 = 1 even for a NaN y or x
        return Expr.select(y.eq(zero).or(x.eq(one)), one, Expr.select(y.eq(one), x, notNan));
    }

    /**
     * {@code ln x} for positive finite {@code x} as a pair {@code hi + lo} with a relative error near
     * {@code 2^-2p}: {@code x = 2^k m}, {@code s = (m - 1) / (m + 1)} as a pair (the division's remainder by fma),
     * {@code ln m = 2s + s^3 (2/3 + s^2 T(s^2))} with the leading terms in pair arithmetic, plus {@code k ln 2}
     * as an exact product pair.
     */
    private static Pair logPair(Expr x, Format f) {
        Split split = split(x, true, f);
        Expr one = c(1);
        Expr fm = split.m.sub(one);                              // exact
        Expr aHi = one.add(split.m);
        Expr aLo = split.m.sub(aHi.sub(one));                    // Fast2Sum: 1 >= m / 2
        Expr sHi = fm.div(aHi);
        Expr sLo = Expr.fma(sHi.neg(), aHi, fm).sub(sHi.mul(aLo)).div(aHi);
        Expr zHi = sHi.mul(sHi);
        Expr zLo = Expr.fma(sHi, sHi, zHi.neg()).add(c(2).mul(sHi).mul(sLo));
        Expr cubeHi = sHi.mul(zHi);
        Expr cubeLo = Expr.fma(sHi, zHi, cubeHi.neg()).add(Expr.fma(sHi, zLo, sLo.mul(zHi)));
        Expr t = zHi.mul(Polynomials.highestFirst(zHi, f.powPoly()));
        Expr twoThirds = c(2.0 / 3);
        Expr innerHi = twoThirds.add(t);
        Expr innerLo = twoThirds.sub(innerHi).add(t).add(c(f.twoThirdsLo()));
        Expr tailHi = cubeHi.mul(innerHi);
        Expr tailLo = Expr.fma(cubeHi, innerHi, tailHi.neg()).add(Expr.fma(cubeHi, innerLo, cubeLo.mul(innerHi)));
        Expr twoS = c(2).mul(sHi);
        Expr mHi = twoS.add(tailHi);
        Expr mLo = twoS.sub(mHi).add(tailHi).add(Expr.fma(c(2), sLo, tailLo));
        Expr kHi = split.k.mul(c(f.ln2Hi()));
        Expr kLo = Expr.fma(split.k, c(f.ln2Hi()), kHi.neg()).add(split.k.mul(c(f.ln2Lo())));
        // TwoSum: either side may dominate (k = 0, or m near 1)
        Expr sum = kHi.add(mHi);
        Expr mPart = sum.sub(kHi);
        Expr error = kHi.sub(sum.sub(mPart)).add(mHi.sub(mPart));
        return new Pair(sum, error.add(kLo.add(mLo)));
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

    /**
     * {@code e^r - 1} as a pair for {@code r = hi + small} ({@code |r| <= ln2 / 2}; {@code small} holds
     * {@code -k ln2_lo} and any low part of the argument): {@code r} as a pair by Fast2Sum (inexact only where
     * {@code hi} is tinier than {@code small}, and then the error is far below an ulp of the result), then
     * {@code r + r^2 q(r)} with the sum's error and {@code r_lo e^r ~ r_lo (1 + r)} kept.
     */
    private static Pair expm1Reduced(Reduced red, Expr small, Format f) {
        Expr r = red.hi.add(small);
        Expr rLo = red.hi.sub(r).add(small);
        Expr p = r.mul(r).mul(Polynomials.highestFirst(r, f.expPoly()));
        Expr eHi = r.add(p);
        return new Pair(eHi, r.sub(eHi).add(p).add(Expr.fma(rLo, r, rLo)));
    }

    /** {@code 1 + (hi + lo)} rounded once more than Fast2Sum's exact {@code 1 + hi}, for {@code |hi| <= 1}. */
    private static Expr onePlus(Pair e) {
        Expr one = c(1);
        Expr sum = one.add(e.hi);
        return sum.add(one.sub(sum).add(e.hi).add(e.lo));
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

    private static Expr c(double value) {
        return Expr.constant(value);
    }
}
