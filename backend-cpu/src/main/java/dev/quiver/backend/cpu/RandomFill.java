package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Philox;
import dev.quiver.spi.Philox.Twin;
import dev.quiver.spi.RandomDistribution;

/**
 * Random fills with the Philox-4x32-10 recipe of {@link Philox}: {@link RandomSimd} at the backend's vector width once
 * HotSpot's optimising compiler (C2) has compiled it, plain Java until then and with SIMD off: {@link #normalFloats}
 * for float32 normals, {@link #scalar} for the rest. Elements are independent (counter-based), so any split across
 * threads gives the same numbers, and every path gives the same bits (RandomSimdTest).
 *
 * <p>Why the wait: the Vector API is intrinsified by C2 only. Under the interpreter and C1 every vector is a boxed
 * object, so a cold SIMD fill ran 100-5,000 times slower than a warm one (measured on Zen 5: the first eager draw of
 * 640,000 normals 1.5-3 s, the batched-regression example's first two steps 5.9 s; draws of 8,192 40-100 ms for
 * their first ten calls). Once plain Java has drawn {@value #WARM_AFTER_ELEMENTS} values at a width (one large draw,
 * or a training loop's first few hundred small ones), one daemon thread ({@value #WARMING_THREAD}) runs the
 * SIMD fill on scratch arrays, every dtype, distribution and a small, a chunk-sized and a large length, until each ran
 * at compiled speed twice in a row; from then on every fill at that width takes the SIMD path (64 float32 normals
 * 0.10 µs against 0.4-0.6 plain; 2^20 1.2 ms against 3.2). The plain path has no cold cliff, so the user's calls
 * never wait for the JIT. A width that does not get there within {@value #WARMING_LIMIT_SECONDS} s (a JVM run with
 * {@code -Xint} or {@code -XX:TieredStopAtLevel=1}) keeps the plain path and says so once ({@link System.Logger},
 * WARNING).
 *
 * <pre>{@code
 * float[] out = new float[100];
 * RandomFill.fill(512, RandomDistribution.NORMAL, 42, 0, 0.0, 1.0, DType.FLOAT32, out, 0, 0, 100);
 * }</pre>
 */
final class RandomFill {
    /** What {@link RandomSimd} offers: fill {@code out[at + i]}, {@code i} in {@code [from, to)}, with element
     * {@code counter + i} of the stream. */
    interface Kernels {
        void fill(RandomDistribution distribution, long seed, long counter, double first, double second, DType type,
                Object out, int at, int from, int to);
    }

    static final String WARMING_THREAD = "quiver-cpu-random-warmup";
    static final int WARMING_LIMIT_SECONDS = 60;
    /**
     * Lengths the warming thread fills: a training step's batch, a fused loop's chunk, an eager draw's thread share;
     * each path is compiled with the branch profile of every length it serves (a fill warmed only at one length was
     * recompiled, and ran boxed again meanwhile, on its first calls at another).
     */
    private static final int[] WARMING_LENGTHS = {64, 2048, 1 << 16};
    /**
     * A warming fill counts as compiled below this many ns per element: C2 takes 1.2-1.6 (float32 normals, Zen 5),
     * plain Java 3-10, C1's boxed vectors hundreds to thousands; a slow machine or a preempted call only warms longer.
     */
    private static final double COMPILED_NANOS_PER_ELEMENT = 25;

    /**
     * Elements drawn by plain Java at a width before its SIMD fill is warmed: one draw of 65,536 (an eager draw worth
     * a thread split, a K = 10,000 step's batch) or 512 steps of a batch-64 training loop. Below it, warming would cost
     * more than it saves: for about 4 s it takes a core and makes garbage (C1's boxed vectors), which slowed the short
     * tutorials' first steps about 2x.
     */
    static final long WARM_AFTER_ELEMENTS = 1 << 16;

    /** The SIMD kernels of one width; {@code compiled} once the warming thread saw every path at compiled speed. */
    private static final class Width {
        final int bits;
        final Kernels kernels;
        volatile boolean compiled;
        private long coldElements;   // racy: an approximate count is enough to decide when to warm
        private boolean warming;

        Width(int bits) {
            this.bits = bits;
            this.kernels = Simd.load(Kernels.class, "RandomSimd", bits);
        }

        /** Counts a plain-Java fill of {@code elements}; starts warming once {@link #WARM_AFTER_ELEMENTS} are drawn. */
        void drewCold(long elements) {
            coldElements += elements;
            if (coldElements >= WARM_AFTER_ELEMENTS && !warming) {
                startWarming();
            }
        }

        synchronized void startWarming() {
            if (!warming) {
                warming = true;
                Thread thread = new Thread(() -> warm(this), WARMING_THREAD + "-" + bits);
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    private static final Width[] WIDTHS = new Width[3];

    private RandomFill() {
    }

    /**
     * Fills {@code out[at + i]} for {@code i} in {@code [from, to)}: with the SIMD fill at {@code simdBits} once it is
     * compiled, else plain Java; {@code simdBits} 0 always runs plain Java. The same bits on every path.
     */
    static void fill(int simdBits, RandomDistribution distribution, long seed, long counter, double first,
            double second, DType type, Object out, int at, int from, int to) {
        Width width = simdBits == 0 ? null : width(simdBits);
        if (width != null && width.compiled) {
            width.kernels.fill(distribution, seed, counter, first, second, type, out, at, from, to);
            return;
        }
        if (width != null) {
            width.drewCold(to - from);
        }
        if (type == DType.FLOAT32 && distribution == RandomDistribution.NORMAL) {
            normalFloats(seed, counter, (float) first, (float) second, (float[]) out, at, from, to);
        } else {
            scalar(distribution, seed, counter, first, second, type, out, at, from, to);
        }
    }

    /** The SIMD kernels at {@code simdBits}, compiled or not (the tests compare them with plain Java). */
    static Kernels kernels(int simdBits) {
        return width(simdBits).kernels;
    }

    /** Whether {@link #fill} at {@code simdBits} runs the SIMD kernels yet. */
    static boolean simdCompiled(int simdBits) {
        return width(simdBits).compiled;
    }

    /** Starts warming the SIMD kernels at {@code simdBits} now, if not begun (tests; {@link #fill} starts it itself). */
    static void startWarming(int simdBits) {
        width(simdBits).startWarming();
    }

    private static Width width(int simdBits) {
        int slot = Integer.numberOfTrailingZeros(simdBits) - 7;   // 128, 256, 512 -> 0, 1, 2
        Width width = WIDTHS[slot];   // a racy read is safe: final fields, and the flag is volatile
        if (width != null) {
            return width;
        }
        synchronized (WIDTHS) {
            if (WIDTHS[slot] == null) {
                WIDTHS[slot] = new Width(simdBits);
            }
            return WIDTHS[slot];
        }
    }

    /**
     * Runs the SIMD fill for every dtype, distribution and {@link #WARMING_LENGTHS length}, from unaligned stream
     * positions, until each took less than {@link #COMPILED_NANOS_PER_ELEMENT} twice in a row; then lets
     * {@link #fill} use it.
     */
    private static void warm(Width width) {
        int longest = WARMING_LENGTHS[WARMING_LENGTHS.length - 1];
        float[] floats = new float[longest];
        double[] doubles = new double[longest];
        DType[] types = {DType.FLOAT32, DType.FLOAT64};
        RandomDistribution[] distributions = {RandomDistribution.NORMAL, RandomDistribution.UNIFORM};
        int[] fastInARow = new int[types.length * distributions.length * WARMING_LENGTHS.length];
        long deadline = System.nanoTime() + WARMING_LIMIT_SECONDS * 1_000_000_000L;
        long counter = 0;
        while (System.nanoTime() < deadline) {
            boolean all = true;
            int k = 0;
            for (DType type : types) {
                for (RandomDistribution distribution : distributions) {
                    for (int length : WARMING_LENGTHS) {
                        if (fastInARow[k] < 2) {
                            long start = System.nanoTime();
                            width.kernels.fill(distribution, 42, counter, 0, 1, type,
                                    type == DType.FLOAT32 ? floats : doubles, 0, 0, length);
                            boolean fast = System.nanoTime() - start < COMPILED_NANOS_PER_ELEMENT * length;
                            fastInARow[k] = fast ? fastInARow[k] + 1 : 0;
                            counter += length + 1;   // a new, unaligned part of the stream each time
                        }
                        all &= fastInARow[k] >= 2;
                        k++;
                    }
                }
            }
            if (all) {
                width.compiled = true;
                return;
            }
        }
        System.getLogger(RandomFill.class.getName()).log(System.Logger.Level.WARNING, "cpu: the " + width.bits
                + "-bit SIMD random fill did not reach compiled speed within " + WARMING_LIMIT_SECONDS + " s (a JVM "
                + "without C2, e.g. -Xint or -XX:TieredStopAtLevel=1?); random draws keep the plain-Java fill (the "
                + "same numbers, 3-6x slower)");
    }

    /**
     * The scalar twin: {@link Philox}'s reference, two blocks a turn ({@link #philox2} interleaves their rounds), each
     * block's words feeding its elements at once; a Box-Muller pair computes its radius, reduced angle and both
     * polynomials once for its two elements (cos and sin), the quadrant picking and signing them with integer bit
     * operations, not branches (random quadrants defeat branch prediction). Each element gets the same operations in
     * the same order as the reference, fma exactly where {@link Philox} has fma, so the same bits (RandomSimdTest pins
     * every kind, alignment and length). No Vector API: full speed under C1 too (the {@link RandomSimd} fill boxes
     * every vector until C2 compiles it). What draws other than float32 normals run until the SIMD fill is compiled,
     * and the heads and tails of the SIMD fill. Measured (one Zen 5 core
     * shared with other work, warm, best of repeats): 64 float32 uniforms 0.26 µs (0.33 before), 64 float64 normals
     * 0.91 µs (1.0-2.2 before), 64 float64 uniforms 0.44 µs (0.52-1.1 before).
     */
    static void scalar(RandomDistribution distribution, long seed, long counter, double first, double second,
            DType type, Object out, int at, int from, int to) {
        if (from >= to) {
            return;   // an empty head or tail: no ThreadLocal lookup
        }
        boolean single = type == DType.FLOAT32;
        boolean normal = distribution == RandomDistribution.NORMAL;
        int shift = single ? 2 : 1;
        int lane = (1 << shift) - 1;
        // the reference's float32 scale and shift: (float) second, (float) first for normals, span and low for uniforms
        float scaleF = (float) (normal ? second : second - first);
        float shiftF = (float) first;
        double scaleD = normal ? second : second - first;
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int perBlock = lane + 1;
        Scratch scratch = SCRATCH.get();
        int[] even = scratch.even;
        int[] odd = scratch.odd;
        int i = from;
        while (i < to) {   // two consecutive blocks a turn: a's slots lo .. hiA - 1, then b's 0 .. hiB - 1
            long element = counter + i;   // element counters wrap at 2^64
            int lo = (int) element & lane;
            int hiA = Math.min(perBlock, lo + to - i);
            int hiB = Math.min(perBlock, to - i - (hiA - lo));
            int base = at + i - lo;
            long blockA = element >>> shift;
            long blockB = (element - lo + perBlock) >>> shift;
            philox2(k0, k1, blockA, blockB, even, odd, 0, 2);
            block(single, normal, even[0], odd[0], even[2], odd[2], scaleF, shiftF, scaleD, first, out, base, lo, hiA);
            block(single, normal, even[1], odd[1], even[3], odd[3], scaleF, shiftF, scaleD, first, out,
                    base + perBlock, 0, hiB);
            i += hiA - lo + Math.max(0, hiB);
        }
    }

    /** Slots {@code lo .. hi - 1} of a block with words {@code x0 .. x3} into {@code out[base + slot]}. */
    private static void block(boolean single, boolean normal, int x0, int x1, int x2, int x3, float scaleF,
            float shiftF, double scaleD, double shiftD, Object out, int base, int lo, int hi) {
        if (hi <= lo) {
            return;
        }
        if (single && normal) {
            float[] floats = (float[]) out;
            pairFloats(x0, x1, scaleF, shiftF, floats, base, 0, lo, hi);
            pairFloats(x2, x3, scaleF, shiftF, floats, base, 2, lo, hi);
        } else if (single) {
            float[] floats = (float[]) out;
            put(floats, base, 0, lo, hi, Math.fma(scaleF, Philox.uniformFloat(x0), shiftF));
            put(floats, base, 1, lo, hi, Math.fma(scaleF, Philox.uniformFloat(x1), shiftF));
            put(floats, base, 2, lo, hi, Math.fma(scaleF, Philox.uniformFloat(x2), shiftF));
            put(floats, base, 3, lo, hi, Math.fma(scaleF, Philox.uniformFloat(x3), shiftF));
        } else if (normal) {
            pairDoubles(x0, x1, x2, x3, scaleD, shiftD, (double[]) out, base, lo, hi);
        } else {
            double[] doubles = (double[]) out;
            put(doubles, base, 0, lo, hi, Math.fma(scaleD, Philox.uniformDouble(x0, x1), shiftD));
            put(doubles, base, 1, lo, hi, Math.fma(scaleD, Philox.uniformDouble(x2, x3), shiftD));
        }
    }

    /**
     * {@link Philox#block} of blocks {@code a} and {@code b} (key {@code k0, k1}), their ten rounds interleaved (two
     * independent dependency chains for the CPU to overlap), as Box-Muller pairs: block {@code a}'s words
     * {@code x0 .. x3} go to {@code even[p], odd[p], even[p + half], odd[p + half]}, block {@code b}'s to
     * {@code p + 1} and {@code p + 1 + half} (the radius words of the pairs in {@code even}, their angle words in
     * {@code odd}; a batch's first pairs of its blocks, then their second pairs, as {@link #philoxRounds}).
     */
    private static void philox2(int k0, int k1, long a, long b, int[] even, int[] odd, int p, int half) {
        int a0 = (int) a;
        int a1 = (int) (a >>> 32);
        int a2 = 0;
        int a3 = 0;
        int b0 = (int) b;
        int b1 = (int) (b >>> 32);
        int b2 = 0;
        int b3 = 0;
        int key0 = k0;
        int key1 = k1;
        for (int round = 0; round < 10; round++) {
            long pa0 = (M0 & 0xFFFFFFFFL) * (a0 & 0xFFFFFFFFL);
            long pa1 = (M1 & 0xFFFFFFFFL) * (a2 & 0xFFFFFFFFL);
            long pb0 = (M0 & 0xFFFFFFFFL) * (b0 & 0xFFFFFFFFL);
            long pb1 = (M1 & 0xFFFFFFFFL) * (b2 & 0xFFFFFFFFL);
            a0 = (int) (pa1 >>> 32) ^ a1 ^ key0;
            a1 = (int) pa1;
            a2 = (int) (pa0 >>> 32) ^ a3 ^ key1;
            a3 = (int) pa0;
            b0 = (int) (pb1 >>> 32) ^ b1 ^ key0;
            b1 = (int) pb1;
            b2 = (int) (pb0 >>> 32) ^ b3 ^ key1;
            b3 = (int) pb0;
            key0 += W0;
            key1 += W1;
        }
        even[p] = a0;
        odd[p] = a1;
        even[p + half] = a2;
        odd[p + half] = a3;
        even[p + 1] = b0;
        odd[p + 1] = b1;
        even[p + 1 + half] = b2;
        odd[p + 1 + half] = b3;
    }

    /**
     * {@link Philox#block} of {@code blocks} blocks from {@code first} (modulo 2^62), round by round over arrays of
     * 64-bit lanes (a word zero-extended, so a lane multiply is the full 32x32-bit product): short loops that C2's
     * superword vectorizes. Block {@code b}'s words go to {@code even[b], odd[b], even[blocks + b], odd[blocks + b]}.
     * Measured per block: 5.8 ns at 64 blocks against 12.9 for the scalar rounds, but 15.7 against 13.0 at 16 blocks
     * (too few iterations for the unrolled vector loop), so only full batches take it.
     */
    private static void philoxRounds(Scratch scratch, int k0, int k1, long first, int blocks) {
        long[] c0 = scratch.c0;
        long[] c1 = scratch.c1;
        long[] c2 = scratch.c2;
        long[] c3 = scratch.c3;
        for (int b = 0; b < blocks; b++) {
            long block = (first + b) & (-1L >>> 2);   // element counters wrap at 2^64: block counters at 2^62
            c0[b] = block & 0xFFFFFFFFL;
            c1[b] = block >>> 32;
            c2[b] = 0;
            c3[b] = 0;
        }
        long key0 = k0 & 0xFFFFFFFFL;
        long key1 = k1 & 0xFFFFFFFFL;
        for (int round = 0; round < 10; round++) {
            for (int b = 0; b < blocks; b++) {
                long product0 = (c0[b] & 0xFFFFFFFFL) * (M0 & 0xFFFFFFFFL);
                long product1 = (c2[b] & 0xFFFFFFFFL) * (M1 & 0xFFFFFFFFL);
                long next0 = (product1 >>> 32) ^ c1[b] ^ key0;
                long next2 = (product0 >>> 32) ^ c3[b] ^ key1;
                c1[b] = product1 & 0xFFFFFFFFL;
                c3[b] = product0 & 0xFFFFFFFFL;
                c0[b] = next0;
                c2[b] = next2;
            }
            key0 = (key0 + (W0 & 0xFFFFFFFFL)) & 0xFFFFFFFFL;
            key1 = (key1 + (W1 & 0xFFFFFFFFL)) & 0xFFFFFFFFL;
        }
        int[] even = scratch.even;
        int[] odd = scratch.odd;
        for (int b = 0; b < blocks; b++) {
            even[b] = (int) c0[b];
            odd[b] = (int) c1[b];
            even[blocks + b] = (int) c2[b];
            odd[blocks + b] = (int) c3[b];
        }
    }

    /** Whole blocks per batch of {@link #normalFloats}: its words and passes stay in L1. */
    private static final int BATCH_BLOCKS = 64;

    /** Per-thread scratch (a fill allocates nothing: a fused loop calls it per chunk): one batch's pairs. */
    static final class Scratch {
        final long[] c0 = new long[BATCH_BLOCKS];
        final long[] c1 = new long[BATCH_BLOCKS];
        final long[] c2 = new long[BATCH_BLOCKS];
        final long[] c3 = new long[BATCH_BLOCKS];
        final int[] even = new int[2 * BATCH_BLOCKS];
        final int[] odd = new int[2 * BATCH_BLOCKS];
        final int[] ints = new int[2 * BATCH_BLOCKS];
        final float[] k = new float[2 * BATCH_BLOCKS];
        final float[] f = new float[2 * BATCH_BLOCKS];
        final float[] radius = new float[2 * BATCH_BLOCKS];
        final float[] cos = new float[2 * BATCH_BLOCKS];
        final float[] sin = new float[2 * BATCH_BLOCKS];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Float32 normals: whole blocks in batches of passes over arrays of Box-Muller pairs that C2's superword
     * auto-vectorizer turns into SIMD loops (no Vector API, so no cold cliff: C1 runs them as plain loops), heads and
     * tails by {@link #scalar}. Each pass is a short loop (a long body is not unrolled, so not vectorized), and no pass
     * moves bits between float and int ({@code Float.floatToRawIntBits} does not vectorize): {@link #radii} computes
     * {@link Twin#logFloat}'s exponent and mantissa with integer and exact float arithmetic, and the quadrant picks
     * and signs the polynomials by exact multiplications by 0, 1 and -1. Same values as the reference, bit for bit
     * (RandomSimdTest, exhaustively over the radius words).
     *
     * <p>The Philox words of a full batch come from {@link #philoxRounds} (vectorized), of a smaller one from
     * {@link #philox2} (scalar: superword does not pay at 16 blocks). Measured (one Zen 5 core shared with other work,
     * warm, best of repeats): 64 normals 0.40-0.58 µs (0.68-0.77 µs before: three scalar passes), 2048 in 6.9 µs (27),
     * 2^20 in 3.2 ms (10.5; the Vector API fill: 1.1-1.2 ms); C1 only ({@code -XX:TieredStopAtLevel=1}) 64 in 1.1 µs
     * (2.6) and 2048 in 31-45 µs (81; the Vector API fill under C1: 2.5 ms). Without superword
     * ({@code -XX:-UseSuperWord}) 64 normals take 0.62 µs: the vectorized passes are most of the gain. The scalar
     * Philox rounds are about 40% of a 64-normal draw (64 float32 uniforms, all Philox: 0.26 µs).
     */
    static void normalFloats(long seed, long counter, float mean, float deviation, float[] out, int at, int from,
            int to) {
        int head = Math.min(to, from + (int) (-(counter + from) & 3));   // up to the first block boundary
        scalar(RandomDistribution.NORMAL, seed, counter, mean, deviation, DType.FLOAT32, out, at, from, head);
        int i = head;
        if (to - i >= 8) {
            Scratch scratch = SCRATCH.get();
            int k0 = (int) seed;
            int k1 = (int) (seed >>> 32);
            while (to - i >= 8) {
                int blocks = Math.min(BATCH_BLOCKS, (to - i) / 8 * 2);   // pairs of blocks
                long first = (counter + i) >>> 2;   // element counters wrap at 2^64: block counters at 2^62
                if (blocks == BATCH_BLOCKS) {
                    philoxRounds(scratch, k0, k1, first, blocks);
                } else {
                    for (int b = 0; b < blocks; b += 2) {
                        philox2(k0, k1, (first + b) & (-1L >>> 2), (first + b + 1) & (-1L >>> 2), scratch.even,
                                scratch.odd, b, blocks);
                    }
                }
                int pairs = 2 * blocks;
                radii(scratch, pairs);
                angles(scratch, pairs, mean, deviation);
                float[] cos = scratch.cos;
                float[] sin = scratch.sin;
                int base = at + i;
                for (int b = 0; b < blocks; b++) {   // stream order: each pair's cos element, then its sin element
                    out[base + 4 * b] = cos[b];
                    out[base + 4 * b + 1] = sin[b];
                    out[base + 4 * b + 2] = cos[blocks + b];
                    out[base + 4 * b + 3] = sin[blocks + b];
                }
                i += 2 * pairs;
            }
        }
        scalar(RandomDistribution.NORMAL, seed, counter, mean, deviation, DType.FLOAT32, out, at, i, to);
    }

    /**
     * {@code radius[p] = sqrt(-2 log u1)} of pair {@code p}'s radius word {@code even[p]}, as {@link Philox#normalFloat}
     * and {@link Twin#logFloat}, in short passes. {@code u1 = m 2^-24} with {@code m = (word >>> 8) + 1} in
     * {@code [1, 2^24]}; with {@code 2^h} the top bit of {@code m}, {@code s = m / 2^h} (exact) is the significand of
     * {@code u1}, {@code logFloat}'s split gives {@code k = h - 24 + (s >= sqrt 2)} and {@code f = s / (1 or 2) - 1}:
     * the values {@code logFloat} reads from the bits. Then its polynomial, in its order.
     */
    static void radii(Scratch scratch, int pairs) {
        int[] even = scratch.even;
        int[] below = scratch.ints;
        float[] sig = scratch.f;
        for (int p = 0; p < pairs; p++) {
            int m = (even[p] >>> 8) + 1;
            int top = m | m >>> 1;   // every bit below the top one set (shifts by constants only: they vectorize)
            top |= top >>> 2;
            top |= top >>> 4;
            top |= top >>> 8;
            top |= top >>> 16;
            below[p] = top >>> 1;   // 2^h - 1
            sig[p] = (float) m / (float) ((top >>> 1) + 1);
        }
        float[] k = scratch.k;
        for (int p = 0; p < pairs; p++) {   // h: the bits of 2^h - 1, counted
            int c = below[p] - ((below[p] >>> 1) & 0x55555555);
            c = (c & 0x33333333) + ((c >>> 2) & 0x33333333);
            c = (c + (c >>> 4)) & 0x0F0F0F0F;
            below[p] = ((c * 0x01010101) >>> 24) - 24;
        }
        float[] f = scratch.f;
        for (int p = 0; p < pairs; p++) {
            float s = sig[p];
            int above = (SQRT2_MANTISSA - 1 - ((int) (s * 0x1.0p23f) - (1 << 23))) >>> 31;   // 1 when s >= sqrt 2
            k[p] = (float) (below[p] + above);
            f[p] = s * (1f - 0.5f * (float) above) - 1f;
        }
        float[] radius = scratch.radius;
        float[] quotient = scratch.cos;   // free until angles
        for (int p = 0; p < pairs; p++) {
            float s = f[p] / (2f + f[p]);
            float z = s * s;
            float w = z * z;
            quotient[p] = s;
            radius[p] = z * Math.fma(w, Twin.LG3F, Twin.LG1F) + w * Math.fma(w, Twin.LG4F, Twin.LG2F);
        }
        for (int p = 0; p < pairs; p++) {
            float fp = f[p];
            float hfsq = 0.5f * fp * fp;
            float inner = Math.fma(quotient[p], hfsq + radius[p], k[p] * Twin.LN2_LOF);
            radius[p] = (float) Math.sqrt(-2f * Math.fma(k[p], Twin.LN2_HIF, fp - (hfsq - inner)));
        }
    }

    /** The mantissa bits of {@link Twin#SQRT_HALF_BITSF}: {@code logFloat}'s split point. */
    private static final int SQRT2_MANTISSA = Twin.SQRT_HALF_BITSF & 0x7FFFFF;

    /**
     * {@code cos[p]} and {@code sin[p]}: pair {@code p}'s two elements {@code fma(deviation, radius * value, mean)}, as
     * {@link #pairFloats} picks them, with the pick and the sign as exact products: {@code c (1 - o) + s o} is exactly
     * {@code c} or {@code s} ({@code c > 0}, and {@code s} is never {@code -0}), and a product by {@code -1} negates.
     */
    static void angles(Scratch scratch, int pairs, float mean, float deviation) {
        int[] odd = scratch.odd;
        float[] cos = scratch.cos;
        float[] sin = scratch.sin;
        for (int p = 0; p < pairs; p++) {
            int t = odd[p] + (1 << 29);
            float x = (((t & 0x3FFFFFFF) >>> 6) - (1 << 23)) * 0x1.0p-23f;
            float x2 = x * x;
            cos[p] = Twin.cosFloat(x2);
            sin[p] = Twin.sinFloat(x, x2);
        }
        float[] radius = scratch.radius;
        for (int p = 0; p < pairs; p++) {
            int q = (odd[p] + (1 << 29)) >>> 30;
            float o = (float) (q & 1);
            float c = cos[p];
            float s = sin[p];
            float cosine = (c * (1f - o) + s * o) * (float) (1 - ((q + 1) & 2));
            float sine = (s * (1f - o) + c * o) * (float) (1 - (q & 2));
            cos[p] = Math.fma(deviation, radius[p] * cosine, mean);
            sin[p] = Math.fma(deviation, radius[p] * sine, mean);
        }
    }

    // Philox.block's constants (the reference's recipe; RandomSimdTest pins the bits)
    private static final int M0 = Philox.M0;
    private static final int M1 = Philox.M1;
    private static final int W0 = Philox.W0;
    private static final int W1 = Philox.W1;

    private static void put(float[] out, int base, int slot, int lo, int hi, float value) {
        if (slot >= lo && slot < hi) {
            out[base + slot] = value;
        }
    }

    private static void put(double[] out, int base, int slot, int lo, int hi, double value) {
        if (slot >= lo && slot < hi) {
            out[base + slot] = value;
        }
    }

    /**
     * Slots {@code slot} (cos) and {@code slot + 1} (sin) of the float32 Box-Muller pair {@code (radiusWord,
     * angleWord)}, as {@link Philox#normalFloat} then {@code fma(scale, z, shift)}. The sin element's angle is the cos
     * element's minus a quarter turn: the same reduced {@code x} (so one pair of polynomials), quadrant {@code q - 1}.
     * So the cos element is {@code q} odd ? sin : cos, negated when {@code q + 1} has bit 1; the sin element the other
     * polynomial, negated when {@code q} has bit 1.
     */
    private static void pairFloats(int radiusWord, int angleWord, float scale, float shift, float[] out, int base,
            int slot, int lo, int hi) {
        float u1 = ((radiusWord >>> 8) + 1) * 0x1.0p-24f;
        float r = (float) Math.sqrt(-2f * Twin.logFloat(u1));
        int t = angleWord + (1 << 29);
        int q = t >>> 30;
        float x = (((t & 0x3FFFFFFF) >>> 6) - (1 << 23)) * 0x1.0p-23f;
        float x2 = x * x;
        int cos = Float.floatToRawIntBits(Twin.cosFloat(x2));
        int sin = Float.floatToRawIntBits(Twin.sinFloat(x, x2));
        int swap = (cos ^ sin) & -(q & 1);
        float cosine = Float.intBitsToFloat(cos ^ swap ^ (((q + 1) & 2) << 30));
        float sine = Float.intBitsToFloat(sin ^ swap ^ ((q & 2) << 30));
        put(out, base, slot, lo, hi, Math.fma(scale, r * cosine, shift));
        put(out, base, slot + 1, lo, hi, Math.fma(scale, r * sine, shift));
    }

    /** Slots 0 (cos) and 1 (sin) of the float64 Box-Muller pair of a block, as {@link Philox#normalDouble}. */
    private static void pairDoubles(int x0, int x1, int x2, int x3, double scale, double shift, double[] out, int base,
            int lo, int hi) {
        double u1 = ((((x0 & 0xFFFFFFFFL) << 21) | ((x1 & 0xFFFFFFFFL) >>> 11)) + 1) * 0x1.0p-53;
        double r = Math.sqrt(-2.0 * Twin.logDouble(u1));
        long t = ((long) x3 << 32 | (x2 & 0xFFFFFFFFL)) + (1L << 61);
        long q = t >>> 62;
        double x = (((t & 0x3FFFFFFFFFFFFFFFL) >>> 9) - (1L << 52)) * 0x1.0p-52;
        double xx = x * x;
        long cos = Double.doubleToRawLongBits(Twin.cosDouble(xx));
        long sin = Double.doubleToRawLongBits(Twin.sinDouble(x, xx));
        long swap = (cos ^ sin) & -(q & 1);
        double cosine = Double.longBitsToDouble(cos ^ swap ^ (((q + 1) & 2) << 62));
        double sine = Double.longBitsToDouble(sin ^ swap ^ ((q & 2) << 62));
        put(out, base, 0, lo, hi, Math.fma(scale, r * cosine, shift));
        put(out, base, 1, lo, hi, Math.fma(scale, r * sine, shift));
    }

}
