package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiver.DType;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Primitive;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;

/**
 * The same op on the same input gives the same bits on every call of a run: cold (a freshly defined kernel class,
 * so its first calls run in the interpreter) and warm (after enough calls for C1 and C2 to compile the row). The
 * Vector API's own EXP/LOG/SIN... did not: their bits changed once the JIT replaced the Java fallback by an
 * intrinsic, so a seeded run was not reproducible. Quiver's transcendentals are table formulas made of exact
 * operations, so compilation cannot change a bit.
 */
class ColdWarmBitsTest {
    private static final int N = 1024;          // 1024 / lanes loop trips per call: C2 compiles within a few thousand
    private static final int WARM_CALLS = 4000;

    @Test
    void everyFloatingTableOpGivesTheSameBitsColdAndWarm() {
        int bits = VectorShape.preferredShape().vectorBitSize();
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            String kernel = dtype == DType.FLOAT32 ? "Float32Elementwise" : "Float64Elementwise";
            for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
                Primitive op = definition.op();
                if (!definition.supports(dtype) || op.producesBool() || definition.arity() == 3) {
                    continue;
                }
                // a fresh hidden class per op: its row starts cold whatever earlier tests ran
                Simd.FloatingRows rows = Simd.load(Simd.FloatingRows.class, kernel, bits);
                Object a = inputs(dtype, 1, op);
                Object b = inputs(dtype, 2, op);
                Object cold = run(rows, definition, a, b, dtype);
                Object warm = null;
                for (int call = 0; call < WARM_CALLS; call++) {
                    warm = run(rows, definition, a, b, dtype);
                }
                assertEquals(bitsOf(cold), bitsOf(warm), op.opName() + " " + dtype + ": cold and warm bits differ");
            }
        }
    }

    /**
     * A row SUM gives the same bits cold and warm. Its vector accumulators used to be added with
     * {@code reduceLanes(ADD)}, whose order is the JIT's: an eager loop and its compiled replay of the same calls then
     * differed in a last bit, depending on when C2 compiled the reduction.
     */
    @Test
    void aFloatingSumGivesTheSameBitsColdAndWarm() {
        int bits = VectorShape.preferredShape().vectorBitSize();
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            String kernel = dtype == DType.FLOAT32 ? "Float32Reductions" : "Float64Reductions";
            // lengths through the block paths: a short row, one block with a tail, two blocks side by side
            for (int n : new int[] {64, 1000, 5000}) {
                Simd.FloatingReductions sums = Simd.load(Simd.FloatingReductions.class, kernel, bits);
                java.util.Random random = new java.util.Random(n);
                double[] values = new double[n];
                for (int i = 0; i < n; i++) {
                    // magnitudes over many binades, both signs: the order of the additions shows in the last bit
                    values[i] = random.nextGaussian() * Math.pow(2, random.nextInt(40) - 20);
                }
                Object in = dtype == DType.FLOAT32 ? toFloats(values) : values;
                Object cold = sum(sums, in, n, dtype);
                Object warm = null;
                for (int call = 0; call < WARM_CALLS * 4; call++) {
                    warm = sum(sums, in, n, dtype);
                }
                assertEquals(bitsOf(cold), bitsOf(warm), "sum of " + n + " " + dtype + ": cold and warm bits differ");
            }
        }
    }

    private static Object sum(Simd.FloatingReductions sums, Object in, int n, DType dtype) {
        Object out = dtype == DType.FLOAT32 ? new float[1] : new double[1];
        sums.reduce(Primitive.SUM, in, 0, out, 0, 1, n, 1);
        return out;
    }

    private static float[] toFloats(double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }

    private static Object run(Simd.FloatingRows rows, ElementwiseOps.Definition definition, Object a, Object b,
                              DType dtype) {
        Object out = dtype == DType.FLOAT32 ? new float[N] : new double[N];
        if (definition.arity() == 1) {
            rows.unary(definition.op(), a, 0, 1, out, 0, N);
        } else {
            rows.binary(definition.op(), a, 0, 1, b, 0, 1, out, 0, N);
        }
        return out;
    }

    /** Values over several binades, positive for pow's base, with no NaN (NaN payloads are not promised). */
    private static Object inputs(DType dtype, int seed, Primitive op) {
        Random random = new Random(seed);
        double[] values = new double[N];
        for (int i = 0; i < N; i++) {
            double v = Math.scalb(random.nextDouble() + 0.5, random.nextInt(12) - 6);
            values[i] = op == Primitive.POW || random.nextBoolean() ? v : -v;
        }
        if (dtype == DType.FLOAT64) {
            return values;
        }
        float[] floats = new float[N];
        for (int i = 0; i < N; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }

    private static String bitsOf(Object array) {
        if (array instanceof float[] f) {
            int[] raw = new int[f.length];
            for (int i = 0; i < f.length; i++) {
                raw[i] = Float.floatToIntBits(f[i]);
            }
            return Arrays.toString(raw);
        }
        double[] d = (double[]) array;
        long[] raw = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            raw[i] = Double.doubleToLongBits(d[i]);
        }
        return Arrays.toString(raw);
    }
}
