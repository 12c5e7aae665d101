package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import java.lang.invoke.MethodHandles;

/**
 * SIMD elementwise kernels for float32 and float64 on the Vector API, over 1-D rows from {@link StridedWalk}.
 * A row is handled by SIMD when the output has stride 1 and each input has stride 1 or 0 (a broadcast scalar
 * becomes a broadcast vector); any other row, and every int/bool row, goes to the {@link ScalarElementwise} twin.
 *
 * <p>This class only chooses; the SIMD loops are {@code Float32Elementwise} and {@code Float64Elementwise},
 * generated at build time from the op table ({@code dev.quiver.spi.ElementwiseOps}) by kernels'
 * {@code CpuKernelGenerator}, as are their twins. Each is loaded at this class's vector width (see {@link Simd}).
 */
final class Elementwise implements Simd.ElementwiseKernels {
    private static final int BITS = Simd.shape(MethodHandles.lookup()).vectorBitSize();

    private final Simd.FloatingRows float32 = Simd.load(Simd.FloatingRows.class, "Float32Elementwise", BITS);
    private final Simd.FloatingRows float64 = Simd.load(Simd.FloatingRows.class, "Float64Elementwise", BITS);

    /** Use {@code Simd.load(..., "Elementwise", bits)}: loaded plainly, the class runs at the preferred width. */
    public Elementwise() {
    }

    /** The SIMD rows of a floating dtype, or null for the others (their rows go to the scalar twin). */
    private Simd.FloatingRows simd(DType type) {
        return type == DType.FLOAT32 ? float32 : type == DType.FLOAT64 ? float64 : null;
    }

    private static boolean unitOrBroadcast(int stride) {
        return stride == 0 || stride == 1;
    }

    /** Unary row; SIMD for float dtypes with out stride 1 and in stride 0 or 1. */
    @Override
    public void unaryRow(Primitive op, DType type, Object in, int io, int is, Object out, int oo, int os, int n) {
        if (n == 0) {
            return;
        }
        Simd.FloatingRows rows = simd(type);
        if (rows == null || os != 1 || !unitOrBroadcast(is)) {
            ScalarElementwise.unaryRow(op, type, in, io, is, out, oo, os, n);
        } else {
            rows.unary(op, in, io, is, out, oo, n);
        }
    }

    /** Binary row; SIMD for float dtypes (arithmetic and comparisons) with unit or broadcast strides. */
    @Override
    public void binaryRow(Primitive op, DType type, Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int os, int n) {
        if (n == 0) {
            return;
        }
        Simd.FloatingRows rows = simd(type);
        if (rows == null || os != 1 || !unitOrBroadcast(as) || !unitOrBroadcast(bs)) {
            ScalarElementwise.binaryRow(op, type, a, ao, as, b, bo, bs, out, oo, os, n);
        } else {
            rows.binary(op, a, ao, as, b, bo, bs, out, oo, n);
        }
    }

    @Override
    public void whereRow(DType type, boolean[] c, int co, int cs, Object t, int to, int ts, Object f, int fo, int fss,
            Object out, int oo, int os, int n) {
        if (n == 0) {
            return;
        }
        Simd.FloatingRows rows = simd(type);
        if (rows == null || os != 1 || !unitOrBroadcast(cs) || !unitOrBroadcast(ts) || !unitOrBroadcast(fss)) {
            ScalarElementwise.whereRow(type, c, co, cs, t, to, ts, f, fo, fss, out, oo, os, n);
        } else {
            rows.where(c, co, cs, t, to, ts, f, fo, fss, out, oo, n);
        }
    }

    /**
     * Same-dtype copies of unit-stride rows use {@link System#arraycopy}: the JVM's copy stubs are already
     * wide SIMD loops and handle overlap, so a hand-written Vector API loop could only match them.
     */
    @Override
    public void copyRow(DType inType, Object in, int io, int is, DType outType, Object out, int oo, int os, int n) {
        if (n == 0) {
            return;
        }
        if (inType == outType && is == 1 && os == 1) {
            System.arraycopy(in, io, out, oo, n);
        } else if (inType == outType && is == 0 && os == 1 && simd(inType) != null) {
            fillRow(outType, out, oo, 1, n, ScalarKernels.readDouble(inType, in, io));
        } else {
            ScalarKernels.copyRow(inType, in, io, is, outType, out, oo, os, n);
        }
    }

    @Override
    public void fillRow(DType type, Object out, int oo, int os, int n, double value) {
        Simd.FloatingRows rows = simd(type);
        if (os != 1 || rows == null) {
            ScalarKernels.fillRow(type, out, oo, os, n, value);
        } else {
            rows.fill(out, oo, n, value);
        }
    }
}
