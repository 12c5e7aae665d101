package dev.quiver.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.backend.cpu.CpuBackend;
import dev.quiver.kernels.ElementwiseKernels;
import dev.quiver.conformance.BackendConformance;
import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every op of the table, on every dtype it defines, gives the same bits on OpenCL as on the CPU (its generated
 * SIMD rows and scalar twins): both are rendered from one formula, one statement per node, with no contraction.
 * Inputs mix NaN, signed zeros, infinities, subnormals and integer extremes. NaN payloads are not compared (Java
 * does not promise them). This includes the transcendentals (exp, log, sin, cos, tan, atan, atan2, tanh, pow, erf,
 * log1p, expm1, softplus): PoCL honours fma and IEEE rounding, so Quiver's own formulas give the same bits there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TableBitsAcrossBackendsTest {
    private static final int N = 1031;   // odd: leaves SIMD tails and partial work-groups
    private OpenClBackend opencl;
    private final CpuBackend cpu = new CpuBackend();

    @BeforeAll
    void open() {
        BackendConformance.assumeRunnable("opencl", true);
        opencl = new OpenClBackend(OpenClDevice.choose(OpenClDevice.all(), true).device(), true);
    }

    @AfterAll
    void close() {
        if (opencl != null) {
            opencl.close();
        }
    }

    private static Object values(long seed, DType dtype, boolean nonZero) {
        Random random = new Random(seed);
        double[] special = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1, -1,
                Double.MIN_VALUE, Float.MIN_VALUE, -1e300, 3.5e38};
        Object array = switch (dtype) {
            case FLOAT32 -> new float[N];
            case FLOAT64 -> new double[N];
            case INT32 -> new int[N];
            case INT64 -> new long[N];
            case BOOL -> new boolean[N];
        };
        for (int i = 0; i < N; i++) {
            double v = random.nextInt(4) == 0 ? special[random.nextInt(special.length)] : random.nextGaussian() * 4;
            long integer = random.nextInt(8) == 0 ? (random.nextBoolean() ? Long.MIN_VALUE : -1)
                    : Math.round(v * 100);
            if (nonZero && integer == 0) {
                integer = 7;
            }
            switch (dtype) {
                case FLOAT32 -> ((float[]) array)[i] = (float) v;
                case FLOAT64 -> ((double[]) array)[i] = v;
                case INT32 -> ((int[]) array)[i] = integer == Long.MIN_VALUE ? Integer.MIN_VALUE : (int) integer;
                case INT64 -> ((long[]) array)[i] = integer;
                case BOOL -> ((boolean[]) array)[i] = random.nextBoolean();
            }
        }
        return array;
    }

    private static Object run(Backend backend, ElementwiseOps.Definition definition, DType dtype, List<Object> inputs) {
        List<StridedView> views = new ArrayList<>();
        for (Object input : inputs) {
            views.add(StridedView.contiguous(backend.upload(input), N));
        }
        DeviceBuffer out = backend.allocate(definition.resultDtype(dtype), N);
        StridedView target = StridedView.contiguous(out, N);
        switch (definition.arity()) {
            case 1 -> backend.unary(definition.op(), views.get(0), target);
            case 2 -> backend.binary(definition.op(), views.get(0), views.get(1), target);
            default -> backend.where(views.get(0), views.get(1), views.get(2), target);
        }
        return backend.download(out, 0, N);
    }

    @Test
    void everyFormulaGivesTheCpusBitsOnOpenCl() {
        int compared = 0;
        for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
            for (DType dtype : DType.values()) {
                if (!definition.supports(dtype)) {
                    continue;
                }
                List<Object> inputs = new ArrayList<>();
                for (int i = 0; i < definition.arity(); i++) {
                    boolean condition = definition.op() == Primitive.WHERE && i == 0;
                    // a zero divisor of an integer division is an error, not bits (div, floor_div, mod)
                    boolean divisor = i == 1 && ElementwiseKernels.usesStatus(definition.op(), dtype);
                    inputs.add(values(31L * i + dtype.ordinal(), condition ? DType.BOOL : dtype, divisor));
                }
                Object expected = run(cpu, definition, dtype, inputs);
                Object actual = run(opencl, definition, dtype, inputs);
                String what = definition.op().opName() + " " + dtype;
                for (int i = 0; i < N; i++) {
                    assertEquals(bits(expected, i), bits(actual, i), what + " element " + i + ": cpu "
                            + value(expected, i) + ", opencl " + value(actual, i) + " from " + operands(inputs, i));
                }
                compared++;
            }
        }
        assertTrue(compared >= 40, "op x dtype pairs compared: " + compared);
    }

    private static long bits(Object array, int i) {
        return switch (array) {
            case float[] f -> Float.floatToIntBits(f[i]);
            case double[] d -> Double.doubleToLongBits(d[i]);
            case int[] v -> v[i];
            case long[] v -> v[i];
            case boolean[] b -> b[i] ? 1 : 0;
            default -> throw new AssertionError(array);
        };
    }

    private static String value(Object array, int i) {
        return switch (array) {
            case float[] f -> Float.toString(f[i]);
            case double[] d -> Double.toString(d[i]);
            case int[] v -> Integer.toString(v[i]);
            case long[] v -> Long.toString(v[i]);
            case boolean[] b -> Boolean.toString(b[i]);
            default -> throw new AssertionError(array);
        };
    }

    private static String operands(List<Object> inputs, int i) {
        List<String> values = new ArrayList<>();
        for (Object input : inputs) {
            values.add(value(input, i));
        }
        return values.toString();
    }
}
