package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import org.junit.jupiter.api.Test;

class JavaScalarRendererTest {
    /** 2^k for integral k in float, built from bits as range reductions do: exercises every kind of node. */
    private static Expr scaleByPowerOfTwo(Expr x, int mantissaBits, long bias) {
        Expr magic = Expr.constant(mantissaBits == 23 ? 0x1.8p23 : 0x1.8p52);
        Expr rounded = x.add(magic);                                   // k in the low bits
        Expr k = rounded.reinterpret().sub(magic.reinterpret());       // BITS: k
        Expr twoToK = k.add(Expr.bits(bias)).shiftLeft(mantissaBits).reinterpret();
        return Expr.select(x.ne(x), x, twoToK);                        // NaN stays NaN
    }

    @Test
    void everyKindOfNodeRendersToJavaThatComputesTheSemanticsOfTheLanguage() {
        CompiledFormula.Float32Unary f32 = CompiledFormula.float32Unary(scaleByPowerOfTwo(Expr.input(0), 23, 127));
        CompiledFormula.Float64Unary f64 = CompiledFormula.float64Unary(scaleByPowerOfTwo(Expr.input(0), 52, 1023));
        for (int k = -126; k <= 127; k++) {
            assertEquals(Math.scalb(1f, k), f32.apply(k), "2^" + k);
        }
        for (int k = -1022; k <= 1023; k += 7) {
            assertEquals(Math.scalb(1.0, k), f64.apply(k), "2^" + k);
        }
        assertTrue(Float.isNaN(f32.apply(Float.NaN)));
    }

    @Test
    void sharedNodesAreComputedOnceAndFmaRoundsOnce() {
        Expr x = Expr.input(0);
        Expr square = x.mul(x);
        Expr formula = Expr.fma(x, x, square.neg());  // the rounding error of x*x: zero only without fusion
        String source = JavaScalarRenderer.method("f", formula, DType.FLOAT32, 1);
        assertEquals(1, source.split("x0 \\* x0", -1).length - 1, source);
        CompiledFormula.Float32Unary error = CompiledFormula.float32Unary(formula);
        float v = 1.1f;
        assertEquals(Math.fma(v, v, -(v * v)), error.apply(v));
        assertTrue(error.apply(v) != 0f);
    }

    @Test
    void minMaxFollowJavaOnNaNAndSignedZeroAndIntegersWrap() {
        Expr a = Expr.input(0);
        Expr b = Expr.input(1);
        CompiledFormula.Float64Binary max = CompiledFormula.float64Binary(a.max(b));
        assertEquals(0.0, max.apply(-0.0, 0.0));
        assertTrue(Double.isNaN(max.apply(Double.NaN, 1.0)));
        String wrap = JavaScalarRenderer.method("f", a.add(b), DType.INT32, 2);
        assertTrue(wrap.contains("static int f(int x0, int x1)"), wrap);
    }

    @Test
    void illTypedNodesAreRejectedWhenBuilt() {
        Expr x = Expr.input(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.shiftLeft(3));
        assertTrue(e.getMessage().contains("SHL"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.lt(x).add(x.lt(x)));
        assertThrows(IllegalArgumentException.class, () -> Expr.select(x, x, x));
    }
}
