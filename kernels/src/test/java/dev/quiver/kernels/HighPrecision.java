package dev.quiver.kernels;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Test helper: sin, cos, tan, atan, atan2 and erf of a double to about 45 significant digits with BigDecimal
 * (Taylor series after an exact reduction by a 110-digit pi; atan after halvings), the reference the float64 formulas are measured against; and
 * {@link #erfDouble}, a plain double erf (relative error below 1e-12, checked against the BigDecimal one), fast
 * enough to be the float32 reference of a full sweep.
 *
 * <pre>{@code
 * BigDecimal s = HighPrecision.sin(1e10);   // sin(10^10) to ~45 digits
 * }</pre>
 */
final class HighPrecision {
    private static final MathContext MC = new MathContext(60, RoundingMode.HALF_EVEN);
    private static final BigDecimal PI = new BigDecimal("3.14159265358979323846264338327950288419716939937510"
            + "58209749445923078164062862089986280348253421170679821480865132823066470938446");
    private static final BigDecimal HALF_PI = PI.divide(BigDecimal.TWO, MC);
    private static final BigDecimal EPSILON = new BigDecimal("1e-50");

    private HighPrecision() {
    }

    static BigDecimal sin(double x) {
        return sinCos(x, 0);
    }

    static BigDecimal cos(double x) {
        return sinCos(x, 1);
    }

    /** sin(x + offset pi/2): reduce by the nearest multiple of pi/2 (exactly enough), then one Taylor series. */
    private static BigDecimal sinCos(double x, int offset) {
        BigDecimal exact = new BigDecimal(x);
        BigDecimal n = exact.divide(HALF_PI, MC).setScale(0, RoundingMode.HALF_EVEN);
        BigDecimal r = exact.subtract(n.multiply(HALF_PI, new MathContext(120)), MC);
        int quadrant = (n.toBigInteger().intValue() + offset) & 3;
        BigDecimal value = (quadrant & 1) == 0 ? series(r, 1) : series(r, 0);
        return (quadrant & 2) == 0 ? value : value.negate();
    }

    /** tan(x) = sin(x) / cos(x), both to ~45 digits. */
    static BigDecimal tan(double x) {
        return sin(x).divide(cos(x), MC);
    }

    /**
     * atan(v): {@code pi/2 - atan(1/v)} above 1, then halvings {@code atan(v) = 2 atan(v / (1 + sqrt(1 + v^2)))}
     * down to {@code |v| < 1/16}, then the Taylor series.
     */
    static BigDecimal atan(BigDecimal v) {
        if (v.signum() < 0) {
            return atan(v.negate()).negate();
        }
        if (v.compareTo(BigDecimal.ONE) > 0) {
            return HALF_PI.subtract(atan(BigDecimal.ONE.divide(v, MC)), MC);
        }
        int halvings = 0;
        while (v.compareTo(new BigDecimal("0.0625")) > 0) {
            v = v.divide(BigDecimal.ONE.add(BigDecimal.ONE.add(v.multiply(v, MC), MC).sqrt(MC), MC), MC);
            halvings++;
        }
        BigDecimal v2 = v.multiply(v, MC);
        BigDecimal power = v;
        BigDecimal sum = BigDecimal.ZERO;
        for (int m = 1; power.abs().compareTo(EPSILON) > 0; m += 2) {
            sum = sum.add(power.divide(BigDecimal.valueOf(m), MC), MC);
            power = power.multiply(v2, MC).negate();
        }
        return sum.multiply(BigDecimal.TWO.pow(halvings), MC);
    }

    /** atan2(y, x) for finite, not both zero, operands: the quadrant from the signs, the angle from y/x exactly. */
    static BigDecimal atan2(double y, double x) {
        if (x == 0) {
            return y > 0 ? HALF_PI : HALF_PI.negate();
        }
        BigDecimal angle = atan(new BigDecimal(y).divide(new BigDecimal(x), MC));
        if (x > 0) {
            return angle;
        }
        BigDecimal pi = HALF_PI.add(HALF_PI);
        return y >= 0 ? angle.add(pi, MC) : angle.subtract(pi, MC);
    }

    /** sum over i of (-1)^i r^(2i+first) / (2i+first)!: sin for first = 1, cos for first = 0. */
    private static BigDecimal series(BigDecimal r, int first) {
        BigDecimal r2 = r.multiply(r, MC);
        BigDecimal term = first == 1 ? r : BigDecimal.ONE;
        BigDecimal sum = term;
        for (int m = first + 2; term.abs().compareTo(EPSILON) > 0; m += 2) {
            term = term.multiply(r2, MC).divide(BigDecimal.valueOf(-(long) m * (m - 1)), MC);
            sum = sum.add(term, MC);
        }
        return sum;
    }

    /**
     * erf(x) = 2/sqrt(pi) sum over i of (-1)^i x^(2i+1) / (i! (2i+1)), in enough digits to absorb the series'
     * cancellation (its largest term is about e^(x^2)); +-1 for |x| above 6.5 (erfc(6.5) < 4e-20, far below
     * half an ulp of 1 in float64).
     */
    static BigDecimal erf(double x) {
        if (Math.abs(x) > 6.5) {
            return BigDecimal.valueOf(Math.signum(x));
        }
        MathContext mc = new MathContext(60 + (int) (x * x / 2.3));
        BigDecimal exact = new BigDecimal(x);
        BigDecimal x2 = exact.multiply(exact, mc).negate();
        BigDecimal power = exact;
        BigDecimal sum = exact;
        BigDecimal bound = EPSILON.multiply(exact.abs()).movePointLeft(20);
        for (int i = 1; ; i++) {
            power = power.multiply(x2, mc).divide(BigDecimal.valueOf(i), mc);
            BigDecimal term = power.divide(BigDecimal.valueOf(2L * i + 1), mc);
            sum = sum.add(term, mc);
            if (term.abs().compareTo(bound) < 0) {
                break;
            }
        }
        BigDecimal sqrtPi = PI.sqrt(mc);
        return sum.multiply(BigDecimal.TWO, mc).divide(sqrtPi, MC);
    }

    /**
     * erf in plain doubles: the Taylor series below 2.5 (its cancellation costs at most e^6.25, about 10 bits), and
     * above, {@code 1 - erfc} with erfc from its continued fraction
     * {@code e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))}, 200 levels deep; +-1 from
     * |x| = 6 on (erfc(6) < 2.2e-17).
     */
    static double erfDouble(double x) {
        double a = Math.abs(x);
        if (Double.isNaN(x)) {
            return x;
        }
        if (a < 2.5) {
            double term = x;
            double sum = x;
            for (int n = 1; Math.abs(term) > 1e-18 * Math.abs(sum); n++) {
                term = -term * x * x / n;
                sum += term / (2 * n + 1);
            }
            return sum * (2 / Math.sqrt(Math.PI));
        }
        if (a >= 6) {
            return Math.copySign(1.0, x);
        }
        double fraction = a;
        for (int n = 200; n >= 1; n--) {
            fraction = a + n / 2.0 / fraction;
        }
        double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / fraction;
        return Math.copySign(1 - erfc, x);
    }
}
