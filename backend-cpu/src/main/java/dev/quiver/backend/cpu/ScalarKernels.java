package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;

/**
 * The scalar twins of the copy, fill, reduction and matmul kernels: plain, obvious loops over 1-D strided rows,
 * for every dtype. They are the reference the SIMD kernels are tested against, what runs when
 * {@code quiver.cpu.simd=0}, and the production path for int32, int64 and bool and for rows whose strides the SIMD
 * kernels do not handle. The elementwise ops' twins are generated from the op table ({@link ScalarElementwise}).
 *
 * <p>Reductions and matmul accumulate floats in {@code double} and round once to the dtype; int32 goes through
 * {@code long} and is narrowed by a cast, which wraps exactly as int arithmetic does.
 */
final class ScalarKernels {
    private ScalarKernels() {
    }

    static UnsupportedOperationException unsupported(Primitive op, String family) {
        return new UnsupportedOperationException("cpu: " + op.opName() + " is not defined on " + family + " values");
    }

    // ---------------------------------------------------------------- generic element access (casts, bool)

    static double readDouble(DType type, Object array, int index) {
        return switch (type) {
            case FLOAT32 -> ((float[]) array)[index];
            case FLOAT64 -> ((double[]) array)[index];
            case INT32 -> ((int[]) array)[index];
            case INT64 -> ((long[]) array)[index];
            case BOOL -> ((boolean[]) array)[index] ? 1 : 0;
        };
    }

    static long readLong(DType type, Object array, int index) {
        return switch (type) {
            case FLOAT32 -> (long) ((float[]) array)[index];
            case FLOAT64 -> (long) ((double[]) array)[index];
            case INT32 -> ((int[]) array)[index];
            case INT64 -> ((long[]) array)[index];
            case BOOL -> ((boolean[]) array)[index] ? 1 : 0;
        };
    }

    static boolean readTruth(DType type, Object array, int index) {
        return switch (type) {
            case FLOAT32 -> ((float[]) array)[index] != 0;
            case FLOAT64 -> ((double[]) array)[index] != 0;
            case INT32 -> ((int[]) array)[index] != 0;
            case INT64 -> ((long[]) array)[index] != 0;
            case BOOL -> ((boolean[]) array)[index];
        };
    }

    // ---------------------------------------------------------------- rows

    /**
     * Copies with conversion: float to int truncates toward zero (the Java cast), anything to bool is
     * {@code != 0}, bool to a number is 0 or 1. Integers convert to float32 directly (not through double,
     * which would round twice).
     */
    static void copyRow(DType inType, Object in, int io, int is, DType outType, Object out, int oo, int os, int n) {
        boolean floatingIn = inType.isFloating();
        switch (outType) {
            case FLOAT32 -> {
                float[] y = (float[]) out;
                for (int i = 0; i < n; i++) {
                    int at = io + i * is;
                    y[oo + i * os] = floatingIn ? (float) readDouble(inType, in, at) : (float) readLong(inType, in, at);
                }
            }
            case FLOAT64 -> {
                double[] y = (double[]) out;
                for (int i = 0; i < n; i++) {
                    int at = io + i * is;
                    y[oo + i * os] = floatingIn ? readDouble(inType, in, at) : (double) readLong(inType, in, at);
                }
            }
            case INT32 -> {
                int[] y = (int[]) out;
                for (int i = 0; i < n; i++) {
                    int at = io + i * is;
                    y[oo + i * os] = floatingIn ? (int) readDouble(inType, in, at) : (int) readLong(inType, in, at);
                }
            }
            case INT64 -> {
                long[] y = (long[]) out;
                for (int i = 0; i < n; i++) {
                    y[oo + i * os] = readLong(inType, in, io + i * is);   // (long) of a double truncates
                }
            }
            case BOOL -> {
                boolean[] y = (boolean[]) out;
                for (int i = 0; i < n; i++) {
                    y[oo + i * os] = readTruth(inType, in, io + i * is);
                }
            }
        }
    }

    /** Sets a row to {@code value} converted like {@link #copyRow} converts a float64. */
    static void fillRow(DType type, Object out, int oo, int os, int n, double value) {
        switch (type) {
            case FLOAT32 -> {
                float[] y = (float[]) out;
                float v = (float) value;
                for (int i = 0; i < n; i++) {
                    y[oo + i * os] = v;
                }
            }
            case FLOAT64 -> {
                double[] y = (double[]) out;
                for (int i = 0; i < n; i++) {
                    y[oo + i * os] = value;
                }
            }
            case INT32 -> {
                int[] y = (int[]) out;
                int v = (int) value;
                for (int i = 0; i < n; i++) {
                    y[oo + i * os] = v;
                }
            }
            case INT64 -> {
                long[] y = (long[]) out;
                long v = (long) value;
                for (int i = 0; i < n; i++) {
                    y[oo + i * os] = v;
                }
            }
            case BOOL -> {
                boolean[] y = (boolean[]) out;
                boolean v = value != 0;
                for (int i = 0; i < n; i++) {
                    y[oo + i * os] = v;
                }
            }
        }
    }

    // ---------------------------------------------------------------- reduce

    /**
     * Reduces the middle axis of contiguous {@code (outer, reduced, inner)} into contiguous {@code (outer, inner)}.
     * Floats accumulate in double (the accurate reference); ints in long, narrowed at the end (int32 wraps);
     * bool SUM and MAX are "any", MIN is "all".
     */
    static void reduce(Primitive op, DType type, Object in, int io, Object out, int oo, int outer, int reduced, int inner) {
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = io + o * reduced * inner + j;
                int target = oo + o * inner + j;
                if (type.isFloating()) {
                    double acc = switch (op) {
                        case SUM -> 0.0;
                        case MAX -> Double.NEGATIVE_INFINITY;
                        case MIN -> Double.POSITIVE_INFINITY;
                        default -> throw unsupported(op, "floating");
                    };
                    for (int r = 0; r < reduced; r++) {
                        double x = readDouble(type, in, base + r * inner);
                        acc = op == Primitive.SUM ? acc + x : op == Primitive.MAX ? Math.max(acc, x) : Math.min(acc, x);
                    }
                    if (type == DType.FLOAT32) {
                        ((float[]) out)[target] = (float) acc;
                    } else {
                        ((double[]) out)[target] = acc;
                    }
                } else {
                    long acc = switch (op) {
                        case SUM -> 0;
                        case MAX -> Long.MIN_VALUE;
                        case MIN -> Long.MAX_VALUE;
                        default -> throw unsupported(op, "integer");
                    };
                    for (int r = 0; r < reduced; r++) {
                        long x = readLong(type, in, base + r * inner);
                        acc = op == Primitive.SUM ? acc + x : op == Primitive.MAX ? Math.max(acc, x) : Math.min(acc, x);
                    }
                    switch (type) {
                        case INT32 -> ((int[]) out)[target] = (int) acc;
                        case INT64 -> ((long[]) out)[target] = acc;
                        default -> ((boolean[]) out)[target] = op == Primitive.MIN ? acc != 0 : acc > 0;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- matmul

    /**
     * {@code c[bi] = a[bi] @ b[bi]} with any strides for a {@code (batch, m, k)} and b {@code (batch, k, n)};
     * c contiguous {@code (batch, m, n)} from {@code co}. Floats accumulate in double; ints in long (int32
     * wraps); bool is "any of (a and b)".
     */
    static void matmul(DType type, Object a, long ao, long[] as, Object b, long bo, long[] bs, Object c, int co,
            int batch, int m, int k, int n) {
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long aRow = ao + bi * as[0] + i * as[1];
                    long bCol = bo + bi * bs[0] + j * bs[2];
                    int target = co + (bi * m + i) * n + j;
                    if (type.isFloating()) {
                        double acc = 0;
                        for (int kk = 0; kk < k; kk++) {
                            acc += readDouble(type, a, (int) (aRow + kk * as[2])) * readDouble(type, b, (int) (bCol + kk * bs[1]));
                        }
                        if (type == DType.FLOAT32) {
                            ((float[]) c)[target] = (float) acc;
                        } else {
                            ((double[]) c)[target] = acc;
                        }
                    } else {
                        long acc = 0;
                        for (int kk = 0; kk < k; kk++) {
                            acc += readLong(type, a, (int) (aRow + kk * as[2])) * readLong(type, b, (int) (bCol + kk * bs[1]));
                        }
                        switch (type) {
                            case INT32 -> ((int[]) c)[target] = (int) acc;
                            case INT64 -> ((long[]) c)[target] = acc;
                            default -> ((boolean[]) c)[target] = acc != 0;
                        }
                    }
                }
            }
        }
    }
}
