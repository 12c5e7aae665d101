package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Philox;
import dev.quiver.spi.Philox.Twin;
import dev.quiver.spi.RandomDistribution;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Philox random fill on the Vector API: the SIMD twin of {@link Philox} (its recipe, and the log/sin/cos of
 * {@link Twin} written as the same operations in the same order, fma where {@link Twin} has fma), so it gives the
 * reference's bits at every width. Loaded per width by {@link Simd#load} (see {@link Simd} for why).
 *
 * <p>Two stages per chunk of blocks: {@link #philox} runs ten rounds on one block per 64-bit lane (a 32-bit word
 * zero-extended, so a lane multiply gives the full 64-bit product) and stores the words in stream order; the
 * transforms then run one output element per lane over those words. A Box-Muller lane reads its pair by a
 * constant rearrange (even lanes take cos, odd lanes sin of the same pair), so no output needs a scatter.
 * Elements before the first whole block and after the last whole vector use {@link Philox} itself.
 */
final class RandomSimd implements RandomFill.Kernels {
    // Constants per hidden class (see Simd): the Vector API intrinsifies only constant species.
    private static final VectorShape SHAPE = Simd.shape(MethodHandles.lookup());
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED.withShape(SHAPE);
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED.withShape(SHAPE);
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(SHAPE);
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED.withShape(SHAPE);
    private static final int LONGS = LS.length();
    private static final int INTS = IS.length();
    private static final long LOW32 = 0xFFFFFFFFL;
    /** Blocks per chunk: the words (16 bytes a block) stay in L1. */
    private static final int CHUNK_BLOCKS = 512;

    private static final LongVector LANE = LongVector.zero(LS).addIndex(1);
    private static final VectorShuffle<Long> ZIP_LOW = VectorShuffle.fromOp(LS, i -> i / 2);
    private static final VectorShuffle<Long> ZIP_HIGH = VectorShuffle.fromOp(LS, i -> LONGS / 2 + i / 2);
    private static final VectorShuffle<Long> EVEN_LONGS = VectorShuffle.fromOp(LS, i -> i & ~1);
    private static final VectorShuffle<Long> ODD_LONGS = VectorShuffle.fromOp(LS, i -> i | 1);
    private static final VectorShuffle<Integer> EVEN_INTS = VectorShuffle.fromOp(IS, i -> i & ~1);
    private static final VectorShuffle<Integer> ODD_INTS = VectorShuffle.fromOp(IS, i -> i | 1);
    private static final VectorMask<Long> ODD_LONG_LANES = LANE.and(1L).compare(VectorOperators.NE, 0L);
    /** {@code 2^29} on cos lanes, {@code 2^29 - 2^30} on sin lanes: the angle offsets of {@link Philox#normalFloat}. */
    private static final IntVector FLOAT_ANGLE_OFFSET =
            IntVector.zero(IS).addIndex(1).and(1).mul(-(1 << 30)).add(1 << 29);
    private static final LongVector DOUBLE_ANGLE_OFFSET = LANE.and(1L).mul(-(1L << 62)).add(1L << 61);

    /** Per-thread chunk scratch: a fill allocates nothing (a fused loop generates its draws chunk by chunk). */
    static final class Scratch {
        final long[] words = new long[2 * CHUNK_BLOCKS];
        final float[][] floats = new float[3][4 * CHUNK_BLOCKS];
        final double[][] doubles = new double[3][2 * CHUNK_BLOCKS];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Use {@code Simd.load(..., "RandomSimd", bits)}: loaded plainly, the class runs at the preferred width. */
    public RandomSimd() {
    }

    @Override
    public void fill(RandomDistribution distribution, long seed, long counter, double first, double second,
            DType type, Object out, int at, int from, int to) {
        boolean single = type == DType.FLOAT32;
        int perBlock = single ? 4 : 2;
        int perVector = single ? INTS : LONGS;
        int i = from;
        int head = Math.min(to, from + (int) (-(counter + from) & (perBlock - 1)));
        RandomFill.scalar(distribution, seed, counter, first, second, type, out, at, i, head);
        i = head;
        Scratch own = to - i >= perVector ? SCRATCH.get() : null;
        long[] words = own == null ? null : own.words;
        Object scratch = own == null ? null : single ? own.floats : own.doubles;
        while (to - i >= perVector) {
            int elements = Math.min(CHUNK_BLOCKS * perBlock, (to - i) / perVector * perVector);
            long block = (counter + i) >>> (single ? 2 : 1);
            philox(seed, block, elements / perBlock, -1L >>> (single ? 2 : 1), words);
            if (single) {
                float[] floats = (float[]) out;
                if (distribution == RandomDistribution.UNIFORM) {
                    uniformFloats(words, elements, (float) (second - first), (float) first, floats, at + i);
                } else {
                    normalFloats(words, elements, (float) second, (float) first, (float[][]) scratch, floats, at + i);
                }
            } else {
                double[] doubles = (double[]) out;
                if (distribution == RandomDistribution.UNIFORM) {
                    uniformDoubles(words, elements, second - first, first, doubles, at + i);
                } else {
                    normalDoubles(words, elements, second, first, (double[][]) scratch, doubles, at + i);
                }
            }
            i += elements;
        }
        RandomFill.scalar(distribution, seed, counter, first, second, type, out, at, i, to);
    }

    /**
     * The words of blocks {@code first .. first + blocks} (rounded up to whole vectors, modulo {@code blockMask + 1})
     * in stream order:
     * {@code words[2b] = x0 | x1 << 32}, {@code words[2b + 1] = x2 | x3 << 32}, i.e. the ints {@code x0, x1, x2, x3}
     * of each block in turn when read as little-endian int lanes.
     */
    private static void philox(long seed, long first, int blocks, long blockMask, long[] words) {
        long w0 = Philox.W0 & LOW32;
        long w1 = Philox.W1 & LOW32;
        for (int b = 0; b < blocks; b += LONGS) {
            LongVector counter = LANE.add(first + b).and(blockMask);   // element counters wrap at 2^64
            LongVector c0 = counter.and(LOW32);
            LongVector c1 = counter.lanewise(VectorOperators.LSHR, 32);
            LongVector c2 = LongVector.zero(LS);
            LongVector c3 = LongVector.zero(LS);
            long k0 = seed & LOW32;
            long k1 = seed >>> 32;
            for (int round = 0; round < 10; round++) {
                LongVector p0 = c0.mul(Philox.M0 & LOW32);
                LongVector p1 = c2.mul(Philox.M1 & LOW32);
                LongVector n0 = p1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c1)
                        .lanewise(VectorOperators.XOR, k0);
                LongVector n2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c3)
                        .lanewise(VectorOperators.XOR, k1);
                c1 = p1.and(LOW32);
                c3 = p0.and(LOW32);
                c0 = n0;
                c2 = n2;
                k0 = (k0 + w0) & LOW32;
                k1 = (k1 + w1) & LOW32;
            }
            LongVector x01 = c0.or(c1.lanewise(VectorOperators.LSHL, 32));
            LongVector x23 = c2.or(c3.lanewise(VectorOperators.LSHL, 32));
            x01.rearrange(ZIP_LOW).blend(x23.rearrange(ZIP_LOW), ODD_LONG_LANES).intoArray(words, 2 * b);
            x01.rearrange(ZIP_HIGH).blend(x23.rearrange(ZIP_HIGH), ODD_LONG_LANES).intoArray(words, 2 * b + LONGS);
        }
    }

    private static FloatVector f(float c) {
        return FloatVector.broadcast(FS, c);
    }

    private static DoubleVector d(double c) {
        return DoubleVector.broadcast(DS, c);
    }

    private static IntVector ints(long[] words, int element) {
        return LongVector.fromArray(LS, words, element / 2).reinterpretAsInts();
    }

    private static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    private static DoubleVector toDouble(LongVector v) {
        return (DoubleVector) v.convert(VectorOperators.L2D, 0);
    }

    private static void uniformFloats(long[] words, int elements, float span, float low, float[] out, int at) {
        for (int p = 0; p < elements; p += INTS) {
            FloatVector u = toFloat(ints(words, p).lanewise(VectorOperators.LSHR, 8)).mul(0x1.0p-24f);
            u.fma(span, low).intoArray(out, at + p);
        }
    }

    private static void uniformDoubles(long[] words, int elements, double span, double low, double[] out, int at) {
        for (int p = 0; p < elements; p += LONGS) {
            DoubleVector u = toDouble(bits53(LongVector.fromArray(LS, words, p))).mul(0x1.0p-53);
            u.fma(span, low).intoArray(out, at + p);
        }
    }

    /** {@code x[h] << 21 | x[h + 1] >>> 11} of a lane holding {@code x[h] | x[h + 1] << 32}. */
    private static LongVector bits53(LongVector pair) {
        return pair.and(LOW32).lanewise(VectorOperators.LSHL, 21).or(pair.lanewise(VectorOperators.LSHR, 43));
    }

    /**
     * Box-Muller in passes over the chunk, each its own method (radius, then angle; float64 splits sin and cos too),
     * through L1-sized scratch arrays: one loop with all of it passes C2's inlining node budget
     * (NodeCountInliningCutoff), and the vector ops left un-inlined box every vector (measured 6-8x slower).
     * {@code scratch} holds arrays of at least {@code elements}: radius, sin, x then cos.
     */
    private static void normalFloats(long[] words, int elements, float scale, float shift, float[][] scratch,
            float[] out, int at) {
        float[] radius = scratch[0];
        radiusFloats(words, elements, radius);
        for (int p = 0; p < elements; p += INTS) {
            IntVector t = ints(words, p).rearrange(ODD_INTS).add(FLOAT_ANGLE_OFFSET);
            IntVector q = t.lanewise(VectorOperators.LSHR, 30);
            FloatVector x = toFloat(t.and(0x3FFFFFFF).lanewise(VectorOperators.LSHR, 6).sub(1 << 23)).mul(0x1.0p-23f);
            FloatVector x2 = x.mul(x);
            FloatVector ps = x2.fma(Twin.S9F, Twin.S7F).fma(x2, f(Twin.S5F)).fma(x2, f(Twin.S3F));
            FloatVector sin = x.fma(f(Twin.S1F), x.mul(ps.fma(x2, f(Twin.S1LOF))));
            FloatVector cos = x2.fma(Twin.C10F, Twin.C8F).fma(x2, f(Twin.C6F)).fma(x2, f(Twin.C4F)).fma(x2, f(Twin.C2F))
                    .fma(x2, f(1f));
            FloatVector cosine = cos.blend(sin, q.and(1).compare(VectorOperators.NE, 0).cast(FS));
            cosine = cosine.lanewise(VectorOperators.NEG, q.add(1).and(2).compare(VectorOperators.NE, 0).cast(FS));
            FloatVector.fromArray(FS, radius, p).mul(cosine).fma(scale, shift).intoArray(out, at + p);
        }
    }

    /** {@code sqrt(-2 log u1)} of each float32 element's radius word: {@code u1} first, then the log on its own. */
    private static void radiusFloats(long[] words, int elements, float[] radius) {
        for (int p = 0; p < elements; p += INTS) {
            toFloat(ints(words, p).rearrange(EVEN_INTS).lanewise(VectorOperators.LSHR, 8).add(1)).mul(0x1.0p-24f)
                    .intoArray(radius, p);
        }
        for (int p = 0; p < elements; p += INTS) {
            logFloat(FloatVector.fromArray(FS, radius, p)).mul(-2f).sqrt().intoArray(radius, p);
        }
    }

    private static void normalDoubles(long[] words, int elements, double scale, double shift, double[][] scratch,
            double[] out, int at) {
        double[] radius = scratch[0];
        double[] sin = scratch[1];
        double[] xc = scratch[2];
        radiusDoubles(words, elements, radius);
        for (int p = 0; p < elements; p += LONGS) {
            LongVector t = LongVector.fromArray(LS, words, p).rearrange(ODD_LONGS).add(DOUBLE_ANGLE_OFFSET);
            toDouble(t.and(0x3FFFFFFFFFFFFFFFL).lanewise(VectorOperators.LSHR, 9).sub(1L << 52)).mul(0x1.0p-52)
                    .intoArray(xc, p);
        }
        sinDoubles(xc, elements, sin);
        cosDoubles(xc, elements);
        for (int p = 0; p < elements; p += LONGS) {
            LongVector q = LongVector.fromArray(LS, words, p).rearrange(ODD_LONGS).add(DOUBLE_ANGLE_OFFSET)
                    .lanewise(VectorOperators.LSHR, 62);
            DoubleVector cosine = DoubleVector.fromArray(DS, xc, p).blend(DoubleVector.fromArray(DS, sin, p),
                    q.and(1L).compare(VectorOperators.NE, 0L).cast(DS));
            cosine = cosine.lanewise(VectorOperators.NEG, q.add(1L).and(2L).compare(VectorOperators.NE, 0L).cast(DS));
            DoubleVector.fromArray(DS, radius, p).mul(cosine).fma(scale, shift).intoArray(out, at + p);
        }
    }

    /** {@code sqrt(-2 log u1)} of each float64 element's radius words, in two loops as {@link #radiusFloats}. */
    private static void radiusDoubles(long[] words, int elements, double[] radius) {
        for (int p = 0; p < elements; p += LONGS) {
            LongVector pair = LongVector.fromArray(LS, words, p).rearrange(EVEN_LONGS);
            toDouble(bits53(pair).add(1L)).mul(0x1.0p-53).intoArray(radius, p);
        }
        for (int p = 0; p < elements; p += LONGS) {
            logDouble(DoubleVector.fromArray(DS, radius, p)).mul(-2.0).sqrt().intoArray(radius, p);
        }
    }

    /** {@link Twin#sinDouble} of {@code x[p]} into {@code sin[p]}. */
    private static void sinDoubles(double[] x, int elements, double[] sin) {
        for (int p = 0; p < elements; p += LONGS) {
            DoubleVector v = DoubleVector.fromArray(DS, x, p);
            DoubleVector v2 = v.mul(v);
            DoubleVector ps = v2.fma(Twin.S17, Twin.S15).fma(v2, d(Twin.S13)).fma(v2, d(Twin.S11)).fma(v2, d(Twin.S9));
            ps = ps.fma(v2, d(Twin.S7)).fma(v2, d(Twin.S5)).fma(v2, d(Twin.S3));
            v.fma(d(Twin.S1), v.mul(ps.fma(v2, d(Twin.S1LO)))).intoArray(sin, p);
        }
    }

    /** {@link Twin#cosDouble} of {@code x[p]}, in place. */
    private static void cosDoubles(double[] x, int elements) {
        for (int p = 0; p < elements; p += LONGS) {
            DoubleVector v = DoubleVector.fromArray(DS, x, p);
            DoubleVector v2 = v.mul(v);
            DoubleVector pc = v2.fma(Twin.C16, Twin.C14).fma(v2, d(Twin.C12)).fma(v2, d(Twin.C10)).fma(v2, d(Twin.C8));
            pc.fma(v2, d(Twin.C6)).fma(v2, d(Twin.C4)).fma(v2, d(Twin.C2)).fma(v2, d(1.0)).intoArray(x, p);
        }
    }

    /** {@link Twin#logFloat} on lanes. */
    private static FloatVector logFloat(FloatVector u) {
        IntVector ix = u.reinterpretAsInts().sub(Twin.SQRT_HALF_BITSF);
        FloatVector k = toFloat(ix.lanewise(VectorOperators.ASHR, 23));
        FloatVector f = ix.and(0x007FFFFF).add(Twin.SQRT_HALF_BITSF).reinterpretAsFloats().sub(1f);
        FloatVector s = f.div(f.add(2f));
        FloatVector z = s.mul(s);
        FloatVector w = z.mul(z);
        FloatVector r = z.mul(w.fma(Twin.LG3F, Twin.LG1F)).add(w.mul(w.fma(Twin.LG4F, Twin.LG2F)));
        FloatVector hfsq = f.mul(0.5f).mul(f);
        FloatVector inner = s.fma(hfsq.add(r), k.mul(Twin.LN2_LOF));
        return k.fma(f(Twin.LN2_HIF), f.sub(hfsq.sub(inner)));
    }

    /** {@link Twin#logDouble} on lanes. */
    private static DoubleVector logDouble(DoubleVector u) {
        LongVector ix = u.reinterpretAsLongs().sub(Twin.SQRT_HALF_BITS);
        DoubleVector k = toDouble(ix.lanewise(VectorOperators.ASHR, 52));
        DoubleVector f = ix.and(0x000FFFFFFFFFFFFFL).add(Twin.SQRT_HALF_BITS).reinterpretAsDoubles().sub(1.0);
        DoubleVector s = f.div(f.add(2.0));
        DoubleVector z = s.mul(s);
        DoubleVector w = z.mul(z);
        DoubleVector r = z.mul(w.fma(Twin.LG7, Twin.LG5).fma(w, d(Twin.LG3)).fma(w, d(Twin.LG1)))
                .add(w.mul(w.fma(Twin.LG6, Twin.LG4).fma(w, d(Twin.LG2))));
        DoubleVector hfsq = f.mul(0.5).mul(f);
        DoubleVector inner = s.fma(hfsq.add(r), k.mul(Twin.LN2_LO));
        return k.fma(d(Twin.LN2_HI), f.sub(hfsq.sub(inner)));
    }
}
