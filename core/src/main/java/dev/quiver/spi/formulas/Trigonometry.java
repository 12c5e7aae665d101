package dev.quiver.spi.formulas;

import dev.quiver.DType;
import dev.quiver.spi.Expr;

/**
 * Quiver's own {@code sin}, {@code cos} and {@code tan} as {@link Expr} formulas: one definition that every backend renders
 * (scalar Java, Vector API, C), so every backend computes the same bits. Branch-free: special cases and the
 * quadrant are chosen with {@link Expr#select} and bit operations, never with a Java {@code if} on a value.
 *
 * <p>The recipe (fdlibm's kernels, written for lanes):
 * <ol>
 *   <li>quadrant {@code k = rint(x 2/pi)} by the magic-number trick: {@code t = fma(x, 2/pi, 1.5 * 2^p)} rounds
 *       {@code x 2/pi} to an integer held in {@code t}'s low mantissa bits ({@code p} = 23 or 52), so
 *       {@code k = t - 1.5 * 2^p} and {@code k mod 4 = bits(t) & 3};</li>
 *   <li>Cody-Waite reduction {@code r = x - k pi/2} with {@code pi/2 = P1 + P2 + P3}: {@code fma(-k, P1, x)} is
 *       exact (both terms are multiples of {@code ulp(P1)} and the difference is below 2), {@code k P2} is split
 *       exactly into {@code dh + dl} by an fma, {@code r1 - dh} is split exactly by 2Sum, so the reduced argument is
 *       a float-float {@code rh + rl} accurate to far below an ulp;</li>
 *   <li>{@code sin(rh + rl)} and {@code cos(rh + rl)} on {@code [-pi/4, pi/4]} by fdlibm's {@code __kernel_sin}
 *       and {@code __kernel_cos} (their float64 minimax coefficients; for float32 musl's {@code __sindf} minimax
 *       and the Taylor coefficients of cos, rounded to float), which fold {@code rl} in to first order;</li>
 *   <li>{@code sin x} is {@code s, c, -s, -c} for {@code k mod 4 = 0..3} and {@code cos x} is the same with
 *       {@code k + 1}: a select between the two polynomials and a sign flip by XOR into the sign bit.</li>
 * </ol>
 *
 * <p>Range: the reduction is accurate while {@code |x| <= } {@link #reductionLimit} ({@code 2^21} for float32,
 * {@code 2^46} for float64; above them the rounding trick or the 72/160 bits of pi/2 run out). Measured
 * (TrigonometryTest; FullSweep over all 2^32 float32 inputs): float32 at most 0.80 ulp up to that limit (sin
 * 0.797, cos 0.799; 0.75 within pi/4), float64 within 1 ulp of StrictMath and 0.70 ulp of a BigDecimal reference
 * on samples. Beyond the limit a Payne-Hanek reduction would be needed, which needs a table of 2/pi; instead the
 * reduced argument is clamped to {@code [-pi/4, pi/4]}, so the result stays finite and in {@code [-1, 1]} (checked
 * for every float32 input) but is not accurate (any value in {@code [-1, 1]}). Special values as {@link Math}: {@code sin(+-inf) = cos(+-inf) = NaN},
 * NaN gives NaN, {@code sin(-0) = -0}.
 *
 * <pre>{@code
 * Expr y = Trigonometry.sin(Expr.input(0), DType.FLOAT32);   // one formula, rendered by every backend
 * }</pre>
 */
public final class Trigonometry {
    private Trigonometry() {
    }

    /** {@code sin(x)} for a float32 or float64 {@code x}. */
    public static Expr sin(Expr x, DType dtype) {
        return sinCos(x, Constants.of(dtype, "sin"), 0);
    }

    /** {@code cos(x)} for a float32 or float64 {@code x}. */
    public static Expr cos(Expr x, DType dtype) {
        return sinCos(x, Constants.of(dtype, "cos"), 1);
    }

    /**
     * {@code tan(x)} for a float32 or float64 {@code x}: the same reduction, then {@code tan(r) = r + r^3/3 +
     * r^5 Q(r^2)} (Q: coefficients {@code t[1..]}) on {@code [-pi/4, pi/4]} carried as a float-float, and {@code -1/tan(r)} in odd quadrants by one Newton
     * correction of the rounded reciprocal (so the division adds no second rounding). Beyond
     * {@link #reductionLimit} the result is not accurate (any value); NaN and infinities give NaN;
     * {@code tan(-0) = -0}.
     */
    public static Expr tan(Expr x, DType dtype) {
        Constants k = Constants.of(dtype, "tan");
        Reduction reduced = reduce(x, k);
        Expr rh = reduced.rh();
        // r^3 / 3, the largest correction (0.2 tan r), as a float-float: products split exactly by fma
        Expr z = rh.mul(rh);
        Expr zLo = Expr.fma(rh, rh, z.neg());
        Expr cube = rh.mul(z);
        Expr cubeLo = Expr.fma(rh, z, cube.neg()).add(rh.mul(zLo));
        Expr third = cube.div(c(3));
        Expr thirdLo = Expr.fma(third.neg(), c(3), cube).add(cubeLo).div(c(3));
        // the rest, r^5 Q(r^2), is below 0.04 tan r: its rounding errors stay far below an ulp of the result
        Expr rest = cube.mul(z).mul(Polynomials.lowestFirst(z, k.t, 1));
        // the reduction's tail enters to first order, times tan'(r) = 1 + tan^2 r
        Expr estimate = rh.add(third.add(rest));
        Expr small = thirdLo.add(rest).add(reduced.rl().mul(c(1).add(estimate.mul(estimate))));
        // tan r = hi + lo, |lo| within half an ulp of hi (two Fast2Sums: |r^3 / 3| < |rh|, then |lo| < |hi|)
        Expr head = rh.add(third);
        Expr headLo = third.sub(head.sub(rh)).add(small);
        Expr hi = head.add(headLo);
        Expr lo = headLo.sub(hi.sub(head));
        // odd quadrant: -1 / (hi + lo) = a (1 + e) with a = -1/hi and e = 1 + a (hi + lo)
        Expr a = c(-1).div(hi);
        Expr e = Expr.fma(a, hi, c(1)).add(a.mul(lo));
        Expr odd = reduced.quadrantBits().and(Expr.bits(1)).ne(Expr.bits(0));
        Expr result = Expr.select(odd, Expr.fma(a, e, a), hi);
        return Expr.select(x.eq(c(0)), x, result);
    }

    /** The largest {@code |x|} the reduction handles accurately; beyond it results are in [-1, 1] but arbitrary. */
    public static double reductionLimit(DType dtype) {
        return Constants.of(dtype, "reductionLimit").limit;
    }

    /**
     * The coefficients of one dtype. {@code p1 + p2 + p3} is pi/2 to 72 (float32) or 160 (float64) bits, each part
     * rounded to the dtype; {@code s} are the coefficients of {@code (sin r - r) / r^3} in {@code r^2} and
     * {@code c} those of {@code (cos r - 1 + r^2/2) / r^4}.
     */
    private record Constants(int width, double magic, double twoOverPi, double p1, double p2, double p3,
                             double limit, double[] s, double[] c, double[] t) {
        static final Constants FLOAT32 = new Constants(32, 0x1.8p23, 0x1.45f306p-1,
                0x1.921fb6p0, -0x1.777a5cp-25, -0x1.ee59dap-50, 0x1.0p21,
                // musl __sindf.c (minimax, |error| < 2^-37.5 in double; about 0.06 ulp once rounded to float)
                new double[] {-0x15555554cbac77.0p-55, 0x111110896efbb2.0p-59, -0x1a00f9e2cae774.0p-65,
                        0x16cd878c3b46a7.0p-71},
                // Taylor: 1/4!, -1/6!, 1/8!, -1/10! (the next term is below 0.01 ulp on [-pi/4, pi/4])
                new double[] {1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800},
                // (tan r - r) / r^3 in r^2 for |r| <= 0.875 (the reduction's |r| reaches 0.87 near the limit: 2/pi
                // in float is 2.6e-8 off): interpolation at 9 Chebyshev nodes of 90-digit BigDecimal tan, error
                // 2^-25.0 relative once rounded to float (times r^3 < 0.3 tan r)
                new double[] {0x1.555556p-2, 0x1.111108p-3, 0x1.ba20a8p-5, 0x1.65caeep-6, 0x1.292bc4p-7,
                        0x1.75b24p-9, 0x1.86f59p-9, -0x1.2ddf84p-10, 0x1.34b112p-10});
        static final Constants FLOAT64 = new Constants(64, 0x1.8p52, 0x1.45f306dc9c883p-1,
                0x1.921fb54442d18p0, 0x1.1a62633145c07p-54, -0x1.f1976b7ed8fbcp-110, 0x1.0p46,
                // fdlibm k_sin.c S1..S6
                new double[] {-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
                        2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10},
                // fdlibm k_cos.c C1..C6
                new double[] {4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
                        -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11},
                // the same for |r| <= 0.79 at 16 nodes (error 2^-54.0 relative once rounded to double)
                new double[] {0x1.5555555555555p-2, 0x1.111111111111dp-3, 0x1.ba1ba1ba1a09dp-5, 0x1.664f48836bdb2p-6,
                        0x1.226e3538f50cep-7, 0x1.d6d3dacae3d7ep-9, 0x1.7da288ae1a3c6p-10, 0x1.35653a4b1397ep-11,
                        0x1.f461f6e7bbdf2p-13, 0x1.9f2b19872d7b9p-14, 0x1.18022d5cf837cp-15, 0x1.d793e7c33cf57p-16,
                        -0x1.809908e1cdd86p-17, 0x1.598006b804ba7p-16, -0x1.589350548a466p-17,
                        0x1.10e34fa93d576p-18});

        static Constants of(DType dtype, String function) {
            return FloatingDtypes.choose(dtype, function, FLOAT32, FLOAT64);
        }
    }

    private static Expr c(double value) {
        return Expr.constant(value);
    }

    /**
     * {@code x - n pi/2} as the float-float {@code rh + rl} in {@code [-pi/4, pi/4]}, and {@code quadrantBits}: BITS
     * whose two low bits are {@code n mod 4}.
     */
    private record Reduction(Expr rh, Expr rl, Expr quadrantBits) {
    }

    /** {@code sin(x)} when {@code offset} is 0, {@code cos(x)} when it is 1 (a quarter turn later). */
    private static Expr sinCos(Expr x, Constants k, int offset) {
        Reduction reduced = reduce(x, k);
        Expr rh = reduced.rh();
        Expr rl = reduced.rl();
        Expr quadrant = reduced.quadrantBits().add(Expr.bits(offset));
        // 3. kernels on [-pi/4, pi/4] (fdlibm __kernel_sin, __kernel_cos with the tail rl)
        Expr z = rh.mul(rh);
        Expr v = z.mul(rh);
        Expr sinTail = Polynomials.lowestFirst(z, k.s, 1);
        Expr sine = rh.sub(z.mul(c(0.5).mul(rl).sub(v.mul(sinTail))).sub(rl).sub(v.mul(c(k.s[0]))));
        Expr halfZ = c(0.5).mul(z);
        Expr w = c(1).sub(halfZ);
        Expr cosTail = z.mul(z).mul(Polynomials.lowestFirst(z, k.c, 0));
        Expr cosine = w.add(c(1).sub(w).sub(halfZ).add(cosTail.sub(rh.mul(rl))));
        // 4. quadrant: odd picks the other kernel, bit 1 flips the sign
        Expr odd = quadrant.and(Expr.bits(1)).ne(Expr.bits(0));
        Expr value = Expr.select(odd, cosine, sine);
        Expr sign = quadrant.and(Expr.bits(2)).shiftLeft(k.width - 2);
        Expr result = value.reinterpret().xor(sign).reinterpret();
        // sin(-0) = -0: the kernel's sum rounds -0 + 0 to +0
        return offset == 0 ? Expr.select(x.eq(c(0)), x, result) : result;
    }

    /** Steps 1 and 2 of the recipe: the quadrant and the reduced argument, shared by sin, cos and tan. */
    private static Reduction reduce(Expr x, Constants k) {
        // 1. quadrant
        Expr t = Expr.fma(x, c(k.twoOverPi), c(k.magic));
        Expr n = t.sub(c(k.magic));
        // 2. r = x - n pi/2 as rh + rl
        Expr r1 = Expr.fma(n.neg(), c(k.p1), x);
        Expr dh = n.mul(c(k.p2));
        Expr dl = Expr.fma(n, c(k.p2), dh.neg());
        Expr sum = r1.sub(dh);
        Expr b = sum.sub(r1);
        Expr sumError = r1.sub(sum.sub(b)).sub(dh.add(b));
        Expr tail = Expr.fma(n.neg(), c(k.p3), sumError.sub(dl));
        // beyond the limit: stay finite and in [-1, 1] (min/max keep the NaN of an infinite x)
        Expr beyond = x.abs().gt(c(k.limit));
        Expr rh = Expr.select(beyond, sum.max(c(-Math.PI / 4)).min(c(Math.PI / 4)), sum);
        Expr rl = Expr.select(beyond, c(0), tail);
        return new Reduction(rh, rl, t.reinterpret());
    }
}
