package dev.quiver.spi.formulas;

import dev.quiver.spi.Expr;

/**
 * Horner's rule with one fma per step: the single polynomial evaluation every formula of this package uses, so
 * that every polynomial is evaluated with the same operations in the same order.
 *
 * <pre>{@code
 * Expr p = Polynomials.highestFirst(x, new double[] {3, 2, 1});   // fma(fma(3, x, 2), x, 1) = 3x^2 + 2x + 1
 * }</pre>
 */
final class Polynomials {
    private Polynomials() {
    }

    /** {@code c[0] x^(n-1) + ... + c[n-1]}: coefficients from the highest power down. */
    static Expr highestFirst(Expr x, double[] coefficients) {
        Expr p = Expr.constant(coefficients[0]);
        for (int i = 1; i < coefficients.length; i++) {
            p = Expr.fma(p, x, Expr.constant(coefficients[i]));
        }
        return p;
    }

    /** {@code c[from] + c[from+1] x + c[from+2] x^2 + ...}: coefficients from the lowest power up. */
    static Expr lowestFirst(Expr x, double[] coefficients, int from) {
        double[] highestFirst = new double[coefficients.length - from];
        for (int i = 0; i < highestFirst.length; i++) {
            highestFirst[i] = coefficients[coefficients.length - 1 - i];
        }
        return highestFirst(x, highestFirst);
    }
}
