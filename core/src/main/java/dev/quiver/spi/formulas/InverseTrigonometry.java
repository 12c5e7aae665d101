package dev.quiver.spi.formulas;

import dev.quiver.DType;
import dev.quiver.spi.Expr;

/**
 * Quiver's own {@code atan} and {@code atan2} as {@link Expr} formulas, branch-free, so every backend computes the
 * same bits.
 *
 * <p>The recipe is fdlibm's {@code s_atan.c} (its breakpoints 7/16, 11/16, 19/16, 39/16, its values
 * {@code atan(0.5), atan(1), atan(1.5), atan(inf)} as hi + lo pairs and its polynomial {@code aT}), written for lanes
 * with more care for the last bit: {@code |x|} picks a region by selects, one division gives the reduced argument
 * {@code t} ({@code (2a-1)/(2+a)}, {@code (a-1)/(a+1)}, {@code (a-1.5)/(1+1.5a)}, {@code -1/a}) and an fma gives
 * that division's remainder, so {@code t}'s rounding error (and the denominator's, exact by Fast2Sum) enters the
 * result as a first-order correction {@code t_lo / (1 + t^2)} instead of as an error. The value is then
 * {@code atanhi + t + (atanlo - t^3 P(t^2) + corrections)} with {@code atanhi + t} split exactly, rounded once.
 * {@code atan2(y, x)} divides the same way ({@code |y/x|} with its remainder) and forms {@code pi - atan} for
 * {@code x < 0} from the unrounded pair, so the quadrant adds no second rounding.
 *
 * <p>Accuracy (measured, {@code InverseTrigonometryTest}): see that test's figures; float32 within 1 ulp of
 * StrictMath over random samples of all magnitudes. Special values follow {@link StrictMath}: {@code atan(+-inf) =
 * +-pi/2}, {@code atan(-0) = -0}; {@code atan2} takes the sign of {@code y} and C99's table for zeros and
 * infinities ({@code atan2(+-0, -0) = +-pi}, {@code atan2(+-inf, -inf) = +-3pi/4}, ...); NaN gives NaN.
 *
 * <pre>{@code
 * Expr angle = InverseTrigonometry.atan2(Expr.input(0), Expr.input(1), DType.FLOAT64);
 * }</pre>
 */
public final class InverseTrigonometry {
    private InverseTrigonometry() {
    }

    /** fdlibm s_atan.c: atan(0.5), atan(1), atan(1.5), atan(inf) as hi + lo, and aT. */
    private static final double[] ATAN_HI = {4.63647609000806093515e-01, 7.85398163397448278999e-01,
            9.82793723247329054082e-01, 1.57079632679489655800e+00};
    private static final double[] ATAN_LO = {2.26987774529616870924e-17, 3.06161699786838301793e-17,
            1.39033110312309984516e-17, 6.12323399573676603587e-17};
    private static final double[] AT = {3.33333333333329318027e-01, -1.99999999998764832476e-01,
            1.42857142725034663711e-01, -1.11111104054623557880e-01, 9.09088713343650656196e-02,
            -7.69187620504482999495e-02, 6.66107313738753120669e-02, -5.83357013379057348645e-02,
            4.97687799461593236017e-02, -3.65315727442169155270e-02, 1.62858201153657823623e-02};
    /** pi - Math.PI. */
    private static final double PI_LO = 1.2246467991473532e-16;

    /** {@code atan(x)} for a float32 or float64 {@code x}. */
    public static Expr atan(Expr x, DType dtype) {
        Format f = Format.of(dtype, "atan");
        Pair angle = atanOfMagnitude(x.abs(), null, f);
        return withSignOf(angle.hi().add(angle.lo()), x, f);
    }

    /** {@code atan2(y, x)}: the angle of the point (x, y), in {@code [-pi, pi]}, for float32 or float64. */
    public static Expr atan2(Expr y, Expr x, DType dtype) {
        Format f = Format.of(dtype, "atan2");
        Expr ay = y.abs();
        Expr ax = x.abs();
        Expr quotient = ay.div(ax);
        // |y/x| = quotient + remainder / |x| exactly (the remainder of a division is exact by fma)
        Expr quotientLo = Expr.fma(quotient.neg(), ax, ay).div(ax);
        Expr zeros = ay.eq(c(0)).and(ax.eq(c(0)));
        Expr infinities = ay.eq(c(Double.POSITIVE_INFINITY)).and(ax.eq(c(Double.POSITIVE_INFINITY)));
        // 0/0 and inf/inf are NaN: C99 gives them the angles of 0 and 1
        Expr a = Expr.select(zeros, c(0), Expr.select(infinities, c(1), quotient));
        Pair angle = atanOfMagnitude(a, quotientLo.div(c(1).add(a.mul(a))), f);
        // x < 0 (or -0): pi - angle, from the unrounded pair (Fast2Sum: pi > angle)
        Expr difference = c(f.piHi).sub(angle.hi());
        Expr differenceLo = c(f.piHi).sub(difference).sub(angle.hi());
        Expr reflected = difference.add(differenceLo.add(c(f.piLo).sub(angle.lo())));
        Expr negativeX = x.reinterpret().and(Expr.bits(f.signBit)).ne(Expr.bits(0));
        return withSignOf(Expr.select(negativeX, reflected, angle.hi().add(angle.lo())), y, f);
    }

    /** An unevaluated sum {@code hi + lo}, {@code |lo|} at most about an ulp of {@code hi}. */
    private record Pair(Expr hi, Expr lo) {
    }

    /** The constants of one dtype, each rounded to it; hi + lo pairs re-split so that hi is the dtype's. */
    private record Format(long signBit, double[] baseHi, double[] baseLo, double piHi, double piLo) {
        static final Format FLOAT32 = split(Integer.MIN_VALUE, true);
        static final Format FLOAT64 = split(Long.MIN_VALUE, false);

        static Format split(long signBit, boolean toFloat) {
            double[] hi = new double[4];
            double[] lo = new double[4];
            for (int i = 0; i < 4; i++) {
                hi[i] = toFloat ? (float) ATAN_HI[i] : ATAN_HI[i];
                // ATAN_HI - hi is exact in double
                lo[i] = toFloat ? (float) ((ATAN_HI[i] - hi[i]) + ATAN_LO[i]) : ATAN_LO[i];
            }
            double piHi = toFloat ? (float) Math.PI : Math.PI;
            double piLo = toFloat ? (float) ((Math.PI - piHi) + PI_LO) : PI_LO;
            return new Format(signBit, hi, lo, piHi, piLo);
        }

        static Format of(DType dtype, String function) {
            return FloatingDtypes.choose(dtype, function, FLOAT32, FLOAT64);
        }
    }

    private static Expr c(double value) {
        return Expr.constant(value);
    }

    /** {@code magnitude} with the sign bit of {@code signSource} (a non-negative magnitude: an OR of the bit). */
    private static Expr withSignOf(Expr magnitude, Expr signSource, Format f) {
        Expr sign = signSource.reinterpret().and(Expr.bits(f.signBit));
        return magnitude.reinterpret().or(sign).reinterpret();
    }

    /**
     * {@code atan(a + aLo)} for {@code a >= 0} (or NaN) as a pair; {@code correction} is {@code aLo / (1 + a^2)}
     * (null: none). The regions' reduced arguments {@code t} all lie in {@code [-7/16, 7/16]}, where {@code aT}
     * holds.
     */
    private static Pair atanOfMagnitude(Expr a, Expr correction, Format f) {
        Expr r0 = a.ge(c(7.0 / 16));
        Expr r1 = a.ge(c(11.0 / 16));
        Expr r2 = a.ge(c(19.0 / 16));
        Expr r3 = a.ge(c(39.0 / 16));
        // numerators, each exact (Sterbenz)
        Expr numerator = Expr.select(r3, c(-1), Expr.select(r2, a.sub(c(1.5)),
                Expr.select(r1, a.sub(c(1)), Expr.select(r0, a.add(a).sub(c(1)), a))));
        // denominators as big + small with their rounding error (Fast2Sum, big >= small); 1.5a needs its own
        Expr scaled = a.mul(c(1.5));
        Expr scaledLo = Expr.fma(a, c(1.5), scaled.neg());
        Expr big = Expr.select(r3, a, Expr.select(r2, scaled, Expr.select(r1, c(1), Expr.select(r0, c(2), c(1)))));
        Expr small = Expr.select(r3, c(0), Expr.select(r2, c(1), Expr.select(r0, a, c(0))));
        Expr denominator = big.add(small);
        Expr denominatorLo = small.sub(denominator.sub(big)).add(Expr.select(r2.and(r3.not()), scaledLo, c(0)));
        Expr t = numerator.div(denominator);
        // t's error: (numerator - t (denominator + denominatorLo)) / denominator, remainder exact by fma
        Expr remainder = Expr.fma(t.neg(), denominator, numerator);
        Expr tLo = remainder.sub(t.mul(denominatorLo)).div(denominator);
        Expr z = t.mul(t);
        Expr odd = t.mul(z).mul(Polynomials.lowestFirst(z, AT, 0));
        Expr lowTerms = tLo.div(c(1).add(z));
        if (correction != null) {
            lowTerms = lowTerms.add(correction);
        }
        // infinite or 0/0 operands make the corrections NaN; the main terms carry NaN where it belongs
        lowTerms = Expr.select(lowTerms.ne(lowTerms), c(0), lowTerms);
        Expr baseHi = pick(r0, r1, r2, r3, f.baseHi);
        Expr baseLo = pick(r0, r1, r2, r3, f.baseLo);
        Expr hi = baseHi.add(t);
        Expr lo = t.sub(hi.sub(baseHi)).add(baseLo.sub(odd).add(lowTerms));
        return new Pair(hi, lo);
    }

    /** The region's constant: 0 below 7/16, then {@code values[0..3]}. */
    private static Expr pick(Expr r0, Expr r1, Expr r2, Expr r3, double[] values) {
        return Expr.select(r3, c(values[3]), Expr.select(r2, c(values[2]),
                Expr.select(r1, c(values[1]), Expr.select(r0, c(values[0]), c(0)))));
    }
}
