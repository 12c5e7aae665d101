package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Expr;
import dev.quiver.spi.Primitive;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CRendererTest {
    private static final List<String> XYZ = List.of("x0", "x1", "x2");

    private static String render(Expr root, DType dtype, StringBuilder out) {
        return CRenderer.statements(root, dtype, XYZ, out, "");
    }

    @Test
    void oneStatementPerNodeAndSharedNodesOnce() {
        Expr x = Expr.input(0);
        Expr product = x.mul(Expr.input(1));
        StringBuilder out = new StringBuilder();
        String result = render(Expr.fma(product, product, Expr.input(2)), DType.FLOAT32, out);
        assertEquals("q_f32 t2 = x0 * x1;\nq_f32 t4 = fma(t2, t2, x2);\n", out.toString());
        assertEquals("t4", result);
    }

    @Test
    void integerArithmeticWrapsThroughTheUnsignedTwin() {
        StringBuilder out = new StringBuilder();
        render(Expr.input(0).add(Expr.input(1)).neg(), DType.INT64, out);
        assertEquals("q_i64 t2 = (q_i64) ((q_u64) x0 + (q_u64) x1);\nq_i64 t3 = (q_i64) ((q_u64) 0 - (q_u64) t2);\n",
                out.toString());
        StringBuilder bits = new StringBuilder();
        render(Expr.input(0).reinterpret().add(Expr.bits(1)).shiftLeft(3), DType.FLOAT32, bits);
        assertTrue(bits.toString().contains("q_i32 t1 = q_bits_f32(x0);"), bits.toString());
        assertTrue(bits.toString().contains("(q_i32) ((q_u32) t1 + (q_u32) (1))"), bits.toString());
        assertTrue(bits.toString().contains("<< (q_u32) ((3) & 31)"), bits.toString());
    }

    @Test
    void constantsAreHexLiteralsAndNonFiniteOnesAreBitPatterns() {
        assertEquals("(0x1.99999ap-4f)", CRenderer.valueLiteral(0.1, DType.FLOAT32));
        assertEquals("(0x1.999999999999ap-4)", CRenderer.valueLiteral(0.1, DType.FLOAT64));
        assertEquals("q_value_f32((2139095040))", CRenderer.valueLiteral(Double.POSITIVE_INFINITY, DType.FLOAT32));
        assertEquals("(-2147483647 - 1)", CRenderer.bitsLiteral(Integer.MIN_VALUE, DType.INT32));
        assertEquals("((q_i64) (((q_u64) 2147483648u << 32) | (q_u64) 0u))",
                CRenderer.bitsLiteral(Long.MIN_VALUE, DType.INT64));
    }

    @Test
    void minAndMaxAreMathMinAndMaxNotFmin() {
        StringBuilder out = new StringBuilder();
        render(Expr.input(0).max(Expr.input(1)), DType.FLOAT32, out);
        String max = out.toString();
        assertFalse(max.contains("fmax"), max);
        assertTrue(max.contains("x0 != x0 ? x0 : x1 != x1 ? x1"), "NaN in, NaN out: " + max);
        assertTrue(max.contains("q_bits_f32(x0) & q_bits_f32(x1)"), "max(-0.0, +0.0) is +0.0: " + max);
    }

    @Test
    void integerDivisionTakesTheStatusWord() {
        Expr quotient = ElementwiseOps.of(Primitive.DIV).formula(DType.INT32);
        assertTrue(CRenderer.dividesIntegers(quotient, DType.INT32));
        assertFalse(CRenderer.dividesIntegers(quotient, DType.FLOAT32));
        StringBuilder out = new StringBuilder();
        render(quotient, DType.INT32, out);
        assertEquals("q_i32 t2 = q_div_q_i32(x0, x1, status);\n", out.toString());
    }

    @Test
    void kernelsCallTheRenderedFunction() {
        KernelSource sign = ElementwiseKernels.source(Primitive.SIGN, List.of(DType.FLOAT64), DType.FLOAT64, Map.of());
        assertTrue(sign.body().contains("DEVICE_FN q_f64 q_sign_f64(q_f64 x0) {"), sign.body());
        assertTrue(sign.body().contains("out[at_out] = (q_f64) (q_sign_f64(x0));"), sign.body());
        KernelSource where = ElementwiseKernels.source(Primitive.WHERE, List.of(DType.BOOL, DType.BOOL, DType.BOOL),
                DType.BOOL, Map.of());
        assertTrue(where.body().contains("DEVICE_FN q_u8 q_where_b8(q_u8 x0, q_u8 x1, q_u8 x2) {"), where.body());
        // exp is Quiver's own formula: fma steps, no call of the platform's exp()
        KernelSource exp = ElementwiseKernels.source(Primitive.EXP, List.of(DType.FLOAT32), DType.FLOAT32, Map.of());
        assertFalse(exp.body().contains("exp("), exp.body());
        assertTrue(exp.body().contains("= fma("), exp.body());
    }

    @Test
    void bothPreludesDefineTheReinterpretHelpersAndOpenClStopsContraction() throws IOException {
        String opencl = resource("prelude-opencl.h");
        String cuda = resource("prelude-cuda.h");
        assertTrue(opencl.contains("#pragma OPENCL FP_CONTRACT OFF"), opencl);
        for (String helper : List.of("q_bits_f32", "q_value_f32", "q_bits_f64", "q_value_f64")) {
            assertTrue(opencl.contains("#define " + helper + "("), helper);
            assertTrue(cuda.contains("#define " + helper + "("), helper);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ElementwiseKernels.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
