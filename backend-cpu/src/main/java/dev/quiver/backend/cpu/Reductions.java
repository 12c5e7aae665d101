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
 * SIMD reductions (SUM, MAX, MIN) over the middle axis of a contiguous {@code (outer, reduced, inner)} block,
 * for float32 and float64; other dtypes go to {@link ScalarKernels#reduce}.
 *
 * <ul>
 *   <li>{@code inner == 1} (reduce each row): four vector accumulators over the row, because one accumulator
 *       is bound by the add latency (PLATFORM.md: 4.9 GB/s for a plain loop, 26-34 GB/s with four).</li>
 *   <li>{@code inner > 1} (reduce columns): vectorized across {@code inner}, streaming the input row by row
 *       into an accumulator row, so memory is read once and in order.</li>
 * </ul>
 *
 * <p>Accuracy of sums: each block of {@value #ROW_BLOCK} elements (rows) or {@value #COLUMN_BLOCK} rows
 * (columns) is summed in the dtype by many independent lanes, and the block sums are added in double. The
 * error therefore grows with about {@code block / lanes} roundings rather than with the whole length (a
 * float32 sum of 10^7 values keeps about 6 significant digits).
 */
final class Reductions implements Simd.ReductionKernels {
    /** Elements per row block summed in the working precision before folding into double. */
    static final int ROW_BLOCK = 4096;
    /** Rows per column block summed in the working precision before folding into double. */
    static final int COLUMN_BLOCK = 256;

    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(SHAPE);
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED.withShape(SHAPE);

    /** Use {@code Simd.load(..., "Reductions", bits)}: loaded plainly, the class runs at the preferred width. */
    public Reductions() {
    }

    /** Reduces contiguous {@code (outer, reduced, inner)} at {@code io} into contiguous {@code (outer, inner)} at {@code oo}. */
    @Override
    public void reduce(Primitive op, DType type, Object in, int io, Object out, int oo, int outer, int reduced, int inner) {
        switch (type) {
            case FLOAT32 -> reduceFloat(op, (float[]) in, io, (float[]) out, oo, outer, reduced, inner);
            case FLOAT64 -> reduceDouble(op, (double[]) in, io, (double[]) out, oo, outer, reduced, inner);
            default -> ScalarKernels.reduce(op, type, in, io, out, oo, outer, reduced, inner);
        }
    }

    // ---------------------------------------------------------------- FLOAT (float32)

    private void reduceFloat(Primitive op, float[] x, int xo, float[] y, int yo, int outer, int reduced, int inner) {
        if (inner == 1) {
            for (int o = 0; o < outer; o++) {
                y[yo + o] = reduceRowFloat(op, x, xo + o * reduced, reduced);
            }
            return;
        }
        float[] block = new float[inner];
        double[] total = op == Primitive.SUM ? new double[inner] : null;
        for (int o = 0; o < outer; o++) {
            int base = xo + o * reduced * inner;
            int target = yo + o * inner;
            if (reduced == 0) {
                Arrays.fill(y, target, target + inner, op == Primitive.SUM ? 0 : op == Primitive.MAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
                continue;
            }
            if (op != Primitive.SUM) {
                // max/min are exact, so the output row itself is the accumulator
                System.arraycopy(x, base, y, target, inner);
                for (int r = 1; r < reduced; r++) {
                    combineFloat(op, y, target, x, base + r * inner, inner);
                }
                continue;
            }
            // Sums: vector-add blocks of rows in the working precision, then fold each block into double, so
            // the error grows with the block length instead of the whole reduced length.
            Arrays.fill(total, 0.0);
            for (int r0 = 0; r0 < reduced; r0 += COLUMN_BLOCK) {
                int r1 = Math.min(reduced, r0 + COLUMN_BLOCK);
                System.arraycopy(x, base + r0 * inner, block, 0, inner);
                for (int r = r0 + 1; r < r1; r++) {
                    combineFloat(op, block, 0, x, base + r * inner, inner);
                }
                for (int j = 0; j < inner; j++) {
                    total[j] += block[j];
                }
            }
            for (int j = 0; j < inner; j++) {
                y[target + j] = (float) total[j];
            }
        }
    }

    /** {@code acc[ao + j] = op(acc[ao + j], x[xo + j])} for {@code j < n}. */
    private void combineFloat(Primitive op, float[] acc, int ao, float[] x, int xo, int n) {
        int lanes = FS.length();
        int bound = FS.loopBound(n);
        int j = 0;
        for (; j < bound; j += lanes) {
            FloatVector v = FloatVector.fromArray(FS, acc, ao + j);
            FloatVector w = FloatVector.fromArray(FS, x, xo + j);
            (op == Primitive.SUM ? v.add(w) : op == Primitive.MAX ? v.max(w) : v.min(w)).intoArray(acc, ao + j);
        }
        if (j < n) {
            VectorMask<Float> tail = FS.indexInRange(j, n);
            FloatVector v = FloatVector.fromArray(FS, acc, ao + j, tail);
            FloatVector w = FloatVector.fromArray(FS, x, xo + j, tail);
            (op == Primitive.SUM ? v.add(w) : op == Primitive.MAX ? v.max(w) : v.min(w)).intoArray(acc, ao + j, tail);
        }
    }

    private float reduceRowFloat(Primitive op, float[] x, int xo, int n) {
        if (op == Primitive.SUM) {
            // Two blocks at a time, one from each half of the row: two read streams keep more cache misses in flight
            // than one, and a one-thread sum of a 16M row read memory slower than the triad's three streams did
            // (0.79x in the bench). Each block is still summed alone and folded into double.
            double total = 0;
            int half = n / (2 * ROW_BLOCK) * ROW_BLOCK;
            for (int start = 0; start < half; start += ROW_BLOCK) {
                total += sumTwoBlocksFloat(x, xo + start, xo + half + start);
            }
            for (int start = 2 * half; start < n; start += ROW_BLOCK) {
                total += sumBlockFloat(x, xo + start, Math.min(ROW_BLOCK, n - start));
            }
            return (float) total;
        }
        boolean max = op == Primitive.MAX;
        int lanes = FS.length();
        FloatVector acc0 = FloatVector.broadcast(FS, max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int i = 0;
        for (; i + 4 * lanes <= n; i += 4 * lanes) {
            FloatVector v0 = FloatVector.fromArray(FS, x, xo + i);
            FloatVector v1 = FloatVector.fromArray(FS, x, xo + i + lanes);
            FloatVector v2 = FloatVector.fromArray(FS, x, xo + i + 2 * lanes);
            FloatVector v3 = FloatVector.fromArray(FS, x, xo + i + 3 * lanes);
            acc0 = max ? acc0.max(v0) : acc0.min(v0);
            acc1 = max ? acc1.max(v1) : acc1.min(v1);
            acc2 = max ? acc2.max(v2) : acc2.min(v2);
            acc3 = max ? acc3.max(v3) : acc3.min(v3);
        }
        for (; i + lanes <= n; i += lanes) {
            FloatVector v = FloatVector.fromArray(FS, x, xo + i);
            acc0 = max ? acc0.max(v) : acc0.min(v);
        }
        FloatVector acc = max ? acc0.max(acc1).max(acc2.max(acc3)) : acc0.min(acc1).min(acc2.min(acc3));
        if (acc.test(VectorOperators.IS_NAN).anyTrue()) {
            return Float.NaN;   // NaN propagates, whatever order the lanes are folded in
        }
        float result = max ? acc.reduceLanes(VectorOperators.MAX) : acc.reduceLanes(VectorOperators.MIN);
        for (; i < n; i++) {
            result = max ? Math.max(result, x[xo + i]) : Math.min(result, x[xo + i]);
        }
        return result;
    }

    /** The sums of two whole blocks ({@link #ROW_BLOCK} elements each) read side by side, added in double. */
    private double sumTwoBlocksFloat(float[] x, int first, int second) {
        int lanes = FS.length();
        FloatVector acc0 = FloatVector.zero(FS);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        for (int i = 0; i < ROW_BLOCK; i += 2 * lanes) {
            acc0 = acc0.add(FloatVector.fromArray(FS, x, first + i));
            acc1 = acc1.add(FloatVector.fromArray(FS, x, first + i + lanes));
            acc2 = acc2.add(FloatVector.fromArray(FS, x, second + i));
            acc3 = acc3.add(FloatVector.fromArray(FS, x, second + i + lanes));
        }
        return (double) acc0.add(acc1).reduceLanes(VectorOperators.ADD) + acc2.add(acc3).reduceLanes(VectorOperators.ADD);
    }

    /** Sum of a block with four independent vector accumulators (hides the add latency), tail in double. */
    private double sumBlockFloat(float[] x, int xo, int n) {
        int lanes = FS.length();
        FloatVector acc0 = FloatVector.zero(FS);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int i = 0;
        for (; i + 4 * lanes <= n; i += 4 * lanes) {
            acc0 = acc0.add(FloatVector.fromArray(FS, x, xo + i));
            acc1 = acc1.add(FloatVector.fromArray(FS, x, xo + i + lanes));
            acc2 = acc2.add(FloatVector.fromArray(FS, x, xo + i + 2 * lanes));
            acc3 = acc3.add(FloatVector.fromArray(FS, x, xo + i + 3 * lanes));
        }
        for (; i + lanes <= n; i += lanes) {
            acc0 = acc0.add(FloatVector.fromArray(FS, x, xo + i));
        }
        double sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += x[xo + i];
        }
        return sum;
    }

    // ---------------------------------------------------------------- DOUBLE (float64)

    private void reduceDouble(Primitive op, double[] x, int xo, double[] y, int yo, int outer, int reduced, int inner) {
        if (inner == 1) {
            for (int o = 0; o < outer; o++) {
                y[yo + o] = reduceRowDouble(op, x, xo + o * reduced, reduced);
            }
            return;
        }
        double[] block = new double[inner];
        double[] total = op == Primitive.SUM ? new double[inner] : null;
        for (int o = 0; o < outer; o++) {
            int base = xo + o * reduced * inner;
            int target = yo + o * inner;
            if (reduced == 0) {
                Arrays.fill(y, target, target + inner, op == Primitive.SUM ? 0 : op == Primitive.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
                continue;
            }
            if (op != Primitive.SUM) {
                // max/min are exact, so the output row itself is the accumulator
                System.arraycopy(x, base, y, target, inner);
                for (int r = 1; r < reduced; r++) {
                    combineDouble(op, y, target, x, base + r * inner, inner);
                }
                continue;
            }
            // Sums: vector-add blocks of rows in the working precision, then fold each block into double, so
            // the error grows with the block length instead of the whole reduced length.
            Arrays.fill(total, 0.0);
            for (int r0 = 0; r0 < reduced; r0 += COLUMN_BLOCK) {
                int r1 = Math.min(reduced, r0 + COLUMN_BLOCK);
                System.arraycopy(x, base + r0 * inner, block, 0, inner);
                for (int r = r0 + 1; r < r1; r++) {
                    combineDouble(op, block, 0, x, base + r * inner, inner);
                }
                for (int j = 0; j < inner; j++) {
                    total[j] += block[j];
                }
            }
            for (int j = 0; j < inner; j++) {
                y[target + j] = total[j];
            }
        }
    }

    /** {@code acc[ao + j] = op(acc[ao + j], x[xo + j])} for {@code j < n}. */
    private void combineDouble(Primitive op, double[] acc, int ao, double[] x, int xo, int n) {
        int lanes = DS.length();
        int bound = DS.loopBound(n);
        int j = 0;
        for (; j < bound; j += lanes) {
            DoubleVector v = DoubleVector.fromArray(DS, acc, ao + j);
            DoubleVector w = DoubleVector.fromArray(DS, x, xo + j);
            (op == Primitive.SUM ? v.add(w) : op == Primitive.MAX ? v.max(w) : v.min(w)).intoArray(acc, ao + j);
        }
        if (j < n) {
            VectorMask<Double> tail = DS.indexInRange(j, n);
            DoubleVector v = DoubleVector.fromArray(DS, acc, ao + j, tail);
            DoubleVector w = DoubleVector.fromArray(DS, x, xo + j, tail);
            (op == Primitive.SUM ? v.add(w) : op == Primitive.MAX ? v.max(w) : v.min(w)).intoArray(acc, ao + j, tail);
        }
    }

    private double reduceRowDouble(Primitive op, double[] x, int xo, int n) {
        if (op == Primitive.SUM) {
            double total = 0;
            for (int start = 0; start < n; start += ROW_BLOCK) {
                total += sumBlockDouble(x, xo + start, Math.min(ROW_BLOCK, n - start));
            }
            return total;
        }
        boolean max = op == Primitive.MAX;
        int lanes = DS.length();
        DoubleVector acc0 = DoubleVector.broadcast(DS, max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        DoubleVector acc1 = acc0;
        DoubleVector acc2 = acc0;
        DoubleVector acc3 = acc0;
        int i = 0;
        for (; i + 4 * lanes <= n; i += 4 * lanes) {
            DoubleVector v0 = DoubleVector.fromArray(DS, x, xo + i);
            DoubleVector v1 = DoubleVector.fromArray(DS, x, xo + i + lanes);
            DoubleVector v2 = DoubleVector.fromArray(DS, x, xo + i + 2 * lanes);
            DoubleVector v3 = DoubleVector.fromArray(DS, x, xo + i + 3 * lanes);
            acc0 = max ? acc0.max(v0) : acc0.min(v0);
            acc1 = max ? acc1.max(v1) : acc1.min(v1);
            acc2 = max ? acc2.max(v2) : acc2.min(v2);
            acc3 = max ? acc3.max(v3) : acc3.min(v3);
        }
        for (; i + lanes <= n; i += lanes) {
            DoubleVector v = DoubleVector.fromArray(DS, x, xo + i);
            acc0 = max ? acc0.max(v) : acc0.min(v);
        }
        DoubleVector acc = max ? acc0.max(acc1).max(acc2.max(acc3)) : acc0.min(acc1).min(acc2.min(acc3));
        if (acc.test(VectorOperators.IS_NAN).anyTrue()) {
            return Double.NaN;   // NaN propagates, whatever order the lanes are folded in
        }
        double result = max ? acc.reduceLanes(VectorOperators.MAX) : acc.reduceLanes(VectorOperators.MIN);
        for (; i < n; i++) {
            result = max ? Math.max(result, x[xo + i]) : Math.min(result, x[xo + i]);
        }
        return result;
    }

    /** Sum of a block with four independent vector accumulators (hides the add latency), tail in double. */
    private double sumBlockDouble(double[] x, int xo, int n) {
        int lanes = DS.length();
        DoubleVector acc0 = DoubleVector.zero(DS);
        DoubleVector acc1 = acc0;
        DoubleVector acc2 = acc0;
        DoubleVector acc3 = acc0;
        int i = 0;
        for (; i + 4 * lanes <= n; i += 4 * lanes) {
            acc0 = acc0.add(DoubleVector.fromArray(DS, x, xo + i));
            acc1 = acc1.add(DoubleVector.fromArray(DS, x, xo + i + lanes));
            acc2 = acc2.add(DoubleVector.fromArray(DS, x, xo + i + 2 * lanes));
            acc3 = acc3.add(DoubleVector.fromArray(DS, x, xo + i + 3 * lanes));
        }
        for (; i + lanes <= n; i += lanes) {
            acc0 = acc0.add(DoubleVector.fromArray(DS, x, xo + i));
        }
        double sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += x[xo + i];
        }
        return sum;
    }
}
