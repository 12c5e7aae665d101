// Generated for $DTYPE$ from backend-cpu/src/main/templates/X-Reductions.java (README.md there) at build time:
// edit the template, never the generated file.
package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.Reductions.COLUMN_BLOCK;
import static dev.quiver.backend.cpu.Reductions.LANE_SUMS;
import static dev.quiver.backend.cpu.Reductions.ROW_BLOCK;

import dev.quiver.spi.Primitive;
import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import jdk.incubator.vector.$Vector$;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The $DTYPE$ SIMD reductions (SUM, MAX, MIN) of {@link Reductions}, over the middle axis of a contiguous
 * {@code (outer, reduced, inner)} block of {@code $type$}; the strategy and its accuracy are described there.
 */
@SuppressWarnings("cast") // the float64 expansion casts double to double where float32 narrows
final class $Dtype$Reductions implements Simd.FloatingReductions {
    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
    private static final VectorSpecies<$Type$> S = $Vector$.SPECIES_PREFERRED.withShape(SHAPE);

    /** Use {@code Simd.load(..., "$Dtype$Reductions", bits)}: loaded plainly, the class runs at the preferred width. */
    public $Dtype$Reductions() {
    }

    @Override
    public void reduce(Primitive op, Object in, int xo, Object out, int yo, int outer, int reduced, int inner) {
        $type$[] x = ($type$[]) in;
        $type$[] y = ($type$[]) out;
        if (inner == 1) {
            for (int o = 0; o < outer; o++) {
                y[yo + o] = reduceRow(op, x, xo + o * reduced, reduced);
            }
            return;
        }
        $type$[] block = new $type$[inner];
        double[] total = op == Primitive.SUM ? new double[inner] : null;
        for (int o = 0; o < outer; o++) {
            int base = xo + o * reduced * inner;
            int target = yo + o * inner;
            if (reduced == 0) {
                Arrays.fill(y, target, target + inner, op == Primitive.SUM ? 0 : op == Primitive.MAX ? $Type$.NEGATIVE_INFINITY : $Type$.POSITIVE_INFINITY);
                continue;
            }
            if (op != Primitive.SUM) {
                // max/min are exact, so the output row itself is the accumulator
                System.arraycopy(x, base, y, target, inner);
                for (int r = 1; r < reduced; r++) {
                    combine(op, y, target, x, base + r * inner, inner);
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
                    combine(op, block, 0, x, base + r * inner, inner);
                }
                for (int j = 0; j < inner; j++) {
                    total[j] += block[j];
                }
            }
            for (int j = 0; j < inner; j++) {
                y[target + j] = ($type$) total[j];
            }
        }
    }

    /**
     * {@code sums[k] += x[xo + i]} for every {@code i < n} with {@code i % LANE_SUMS == k}, in increasing {@code i}:
     * {@value Reductions#LANE_SUMS} running sums whatever the vector width (a 512-bit vector holds 16 float32 of
     * them, a 128-bit one 4), so the result is the same at every width and equals the scalar twin in
     * {@code FusedLoop}. The sums stay in the array (L1) rather than in registers, which would need a width-dependent
     * number of vector variables.
     */
    @Override
    public void accumulateLanes(Object in, int xo, int n, Object laneSums) {
        $type$[] x = ($type$[]) in;
        $type$[] sums = ($type$[]) laneSums;
        int lanes = S.length();
        int i = 0;
        for (; i + LANE_SUMS <= n; i += LANE_SUMS) {
            for (int v = 0; v < LANE_SUMS; v += lanes) {
                $Vector$.fromArray(S, sums, v).add($Vector$.fromArray(S, x, xo + i + v)).intoArray(sums, v);
            }
        }
        for (int k = 0; i < n; i++, k++) {
            sums[k] += x[xo + i];
        }
    }

    /** {@code acc[ao + j] = op(acc[ao + j], x[xo + j])} for {@code j < n}. */
    private static void combine(Primitive op, $type$[] acc, int ao, $type$[] x, int xo, int n) {
        int lanes = S.length();
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += lanes) {
            $Vector$ v = $Vector$.fromArray(S, acc, ao + j);
            $Vector$ w = $Vector$.fromArray(S, x, xo + j);
            (op == Primitive.SUM ? v.add(w) : op == Primitive.MAX ? v.max(w) : v.min(w)).intoArray(acc, ao + j);
        }
        // the tail one by one: a masked access past the array's end allocates (see the elementwise rows)
        for (; j < n; j++) {
            $type$ a = acc[ao + j];
            $type$ b = x[xo + j];
            acc[ao + j] = op == Primitive.SUM ? a + b : op == Primitive.MAX ? Math.max(a, b) : Math.min(a, b);
        }
    }

    private static $type$ reduceRow(Primitive op, $type$[] x, int xo, int n) {
        if (op == Primitive.SUM) {
            // Two blocks at a time, one from each half of the row: two read streams keep more cache misses in flight
            // than one, and a one-thread float32 sum of a 16M row read memory slower than the triad's three streams
            // did (0.79x in the bench). Each block is still summed alone and folded into double.
            double total = 0;
            int half = n / (2 * ROW_BLOCK) * ROW_BLOCK;
            for (int start = 0; start < half; start += ROW_BLOCK) {
                total += sumTwoBlocks(x, xo + start, xo + half + start);
            }
            for (int start = 2 * half; start < n; start += ROW_BLOCK) {
                total += sumBlock(x, xo + start, Math.min(ROW_BLOCK, n - start));
            }
            return ($type$) total;
        }
        boolean max = op == Primitive.MAX;
        int lanes = S.length();
        $Vector$ acc0 = $Vector$.broadcast(S, max ? $Type$.NEGATIVE_INFINITY : $Type$.POSITIVE_INFINITY);
        $Vector$ acc1 = acc0;
        $Vector$ acc2 = acc0;
        $Vector$ acc3 = acc0;
        int i = 0;
        for (; i + 4 * lanes <= n; i += 4 * lanes) {
            $Vector$ v0 = $Vector$.fromArray(S, x, xo + i);
            $Vector$ v1 = $Vector$.fromArray(S, x, xo + i + lanes);
            $Vector$ v2 = $Vector$.fromArray(S, x, xo + i + 2 * lanes);
            $Vector$ v3 = $Vector$.fromArray(S, x, xo + i + 3 * lanes);
            acc0 = max ? acc0.max(v0) : acc0.min(v0);
            acc1 = max ? acc1.max(v1) : acc1.min(v1);
            acc2 = max ? acc2.max(v2) : acc2.min(v2);
            acc3 = max ? acc3.max(v3) : acc3.min(v3);
        }
        for (; i + lanes <= n; i += lanes) {
            $Vector$ v = $Vector$.fromArray(S, x, xo + i);
            acc0 = max ? acc0.max(v) : acc0.min(v);
        }
        $Vector$ acc = max ? acc0.max(acc1).max(acc2.max(acc3)) : acc0.min(acc1).min(acc2.min(acc3));
        if (acc.test(VectorOperators.IS_NAN).anyTrue()) {
            return $Type$.NaN;   // NaN propagates, whatever order the lanes are folded in
        }
        $type$ result = max ? acc.reduceLanes(VectorOperators.MAX) : acc.reduceLanes(VectorOperators.MIN);
        for (; i < n; i++) {
            result = max ? Math.max(result, x[xo + i]) : Math.min(result, x[xo + i]);
        }
        return result;
    }

    /** The sums of two whole blocks ({@link Reductions#ROW_BLOCK} elements each) read side by side, added in double. */
    private static double sumTwoBlocks($type$[] x, int first, int second) {
        int lanes = S.length();
        $Vector$ acc0 = $Vector$.zero(S);
        $Vector$ acc1 = acc0;
        $Vector$ acc2 = acc0;
        $Vector$ acc3 = acc0;
        for (int i = 0; i < ROW_BLOCK; i += 2 * lanes) {
            acc0 = acc0.add($Vector$.fromArray(S, x, first + i));
            acc1 = acc1.add($Vector$.fromArray(S, x, first + i + lanes));
            acc2 = acc2.add($Vector$.fromArray(S, x, second + i));
            acc3 = acc3.add($Vector$.fromArray(S, x, second + i + lanes));
        }
        return addLanesInOrder(acc0.add(acc1)) + addLanesInOrder(acc2.add(acc3));
    }

    /**
     * The lanes of {@code v} added in lane order, in double. Not {@code reduceLanes(ADD)}: its order is the JIT's
     * choice (C2 reassociates, the interpreter adds in order), so a sum's bits depended on whether the method had been
     * compiled yet, and an eager loop and its compiled replay could differ in the last bit.
     */
    private static double addLanesInOrder($Vector$ v) {
        double sum = 0;
        for (int lane = 0; lane < S.length(); lane++) {
            sum += v.lane(lane);
        }
        return sum;
    }

    /** Sum of a block with four independent vector accumulators (hides the add latency), tail in double. */
    private static double sumBlock($type$[] x, int xo, int n) {
        int lanes = S.length();
        $Vector$ acc0 = $Vector$.zero(S);
        $Vector$ acc1 = acc0;
        $Vector$ acc2 = acc0;
        $Vector$ acc3 = acc0;
        int i = 0;
        for (; i + 4 * lanes <= n; i += 4 * lanes) {
            acc0 = acc0.add($Vector$.fromArray(S, x, xo + i));
            acc1 = acc1.add($Vector$.fromArray(S, x, xo + i + lanes));
            acc2 = acc2.add($Vector$.fromArray(S, x, xo + i + 2 * lanes));
            acc3 = acc3.add($Vector$.fromArray(S, x, xo + i + 3 * lanes));
        }
        for (; i + lanes <= n; i += lanes) {
            acc0 = acc0.add($Vector$.fromArray(S, x, xo + i));
        }
        double sum = addLanesInOrder(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += x[xo + i];
        }
        return sum;
    }
}
