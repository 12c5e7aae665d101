package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.TestSupport.LENGTHS;
import static dev.quiver.backend.cpu.TestSupport.SCALAR;
import static dev.quiver.backend.cpu.TestSupport.SIMD;
import static dev.quiver.backend.cpu.TestSupport.buffer;
import static dev.quiver.backend.cpu.TestSupport.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quiver.DType;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The kernels generated from the op table, walked from the table: every op has a CPU kernel on every dtype the
 * table defines, and every generated SIMD row (float32, float64; 128, 256 and 512 bits) gives its scalar twin's
 * bits, at lengths that leave tails and with each input broadcast, on inputs with NaN, signed zeros, infinities
 * and subnormals. (NaN payloads are not compared: Java does not promise them.)
 */
class GeneratedElementwiseTest {
    private static final DType[] FLOATING = {DType.FLOAT32, DType.FLOAT64};

    /** Random values with every special value mixed in, so Math.min/max and sign edge cases occur in every row. */
    private static double[] values(Random random, int n, DType dtype, Primitive op) {
        double[] special = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1, -1,
                Double.MIN_VALUE, -Float.MIN_VALUE, 1e300, -3.5, 0.5};
        double[] values = new double[n];
        boolean positive = op == Primitive.POW;
        for (int i = 0; i < n; i++) {
            double v = random.nextInt(4) == 0 ? special[random.nextInt(special.length)]
                    : (random.nextDouble() * 8 - 4);
            if (positive) {
                v = Math.abs(v);
            }
            values[i] = dtype.isFloating() ? v : Math.rint(v * 10);
        }
        return values;
    }

    private static CpuBuffer input(boolean mask, DType dtype, double[] values) {
        return buffer(mask ? DType.BOOL : dtype, values);
    }

    /** Runs {@code op} on {@code backend} with input {@code broadcast} (or none: -1) as a stride-0 scalar. */
    private static CpuBuffer run(CpuBackend backend, ElementwiseOps.Definition definition, DType dtype,
                                 List<CpuBuffer> inputs, int broadcast, int n) {
        List<StridedView> views = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            views.add(i == broadcast ? new StridedView(inputs.get(i), new int[] {n}, new long[] {0}, 0)
                    : StridedView.contiguous(inputs.get(i), n));
        }
        CpuBuffer out = CpuBuffer.allocate(definition.resultDtype(dtype), n);
        StridedView target = StridedView.contiguous(out, n);
        switch (definition.arity()) {
            case 1 -> backend.unary(definition.op(), views.get(0), target);
            case 2 -> backend.binary(definition.op(), views.get(0), views.get(1), target);
            default -> backend.where(views.get(0), views.get(1), views.get(2), target);
        }
        return out;
    }

    private static boolean[] maskInputs(ElementwiseOps.Definition definition, DType dtype) {
        boolean[] masks = new boolean[definition.arity()];
        if (definition.op() == Primitive.WHERE) {
            masks[0] = true;
        }
        if (dtype == DType.BOOL) {
            java.util.Arrays.fill(masks, true);
        }
        return masks;
    }

    @Test
    void everyTableOpRunsOnEveryDtypeTheTableDefines() {
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            for (DType dtype : DType.values()) {
                if (!definition.supports(dtype)) {
                    continue;
                }
                boolean[] masks = maskInputs(definition, dtype);
                List<CpuBuffer> inputs = new ArrayList<>();
                for (int i = 0; i < definition.arity(); i++) {
                    inputs.add(input(masks[i], dtype, new double[] {1, 2, 3}));
                }
                CpuBuffer out = run(SCALAR, definition, dtype, inputs, -1, 3);
                assertEquals(definition.resultDtype(dtype), out.dtype(), definition.op() + " " + dtype);
            }
        }
    }

    /**
     * HotSpot does not JIT-compile a method of more than 8000 bytes of bytecode (DontCompileHugeMethods): a
     * generated row that long would run interpreted, its vectors boxed. pow, the largest formula, must fit.
     */
    @Test
    void everyGeneratedMethodIsSmallEnoughForTheJit() throws java.io.IOException {
        for (String name : List.of("Float32Elementwise", "Float64Elementwise", "ScalarElementwise")) {
            try (java.io.InputStream in = GeneratedElementwiseTest.class.getResourceAsStream(name + ".class")) {
                java.lang.classfile.ClassModel model = java.lang.classfile.ClassFile.of().parse(in.readAllBytes());
                for (java.lang.classfile.MethodModel method : model.methods()) {
                    method.findAttribute(java.lang.classfile.Attributes.code()).ifPresent(code ->
                            assertTrue(code.codeLength() <= 8000, name + "." + method.methodName() + " has "
                                    + code.codeLength() + " bytes of bytecode"));
                }
            }
        }
    }

    @Test
    void integerDivisionByZeroNamesTheOp() {
        for (DType dtype : new DType[] {DType.INT32, DType.INT64}) {
            ArithmeticException error = org.junit.jupiter.api.Assertions.assertThrows(ArithmeticException.class,
                    () -> run(SCALAR, ElementwiseOps.of(Primitive.DIV), dtype,
                            List.of(buffer(dtype, new double[] {1, 2}), buffer(dtype, new double[] {1, 0})), -1, 2));
            assertTrue(error.getMessage().endsWith("div: integer division by zero on cpu"), error.getMessage());
        }
        // MIN / -1 wraps to MIN, as Java's int division does
        CpuBuffer quotient = run(SCALAR, ElementwiseOps.of(Primitive.DIV), DType.INT32,
                List.of(buffer(DType.INT32, new double[] {Integer.MIN_VALUE}), buffer(DType.INT32, new double[] {-1})),
                -1, 1);
        assertEquals(Integer.MIN_VALUE, ((int[]) quotient.array())[0]);
    }

    @Test
    void everySimdRowGivesItsTwinsBits() {
        assertFalse(SIMD.isEmpty(), "this CPU runs no SIMD width: nothing would be compared");
        Random random = new Random(9);
        int compared = 0;
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            for (DType dtype : FLOATING) {
                if (!definition.supports(dtype)) {
                    continue;
                }
                boolean[] masks = maskInputs(definition, dtype);
                for (int n : LENGTHS) {
                    if (n == 0) {
                        continue;
                    }
                    List<CpuBuffer> inputs = new ArrayList<>();
                    for (int i = 0; i < definition.arity(); i++) {
                        inputs.add(input(masks[i], dtype, values(random, n, dtype, definition.op())));
                    }
                    for (int broadcast = -1; broadcast < definition.arity(); broadcast++) {
                        CpuBuffer twin = run(SCALAR, definition, dtype, inputs, broadcast, n);
                        for (CpuBackend backend : SIMD) {
                            CpuBuffer simd = run(backend, definition, dtype, inputs, broadcast, n);
                            String what = definition.op().opName() + " " + dtype + " n=" + n + " broadcast input "
                                    + broadcast + " " + name(backend);
                            compare(what, definition, twin, simd);
                            compared++;
                        }
                    }
                }
            }
        }
        assertTrue(compared > 1000, "rows compared: " + compared);
    }

    private static void compare(String what, ElementwiseOps.Definition definition, CpuBuffer twin, CpuBuffer simd) {
        int n = (int) twin.length();
        for (int i = 0; i < n; i++) {
            long expected = bits(twin, i);
            long actual = bits(simd, i);
            if (expected == actual) {
                continue;
            }
            fail(what + ": element " + i + " twin " + ScalarKernels.readDouble(twin.dtype(), twin.array(), i)
                    + " simd " + ScalarKernels.readDouble(simd.dtype(), simd.array(), i));
        }
    }

    private static long bits(CpuBuffer buffer, int i) {
        return switch (buffer.dtype()) {
            case FLOAT32 -> Float.floatToIntBits(((float[]) buffer.array())[i]);
            case FLOAT64 -> Double.doubleToLongBits(((double[]) buffer.array())[i]);
            case BOOL -> ((boolean[]) buffer.array())[i] ? 1 : 0;
            default -> throw new AssertionError(buffer.dtype());
        };
    }
}
