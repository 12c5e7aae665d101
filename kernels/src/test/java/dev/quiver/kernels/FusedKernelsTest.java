package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.FusedElementwise.Step;
import dev.quiver.spi.Primitive;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FusedKernelsTest {
    private static final DType F32 = DType.FLOAT32;

    /** (x * y) + z, then (x * y) < z: two steps that a contracting compiler would turn into one fma. */
    private static FusedElementwise multiplyAdd() {
        return new FusedElementwise(List.of(F32, F32, F32), List.of(
                new Step(Primitive.MUL, new int[] {0, 1}, F32),
                new Step(Primitive.ADD, new int[] {3, 2}, F32),
                new Step(Primitive.LESS, new int[] {3, 2}, DType.BOOL)), new int[] {4, 5});
    }

    @Test
    void theSameKernelRendersTheSameSourceUnderANameHashedFromItsCanonicalText() {
        KernelSource first = FusedKernels.source(multiplyAdd(), 0, 0, Map.of());
        KernelSource second = FusedKernels.source(multiplyAdd(), 0, 0, Map.of());
        assertEquals(first, second);
        assertTrue(first.name().matches("fused_[0-9a-f]{12}_c"), first.name());
        assertTrue(first.body().contains("KERNEL void " + first.name() + "("), first.body());
        assertEquals(first.name().replace("_c", "_v2_s3"), FusedKernels.source(multiplyAdd(), 0b100, 3,
                Map.of()).name());
        FusedElementwise other = new FusedElementwise(List.of(F32, F32, F32), List.of(
                new Step(Primitive.MUL, new int[] {0, 1}, F32),
                new Step(Primitive.ADD, new int[] {3, 1}, F32)), new int[] {4});
        assertNotEquals(first.name(), FusedKernels.source(other, 0, 0, Map.of()).name());
    }

    @Test
    void eachStepCallsTheUnfusedOpsOwnFunctionAndNothingContractsThem() {
        KernelSource source = FusedKernels.source(multiplyAdd(), 0, 0, Map.of());
        String body = source.body();
        // the very functions the unfused kernels call, once each, and one rounded statement per step
        assertTrue(body.contains(ElementwiseKernels.function("mul_f32", Primitive.MUL, F32, false)), body);
        assertTrue(body.contains(ElementwiseKernels.function("add_f32", Primitive.ADD, F32, false)), body);
        assertEquals(1, count(body, "DEVICE_FN q_f32 q_mul_f32("), body);
        assertTrue(body.contains("q_f32 r3 = q_mul_f32(x0, x1);\n"), body);
        assertTrue(body.contains("q_f32 r4 = q_add_f32(r3, x2);\n"), body);
        assertTrue(body.contains("q_u8 r5 = q_less_f32(r3, x2);\n"), body);
        assertTrue(body.contains("out0[at_out0] = (q_f32) (r4);") && body.contains("out1[at_out1] = (q_u8) (r5);"),
                body);
        assertFalse(body.contains("fma("), "no fma unless a formula says fma:\n" + body);
        assertFalse(body.contains("FP_CONTRACT"), "the program leaves the prelude's FP_CONTRACT OFF alone");
        String opencl = Dialect.OPENCL.render(source);
        assertTrue(opencl.indexOf("#pragma OPENCL FP_CONTRACT OFF") < opencl.indexOf(body), opencl);
        // every input is read before any output is written, so an output may alias an input (in-place updates)
        assertTrue(body.lastIndexOf("= in2[at2];") < body.indexOf("out0[at_out0] ="), body);
    }

    @Test
    void theStridedKernelWalksOutputsAndInputsButNotInputsTakenByValue() {
        String body = FusedKernels.source(multiplyAdd(), 0b010, 2, Map.of()).body();
        assertTrue(body.contains("q_f32 in1_value"), body);
        assertFalse(body.contains("in1_stride"), body);
        for (String stride : List.of("out0_stride1", "out1_stride1", "in0_stride1", "in2_stride1")) {
            assertTrue(body.contains("q_i64 " + stride), stride + "\n" + body);
        }
    }

    @Test
    void anIntegerDivisionInTheChainReportsThroughTheStatusWord() {
        FusedElementwise kernel = new FusedElementwise(List.of(DType.INT64, DType.INT64), List.of(
                new Step(Primitive.ADD, new int[] {0, 1}, DType.INT64),
                new Step(Primitive.DIV, new int[] {0, 1}, DType.INT64),
                new Step(Primitive.NEG, new int[] {3}, DType.INT64)), new int[] {2, 4});
        assertTrue(FusedKernels.usesStatus(kernel));
        String body = FusedKernels.source(kernel, 0, 0, Map.of()).body();
        assertTrue(body.contains(ElementwiseKernels.divisionHelper(DType.INT64)), body);
        assertTrue(body.contains("q_i64 r3 = q_div_i64(x0, x1, status);"), body);
        assertTrue(body.contains(", GLOBAL q_i32* status"), body);
        // output 0 (x + y) does not depend on the division; output 1 does, and on both inputs
        assertFalse(FusedKernels.reachesStatus(kernel, 2));
        assertTrue(FusedKernels.reachesStatus(kernel, 4));
        assertArrayEquals(new boolean[] {true, true}, FusedKernels.inputsReaching(kernel, 4));
        assertArrayEquals(new boolean[] {false, true}, FusedKernels.inputsReaching(kernel, 1));
        assertFalse(FusedKernels.usesStatus(multiplyAdd()));
    }

    @Test
    void castsAreTheCopyKernelsConversion() {
        FusedElementwise kernel = new FusedElementwise(List.of(DType.FLOAT64), List.of(
                new Step(Primitive.CAST, new int[] {0}, DType.INT32),
                new Step(Primitive.CAST, new int[] {1}, DType.BOOL)), new int[] {2});
        String body = FusedKernels.source(kernel, 0, 0, Map.of()).body();
        assertTrue(body.contains("return " + ElementwiseKernels.castExpression(DType.FLOAT64, DType.INT32) + ";"),
                body);
        assertTrue(body.contains("q_u8 r2 = q_cast_i32_b8(r1);"), body);
    }

    @Test
    void aStepThatReadsTheWrongDtypeIsRefusedNamingIt() {
        FusedElementwise kernel = new FusedElementwise(List.of(F32, DType.FLOAT64), List.of(
                new Step(Primitive.ADD, new int[] {0, 1}, F32)), new int[] {2});
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> FusedKernels.source(kernel, 0, 0, Map.of()));
        assertTrue(error.getMessage().startsWith("fused: step 0 (add[0, 1]:float32) of fused(float32,float64; "),
                error.getMessage());
        assertTrue(error.getMessage().contains("reads a float64 register as operand 1"), error.getMessage());
        FusedElementwise wrongResult = new FusedElementwise(List.of(F32, F32), List.of(
                new Step(Primitive.LESS, new int[] {0, 1}, F32)), new int[] {2});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedKernels.source(wrongResult, 0, 0,
                Map.of())).getMessage().contains("declares float32, but less on float32 gives bool"));
    }

    @Test
    void aFusedReductionIsReduceQkBehindThePrologueOfTheChain() {
        LaunchPlanner planner = new LaunchPlanner(new DeviceLimits(1024, 132, true, false));
        KernelSource plain = planner.reduceSource(Primitive.SUM, F32);
        assertTrue(plain.body().contains("#ifndef ACCUMULATORS"), "the plain reduction defines its own prologue");
        FusedElementwise kernel = new FusedElementwise(List.of(F32, F32, F32), List.of(
                new Step(Primitive.MUL, new int[] {0, 1}, F32),
                new Step(Primitive.ADD, new int[] {3, 2}, F32)), new int[] {4});
        KernelSource fused = FusedKernels.reduceSource(kernel, 0b010, new Primitive[] {Primitive.SUM}, "fused_sum",
                Map.of("WG", "256"));
        String body = fused.body();
        assertTrue(body.endsWith(plain.body()), "reduce.qk follows the prologue unchanged");
        assertTrue(body.contains("#define VISIT(r) \\\n    q_f32 x0 = in0[at0 + (r) * in0_stride1]; \\\n"
                + "    q_f32 x1 = in1_value; \\\n    q_f32 x2 = in2[at2 + (r) * in2_stride1]; \\\n"
                + "    q_f32 r3 = q_mul_f32(x0, x1); \\\n    q_f32 r4 = q_add_f32(r3, x2); \\\n"
                + "    acc0 = Q_COMBINE_SUM(acc0, r4)\n"), body);
        assertTrue(body.contains("#define INPUTS GLOBAL const q_f32* in0, q_i64 in0_offset, q_i64 in0_stride0, "
                + "q_i64 in0_stride1, q_i64 in0_stride2, q_f32 in1_value, GLOBAL const q_f32* in2"), body);
        assertTrue(body.contains("#define OUTPUTS GLOBAL q_f32* out0, q_i64 out0_offset\n"), body);
        assertTrue(body.contains("#define ACCUMULATORS(X) X(0, q_f32, q_f32, Q_COMBINE_SUM, 0)\n"), body);
        assertEquals(Map.of("WG", "256"), fused.defines());
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.reduceSource(kernel, 0, new Primitive[0],
                "no reduction", plain.defines()));
        assertThrows(IllegalArgumentException.class, () -> FusedKernels.reduceSource(kernel, 0,
                new Primitive[] {Primitive.SUM, Primitive.SUM}, "two reductions of one output", plain.defines()));
    }

    /**
     * Sibling reductions and written outputs: the chain is rendered once, each reduction combines its register into an
     * accumulator of its own (of its dtype, op and identity), each written output stores its register as {@code
     * fused} does, into the contiguous block.
     */
    @Test
    void siblingReductionsShareOneVisitOfTheChain() {
        FusedElementwise kernel = new FusedElementwise(multiplyAdd().inputTypes(), multiplyAdd().steps(),
                new int[] {4, 3, 5, 4});
        String body = FusedKernels.reduceSource(kernel, 0, new Primitive[] {Primitive.SUM, Primitive.MAX}, "siblings",
                Map.of("WG", "64")).body();
        assertEquals(1, count(body, "q_f32 r3 = q_mul_f32(x0, x1);"), body);
        assertEquals(1, count(body, "q_u8 r5 = q_less_f32(r3, x2);"), body);
        assertTrue(body.contains("#define ACCUMULATORS(X) X(0, q_f32, q_f32, Q_COMBINE_SUM, 0) "
                + "X(1, q_f32, q_f32, Q_COMBINE_MAX_FLOATING, (-Q_INFINITY_F32))\n"), body);
        assertTrue(body.contains("acc0 = Q_COMBINE_SUM(acc0, r4); \\\n    acc1 = Q_COMBINE_MAX_FLOATING(acc1, r3); "
                + "\\\n    out2[out2_offset + at_out + (r) * inner] = (q_u8) (r5); \\\n"
                + "    out3[out3_offset + at_out + (r) * inner] = (q_f32) (r4)\n"), body);
        assertTrue(body.contains("#define OUTPUTS GLOBAL q_f32* out0, q_i64 out0_offset, GLOBAL q_f32* out1, "
                + "q_i64 out1_offset, GLOBAL q_u8* out2, q_i64 out2_offset, GLOBAL q_f32* out3, q_i64 out3_offset\n"),
                body);
        assertTrue(body.contains("#define ROW(o, i) q_i64 at0 = in0_offset + (o) * in0_stride0 + (i) * in0_stride2;"
                + " q_i64 at1 = in1_offset + (o) * in1_stride0 + (i) * in1_stride2; q_i64 at2 = in2_offset + (o) * "
                + "in2_stride0 + (i) * in2_stride2; q_i64 at_out = (o) * reduced * inner + (i)\n"), body);
        // an integer MIN needs no NaN test
        FusedElementwise ints = new FusedElementwise(List.of(DType.INT64), List.of(), new int[] {0});
        assertTrue(FusedKernels.reduceSource(ints, 0, new Primitive[] {Primitive.MIN}, "min", Map.of()).body()
                .contains("X(0, q_i64, q_i64, Q_COMBINE_MIN, 9223372036854775807L)"));
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }
}
