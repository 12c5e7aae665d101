package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD elementwise kernels for float32 and float64 on the Vector API, over 1-D rows from {@link StridedWalk}.
 * A row is handled here when the output has stride 1 and each input has stride 1 or 0 (a broadcast scalar
 * becomes a broadcast vector); any other row, and every int/bool row, goes to the {@link ScalarKernels} twin.
 * Tails are done with masked loads and stores, so a whole row gets the same (SIMD) math.
 *
 * <p>The operator is chosen by a switch inside the loop rather than passed as a {@code VectorOperators}
 * value: the Vector API intrinsifies only a constant operator, and each switch arm is one. The branch is
 * loop-invariant and predicted, so it costs far less than a memory-bound iteration.
 */
final class Elementwise implements Simd.ElementwiseKernels {
    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(SHAPE);
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED.withShape(SHAPE);

    /** Use {@code Simd.load(..., "Elementwise", bits)}: loaded plainly, the class runs at the preferred width. */
    public Elementwise() {
    }

    private static boolean floating(DType type) {
        return type == DType.FLOAT32 || type == DType.FLOAT64;
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
        if (!floating(type) || op == Primitive.LOGICAL_NOT || os != 1 || !unitOrBroadcast(is)) {
            ScalarKernels.unaryRow(op, type, in, io, is, out, oo, os, n);
        } else if (type == DType.FLOAT32) {
            unaryFloat(op, (float[]) in, io, is, (float[]) out, oo, n);
        } else {
            unaryDouble(op, (double[]) in, io, is, (double[]) out, oo, n);
        }
    }

    /** Binary row; SIMD for float dtypes (arithmetic and comparisons) with unit or broadcast strides. */
    @Override
    public void binaryRow(Primitive op, DType type, Object a, int ao, int as, Object b, int bo, int bs, Object out, int oo, int os, int n) {
        if (n == 0) {
            return;
        }
        boolean logical = op == Primitive.LOGICAL_AND || op == Primitive.LOGICAL_OR;
        if (!floating(type) || logical || os != 1 || !unitOrBroadcast(as) || !unitOrBroadcast(bs)) {
            ScalarKernels.binaryRow(op, type, a, ao, as, b, bo, bs, out, oo, os, n);
        } else if (op.producesBool()) {
            if (type == DType.FLOAT32) {
                compareFloat(op, (float[]) a, ao, as, (float[]) b, bo, bs, (boolean[]) out, oo, n);
            } else {
                compareDouble(op, (double[]) a, ao, as, (double[]) b, bo, bs, (boolean[]) out, oo, n);
            }
        } else if (type == DType.FLOAT32) {
            binaryFloat(op, (float[]) a, ao, as, (float[]) b, bo, bs, (float[]) out, oo, n);
        } else {
            binaryDouble(op, (double[]) a, ao, as, (double[]) b, bo, bs, (double[]) out, oo, n);
        }
    }

    @Override
    public void whereRow(DType type, boolean[] c, int co, int cs, Object t, int to, int ts, Object f, int fo, int fss,
            Object out, int oo, int os, int n) {
        if (n == 0) {
            return;
        }
        if (!floating(type) || os != 1 || !unitOrBroadcast(cs) || !unitOrBroadcast(ts) || !unitOrBroadcast(fss)) {
            ScalarKernels.whereRow(type, c, co, cs, t, to, ts, f, fo, fss, out, oo, os, n);
        } else if (type == DType.FLOAT32) {
            whereFloat(c, co, cs, (float[]) t, to, ts, (float[]) f, fo, fss, (float[]) out, oo, n);
        } else {
            whereDouble(c, co, cs, (double[]) t, to, ts, (double[]) f, fo, fss, (double[]) out, oo, n);
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
        } else if (inType == outType && is == 0 && os == 1 && floating(inType)) {
            fillRow(outType, out, oo, 1, n, ScalarKernels.readDouble(inType, in, io));
        } else {
            ScalarKernels.copyRow(inType, in, io, is, outType, out, oo, os, n);
        }
    }

    @Override
    public void fillRow(DType type, Object out, int oo, int os, int n, double value) {
        if (os != 1 || !floating(type)) {
            ScalarKernels.fillRow(type, out, oo, os, n, value);
        } else if (type == DType.FLOAT32) {
            fillFloat((float[]) out, oo, n, (float) value);
        } else {
            fillDouble((double[]) out, oo, n, value);
        }
    }


    // ---------------------------------------------------------------- FLOAT (float32) kernels

    private void unaryFloat(Primitive op, float[] x, int xo, int xs, float[] y, int yo, int n) {
        if (xs == 0) {
            // one input value broadcast along the row: compute it once, with the same SIMD math
            float value = applyFloat(op, FloatVector.broadcast(FS, x[xo])).lane(0);
            Arrays.fill(y, yo, yo + n, value);
            return;
        }
        int lanes = FS.length();
        int bound = FS.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            applyFloat(op, FloatVector.fromArray(FS, x, xo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> tail = FS.indexInRange(i, n);
            applyFloat(op, FloatVector.fromArray(FS, x, xo + i, tail)).intoArray(y, yo + i, tail);
        }
    }

    private FloatVector applyFloat(Primitive op, FloatVector v) {
        return switch (op) {
            case NEG -> v.neg();
            case ABS -> v.abs();
            // Math.signum: zeros and NaN stay as they are
            case SIGN -> v.blend(1, v.compare(VectorOperators.GT, 0)).blend(-1, v.compare(VectorOperators.LT, 0));
            case EXP -> v.lanewise(VectorOperators.EXP);
            case LOG -> v.lanewise(VectorOperators.LOG);
            case SQRT -> v.sqrt();
            case SIN -> v.lanewise(VectorOperators.SIN);
            case COS -> v.lanewise(VectorOperators.COS);
            case TANH -> v.lanewise(VectorOperators.TANH);
            default -> throw new IllegalStateException("cpu: no SIMD kernel for " + op.opName());
        };
    }

    /** a and b have strides 0 (broadcast scalar) or 1; y has stride 1. */
    private void binaryFloat(Primitive op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] y, int yo, int n) {
        int lanes = FS.length();
        int bound = FS.loopBound(n);
        FloatVector aScalar = FloatVector.broadcast(FS, as == 0 ? a[ao] : 0f);
        FloatVector bScalar = FloatVector.broadcast(FS, bs == 0 ? b[bo] : 0f);
        int i = 0;
        for (; i < bound; i += lanes) {
            FloatVector x = as == 0 ? aScalar : FloatVector.fromArray(FS, a, ao + i);
            FloatVector z = bs == 0 ? bScalar : FloatVector.fromArray(FS, b, bo + i);
            applyFloat(op, x, z).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> tail = FS.indexInRange(i, n);
            FloatVector x = as == 0 ? aScalar : FloatVector.fromArray(FS, a, ao + i, tail);
            FloatVector z = bs == 0 ? bScalar : FloatVector.fromArray(FS, b, bo + i, tail);
            applyFloat(op, x, z).intoArray(y, yo + i, tail);
        }
    }

    private FloatVector applyFloat(Primitive op, FloatVector x, FloatVector z) {
        return switch (op) {
            case ADD -> x.add(z);
            case SUB -> x.sub(z);
            case MUL -> x.mul(z);
            case DIV -> x.div(z);
            case POW -> x.lanewise(VectorOperators.POW, z);
            case MAXIMUM -> x.max(z);   // Vector API MAX/MIN follow Math.max/min: NaN propagates
            case MINIMUM -> x.min(z);
            default -> throw new IllegalStateException("cpu: no SIMD kernel for " + op.opName());
        };
    }

    private void compareFloat(Primitive op, float[] a, int ao, int as, float[] b, int bo, int bs, boolean[] y, int yo, int n) {
        int lanes = FS.length();
        int bound = FS.loopBound(n);
        FloatVector aScalar = FloatVector.broadcast(FS, as == 0 ? a[ao] : 0f);
        FloatVector bScalar = FloatVector.broadcast(FS, bs == 0 ? b[bo] : 0f);
        int i = 0;
        for (; i < bound; i += lanes) {
            FloatVector x = as == 0 ? aScalar : FloatVector.fromArray(FS, a, ao + i);
            FloatVector z = bs == 0 ? bScalar : FloatVector.fromArray(FS, b, bo + i);
            maskFloat(op, x, z).intoArray(y, yo + i);
        }
        if (i < n) {
            ScalarKernels.binaryRow(op, DType.FLOAT32, a, ao + i * as, as, b, bo + i * bs, bs, y, yo + i, 1, n - i);
        }
    }

    /** c, t, f have strides 0 or 1, y stride 1. */
    private void whereFloat(boolean[] c, int co, int cs, float[] t, int to, int ts, float[] f, int fo, int fss,
            float[] y, int yo, int n) {
        int lanes = FS.length();
        int bound = cs == 0 ? 0 : FS.loopBound(n);
        FloatVector tScalar = FloatVector.broadcast(FS, ts == 0 ? t[to] : 0f);
        FloatVector fScalar = FloatVector.broadcast(FS, fss == 0 ? f[fo] : 0f);
        int i = 0;
        for (; i < bound; i += lanes) {
            VectorMask<Float> pick = VectorMask.fromArray(FS, c, co + i);
            FloatVector x = ts == 0 ? tScalar : FloatVector.fromArray(FS, t, to + i);
            FloatVector z = fss == 0 ? fScalar : FloatVector.fromArray(FS, f, fo + i);
            z.blend(x, pick).intoArray(y, yo + i);
        }
        if (i < n) {
            ScalarKernels.whereRow(DType.FLOAT32, c, co + i * cs, cs, t, to + i * ts, ts, f, fo + i * fss, fss, y, yo + i, 1, n - i);
        }
    }

    private void fillFloat(float[] y, int yo, int n, float value) {
        int lanes = FS.length();
        int bound = FS.loopBound(n);
        FloatVector v = FloatVector.broadcast(FS, value);
        int i = 0;
        for (; i < bound; i += lanes) {
            v.intoArray(y, yo + i);
        }
        if (i < n) {
            v.intoArray(y, yo + i, FS.indexInRange(i, n));
        }
    }

    // ---------------------------------------------------------------- DOUBLE (float64) kernels

    private void unaryDouble(Primitive op, double[] x, int xo, int xs, double[] y, int yo, int n) {
        if (xs == 0) {
            // one input value broadcast along the row: compute it once, with the same SIMD math
            double value = applyDouble(op, DoubleVector.broadcast(DS, x[xo])).lane(0);
            Arrays.fill(y, yo, yo + n, value);
            return;
        }
        int lanes = DS.length();
        int bound = DS.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            applyDouble(op, DoubleVector.fromArray(DS, x, xo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Double> tail = DS.indexInRange(i, n);
            applyDouble(op, DoubleVector.fromArray(DS, x, xo + i, tail)).intoArray(y, yo + i, tail);
        }
    }

    private DoubleVector applyDouble(Primitive op, DoubleVector v) {
        return switch (op) {
            case NEG -> v.neg();
            case ABS -> v.abs();
            // Math.signum: zeros and NaN stay as they are
            case SIGN -> v.blend(1, v.compare(VectorOperators.GT, 0)).blend(-1, v.compare(VectorOperators.LT, 0));
            case EXP -> v.lanewise(VectorOperators.EXP);
            case LOG -> v.lanewise(VectorOperators.LOG);
            case SQRT -> v.sqrt();
            case SIN -> v.lanewise(VectorOperators.SIN);
            case COS -> v.lanewise(VectorOperators.COS);
            case TANH -> v.lanewise(VectorOperators.TANH);
            default -> throw new IllegalStateException("cpu: no SIMD kernel for " + op.opName());
        };
    }

    /** a and b have strides 0 (broadcast scalar) or 1; y has stride 1. */
    private void binaryDouble(Primitive op, double[] a, int ao, int as, double[] b, int bo, int bs, double[] y, int yo, int n) {
        int lanes = DS.length();
        int bound = DS.loopBound(n);
        DoubleVector aScalar = DoubleVector.broadcast(DS, as == 0 ? a[ao] : 0.0);
        DoubleVector bScalar = DoubleVector.broadcast(DS, bs == 0 ? b[bo] : 0.0);
        int i = 0;
        for (; i < bound; i += lanes) {
            DoubleVector x = as == 0 ? aScalar : DoubleVector.fromArray(DS, a, ao + i);
            DoubleVector z = bs == 0 ? bScalar : DoubleVector.fromArray(DS, b, bo + i);
            applyDouble(op, x, z).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Double> tail = DS.indexInRange(i, n);
            DoubleVector x = as == 0 ? aScalar : DoubleVector.fromArray(DS, a, ao + i, tail);
            DoubleVector z = bs == 0 ? bScalar : DoubleVector.fromArray(DS, b, bo + i, tail);
            applyDouble(op, x, z).intoArray(y, yo + i, tail);
        }
    }

    private DoubleVector applyDouble(Primitive op, DoubleVector x, DoubleVector z) {
        return switch (op) {
            case ADD -> x.add(z);
            case SUB -> x.sub(z);
            case MUL -> x.mul(z);
            case DIV -> x.div(z);
            case POW -> x.lanewise(VectorOperators.POW, z);
            case MAXIMUM -> x.max(z);   // Vector API MAX/MIN follow Math.max/min: NaN propagates
            case MINIMUM -> x.min(z);
            default -> throw new IllegalStateException("cpu: no SIMD kernel for " + op.opName());
        };
    }

    private void compareDouble(Primitive op, double[] a, int ao, int as, double[] b, int bo, int bs, boolean[] y, int yo, int n) {
        int lanes = DS.length();
        int bound = DS.loopBound(n);
        DoubleVector aScalar = DoubleVector.broadcast(DS, as == 0 ? a[ao] : 0.0);
        DoubleVector bScalar = DoubleVector.broadcast(DS, bs == 0 ? b[bo] : 0.0);
        int i = 0;
        for (; i < bound; i += lanes) {
            DoubleVector x = as == 0 ? aScalar : DoubleVector.fromArray(DS, a, ao + i);
            DoubleVector z = bs == 0 ? bScalar : DoubleVector.fromArray(DS, b, bo + i);
            maskDouble(op, x, z).intoArray(y, yo + i);
        }
        if (i < n) {
            ScalarKernels.binaryRow(op, DType.FLOAT64, a, ao + i * as, as, b, bo + i * bs, bs, y, yo + i, 1, n - i);
        }
    }

    /** c, t, f have strides 0 or 1, y stride 1. */
    private void whereDouble(boolean[] c, int co, int cs, double[] t, int to, int ts, double[] f, int fo, int fss,
            double[] y, int yo, int n) {
        int lanes = DS.length();
        int bound = cs == 0 ? 0 : DS.loopBound(n);
        DoubleVector tScalar = DoubleVector.broadcast(DS, ts == 0 ? t[to] : 0.0);
        DoubleVector fScalar = DoubleVector.broadcast(DS, fss == 0 ? f[fo] : 0.0);
        int i = 0;
        for (; i < bound; i += lanes) {
            VectorMask<Double> pick = VectorMask.fromArray(DS, c, co + i);
            DoubleVector x = ts == 0 ? tScalar : DoubleVector.fromArray(DS, t, to + i);
            DoubleVector z = fss == 0 ? fScalar : DoubleVector.fromArray(DS, f, fo + i);
            z.blend(x, pick).intoArray(y, yo + i);
        }
        if (i < n) {
            ScalarKernels.whereRow(DType.FLOAT64, c, co + i * cs, cs, t, to + i * ts, ts, f, fo + i * fss, fss, y, yo + i, 1, n - i);
        }
    }

    private void fillDouble(double[] y, int yo, int n, double value) {
        int lanes = DS.length();
        int bound = DS.loopBound(n);
        DoubleVector v = DoubleVector.broadcast(DS, value);
        int i = 0;
        for (; i < bound; i += lanes) {
            v.intoArray(y, yo + i);
        }
        if (i < n) {
            v.intoArray(y, yo + i, DS.indexInRange(i, n));
        }
    }

    private static VectorMask<Float> maskFloat(Primitive op, FloatVector x, FloatVector z) {
        return switch (op) {
            case LESS -> x.compare(VectorOperators.LT, z);
            case LESS_EQUAL -> x.compare(VectorOperators.LE, z);
            case GREATER -> x.compare(VectorOperators.GT, z);
            case GREATER_EQUAL -> x.compare(VectorOperators.GE, z);
            case EQUAL -> x.compare(VectorOperators.EQ, z);
            case NOT_EQUAL -> x.compare(VectorOperators.NE, z);
            default -> throw new IllegalStateException("cpu: " + op.opName() + " is not a comparison");
        };
    }

    private static VectorMask<Double> maskDouble(Primitive op, DoubleVector x, DoubleVector z) {
        return switch (op) {
            case LESS -> x.compare(VectorOperators.LT, z);
            case LESS_EQUAL -> x.compare(VectorOperators.LE, z);
            case GREATER -> x.compare(VectorOperators.GT, z);
            case GREATER_EQUAL -> x.compare(VectorOperators.GE, z);
            case EQUAL -> x.compare(VectorOperators.EQ, z);
            case NOT_EQUAL -> x.compare(VectorOperators.NE, z);
            default -> throw new IllegalStateException("cpu: " + op.opName() + " is not a comparison");
        };
    }
}
