// Generated for $DTYPE$ from backend-cpu/src/main/templates/X-Elementwise.java (README.md there) at build time:
// edit the template, never the generated file.
package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import jdk.incubator.vector.$Vector$;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The $DTYPE$ SIMD rows of {@link Elementwise}: output stride 1, each input stride 1 or 0 (a broadcast scalar
 * becomes a broadcast vector), arrays of {@code $type$}. {@link Elementwise} decides which rows come here.
 * Tails are done with masked loads and stores, so a whole row gets the same (SIMD) math.
 *
 * <p>The operator is chosen by a switch inside the loop rather than passed as a {@code VectorOperators}
 * value: the Vector API intrinsifies only a constant operator, and each switch arm is one. The branch is
 * loop-invariant and predicted, so it costs far less than a memory-bound iteration.
 */
@SuppressWarnings("cast") // the float64 expansion casts double to double where float32 narrows
final class $Dtype$Elementwise implements Simd.FloatingRows {
    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
    private static final VectorSpecies<$Type$> S = $Vector$.SPECIES_PREFERRED.withShape(SHAPE);

    /** Use {@code Simd.load(..., "$Dtype$Elementwise", bits)}: loaded plainly, the class runs at the preferred width. */
    public $Dtype$Elementwise() {
    }

    @Override
    public void unary(Primitive op, Object in, int xo, int xs, Object out, int yo, int n) {
        $type$[] x = ($type$[]) in;
        $type$[] y = ($type$[]) out;
        if (xs == 0) {
            // one input value broadcast along the row: compute it once, with the same SIMD math
            $type$ value = apply(op, $Vector$.broadcast(S, x[xo])).lane(0);
            Arrays.fill(y, yo, yo + n, value);
            return;
        }
        int lanes = S.length();
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += lanes) {
            apply(op, $Vector$.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<$Type$> tail = S.indexInRange(i, n);
            apply(op, $Vector$.fromArray(S, x, xo + i, tail)).intoArray(y, yo + i, tail);
        }
    }

    private static $Vector$ apply(Primitive op, $Vector$ v) {
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
            default -> throw new IllegalStateException("cpu: no $DTYPE$ SIMD kernel for " + op.opName());
        };
    }

    @Override
    public void binary(Primitive op, Object aIn, int ao, int as, Object bIn, int bo, int bs, Object out, int yo, int n) {
        $type$[] a = ($type$[]) aIn;
        $type$[] b = ($type$[]) bIn;
        $type$[] y = ($type$[]) out;
        int lanes = S.length();
        int bound = S.loopBound(n);
        $Vector$ aScalar = $Vector$.broadcast(S, as == 0 ? a[ao] : 0);
        $Vector$ bScalar = $Vector$.broadcast(S, bs == 0 ? b[bo] : 0);
        int i = 0;
        for (; i < bound; i += lanes) {
            $Vector$ x = as == 0 ? aScalar : $Vector$.fromArray(S, a, ao + i);
            $Vector$ z = bs == 0 ? bScalar : $Vector$.fromArray(S, b, bo + i);
            apply(op, x, z).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<$Type$> tail = S.indexInRange(i, n);
            $Vector$ x = as == 0 ? aScalar : $Vector$.fromArray(S, a, ao + i, tail);
            $Vector$ z = bs == 0 ? bScalar : $Vector$.fromArray(S, b, bo + i, tail);
            apply(op, x, z).intoArray(y, yo + i, tail);
        }
    }

    private static $Vector$ apply(Primitive op, $Vector$ x, $Vector$ z) {
        return switch (op) {
            case ADD -> x.add(z);
            case SUB -> x.sub(z);
            case MUL -> x.mul(z);
            case DIV -> x.div(z);
            case POW -> x.lanewise(VectorOperators.POW, z);
            case MAXIMUM -> x.max(z);   // Vector API MAX/MIN follow Math.max/min: NaN propagates
            case MINIMUM -> x.min(z);
            default -> throw new IllegalStateException("cpu: no $DTYPE$ SIMD kernel for " + op.opName());
        };
    }

    @Override
    public void compare(Primitive op, Object aIn, int ao, int as, Object bIn, int bo, int bs, boolean[] y, int yo, int n) {
        $type$[] a = ($type$[]) aIn;
        $type$[] b = ($type$[]) bIn;
        int lanes = S.length();
        int bound = S.loopBound(n);
        $Vector$ aScalar = $Vector$.broadcast(S, as == 0 ? a[ao] : 0);
        $Vector$ bScalar = $Vector$.broadcast(S, bs == 0 ? b[bo] : 0);
        int i = 0;
        for (; i < bound; i += lanes) {
            $Vector$ x = as == 0 ? aScalar : $Vector$.fromArray(S, a, ao + i);
            $Vector$ z = bs == 0 ? bScalar : $Vector$.fromArray(S, b, bo + i);
            mask(op, x, z).intoArray(y, yo + i);
        }
        if (i < n) {
            ScalarKernels.binaryRow(op, DType.$DTYPE$, a, ao + i * as, as, b, bo + i * bs, bs, y, yo + i, 1, n - i);
        }
    }

    private static VectorMask<$Type$> mask(Primitive op, $Vector$ x, $Vector$ z) {
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

    @Override
    public void where(boolean[] c, int co, int cs, Object tIn, int to, int ts, Object fIn, int fo, int fss, Object out, int yo, int n) {
        $type$[] t = ($type$[]) tIn;
        $type$[] f = ($type$[]) fIn;
        $type$[] y = ($type$[]) out;
        int lanes = S.length();
        int bound = cs == 0 ? 0 : S.loopBound(n);
        $Vector$ tScalar = $Vector$.broadcast(S, ts == 0 ? t[to] : 0);
        $Vector$ fScalar = $Vector$.broadcast(S, fss == 0 ? f[fo] : 0);
        int i = 0;
        for (; i < bound; i += lanes) {
            VectorMask<$Type$> pick = VectorMask.fromArray(S, c, co + i);
            $Vector$ x = ts == 0 ? tScalar : $Vector$.fromArray(S, t, to + i);
            $Vector$ z = fss == 0 ? fScalar : $Vector$.fromArray(S, f, fo + i);
            z.blend(x, pick).intoArray(y, yo + i);
        }
        if (i < n) {
            ScalarKernels.whereRow(DType.$DTYPE$, c, co + i * cs, cs, t, to + i * ts, ts, f, fo + i * fss, fss, y, yo + i, 1, n - i);
        }
    }

    @Override
    public void fill(Object out, int yo, int n, double value) {
        $type$[] y = ($type$[]) out;
        int lanes = S.length();
        int bound = S.loopBound(n);
        $Vector$ v = $Vector$.broadcast(S, ($type$) value);
        int i = 0;
        for (; i < bound; i += lanes) {
            v.intoArray(y, yo + i);
        }
        if (i < n) {
            v.intoArray(y, yo + i, S.indexInRange(i, n));
        }
    }
}
