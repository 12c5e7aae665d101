package dev.quiver.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quiver.DType;
import dev.quiver.Quiver;
import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Drawn;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.Expr;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.FusedElementwise.Step;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Backend#fused} and {@link Backend#fusedReduce} against their slow twins ({@link
 * FusedElementwise#runUnfused}, {@link FusedElementwise#runUnfusedReduce}) on the same backend: chains covering every
 * op of the table on every dtype it is defined for, casts between every pair of dtypes, bool masks and where, Java
 * numbers ({@link HostScalar}) by value, broadcast and transposed inputs, ranks beyond the strided kernels, sizes 0,
 * 1, odd and large, several outputs. Elementwise results must have the unfused bits (each step is the unfused op's
 * formula, rounded where the unfused op stores); MAX/MIN reductions too; a SUM may add in another order, so it is
 * held to the bound of any summation order (below). An integer division by zero fails as it does unfused.
 *
 * <p>A backend that does not fuse runs the defaults (the twins themselves), which this suite then checks trivially.
 */
public abstract class FusedKernelConformance extends BackendConformance {
    /** The register dtypes a chain is built over. */
    private static final DType[] DTYPES = {DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64, DType.BOOL};
    /** Steps per chain: enough for every op of a dtype in a few chains, few enough to keep a program small. */
    private static final int OPS_PER_CHAIN = 12;

    private final List<DeviceBuffer> buffers = new ArrayList<>();

    @AfterEach
    void releaseBuffers() {
        buffers.forEach(DeviceBuffer::release);
        buffers.clear();
    }

    private static Backend backend() {
        return Quiver.backend();
    }

    // ------------------------------------------------------------------------------------------- elementwise

    /**
     * Every table op on every dtype it is defined for, in chains of {@value #OPS_PER_CHAIN} with operands drawn from
     * the earlier registers (two arrays, a bool mask, a Java number), each run contiguous at sizes 0, 1, 7 and
     * (once per dtype) 4099, and strided: a transposed input, a broadcast row, the number by value.
     */
    @Test
    public void everyTableOpOnEveryDtypeMatchesTheUnfusedBits() {
        Random random = new Random(11);
        for (DType dtype : DTYPES) {
            List<Primitive> ops = new ArrayList<>();
            for (ElementwiseOps.Definition definition : ElementwiseOps.all()) {
                if (definition.supports(dtype)) {
                    ops.add(definition.op());
                }
            }
            for (int first = 0; first < ops.size(); first += OPS_PER_CHAIN) {
                List<Primitive> group = ops.subList(first, Math.min(ops.size(), first + OPS_PER_CHAIN));
                FusedElementwise kernel = chain(dtype, group, random);
                int[] sizes = first == 0 ? new int[] {0, 1, 7, 4099} : new int[] {1, 7};
                for (int n : sizes) {
                    StridedView[] inputs = {
                            contiguous(values(dtype, n, random, false), n),
                            contiguous(values(dtype, n, random, dtype.isIntegral()), n),
                            contiguous(values(DType.BOOL, n, random, false), n),
                            HostScalar.of(dtype, number(dtype, random)).broadcast(n)};
                    assertFusedMatchesUnfused(kernel, inputs);
                }
                if (first > 0) {
                    continue;   // the strided kernel once per dtype: each layout of a chain is a program to build
                }
                // (5, 6): input 0 the transpose of a (6, 5), input 1 a broadcast row of 6, the mask contiguous
                int[] shape = {5, 6};
                StridedView transposed = new StridedView(upload(values(dtype, 30, random, false)), shape,
                        new long[] {1, 5}, 0);
                StridedView row = new StridedView(upload(values(dtype, 7, random, dtype.isIntegral())), shape,
                        new long[] {0, 1}, 1);
                assertFusedMatchesUnfused(kernel, new StridedView[] {transposed, row,
                        contiguous(values(DType.BOOL, 30, random, false), shape),
                        HostScalar.of(dtype, number(dtype, random)).broadcast(shape)});
            }
        }
    }

    /**
     * Every dtype to every dtype, from arrays holding NaN, infinities, out-of-range and fractional values, and from
     * Java numbers (which the unfused twin converts on the host): 25 outputs of one kernel.
     */
    @Test
    public void castsBetweenEveryPairOfDtypesMatchTheUnfusedBits() {
        Random random = new Random(12);
        List<DType> inputTypes = new ArrayList<>(List.of(DTYPES));
        inputTypes.add(DType.FLOAT64);   // a number: NaN, saturating to int32, rounding to float32
        List<Step> steps = new ArrayList<>();
        int registers = inputTypes.size();
        for (int from = 0; from < inputTypes.size(); from++) {
            for (DType to : DTYPES) {
                steps.add(new Step(Primitive.CAST, new int[] {from}, to));
            }
        }
        int[] outputs = new int[steps.size()];
        for (int j = 0; j < outputs.length; j++) {
            outputs[j] = registers + j;
        }
        FusedElementwise kernel = new FusedElementwise(inputTypes, steps, outputs);
        for (double number : new double[] {Double.NaN, 3.7e9, -2.5e-7, 0.1}) {
            int n = 33;
            StridedView[] inputs = new StridedView[inputTypes.size()];
            for (int i = 0; i < DTYPES.length; i++) {
                inputs[i] = contiguous(values(DTYPES[i], n, random, false), n);
            }
            inputs[DTYPES.length] = HostScalar.of(DType.FLOAT64, number).broadcast(n);
            assertFusedMatchesUnfused(kernel, inputs);
        }
    }

    /**
     * {@code x * y + z} as two steps is two roundings: a device that contracted them into one fma would give
     * 2^-24 here instead of 0 ((1 + 2^-12)^2 rounds to 1 + 2^-11 in float32).
     */
    @Test
    public void multiplyThenAddIsNotContracted() {
        FusedElementwise kernel = new FusedElementwise(List.of(DType.FLOAT32, DType.FLOAT32, DType.FLOAT32), List.of(
                new Step(Primitive.MUL, new int[] {0, 1}, DType.FLOAT32),
                new Step(Primitive.ADD, new int[] {3, 2}, DType.FLOAT32)), new int[] {4});
        float x = 1 + 0x1p-12f;
        int n = 5;
        float[] xs = new float[n];
        float[] zs = new float[n];
        Arrays.fill(xs, x);
        Arrays.fill(zs, -(1 + 0x1p-11f));
        StridedView[] inputs = {contiguous(xs, n), contiguous(xs, n), contiguous(zs, n)};
        float[] fused = (float[]) runFused(kernel, inputs)[0];
        assertEquals(0f, fused[n - 1], "x * y + z in two roundings");
        assertFusedMatchesUnfused(kernel, inputs);
    }

    /**
     * Eight operands of rank 7 (beyond the strided kernels: the outer dimension is looped on the host), three
     * outputs, one of them an input register and one a bool.
     */
    @Test
    public void highRankManyOperandsAndSeveralOutputs() {
        Random random = new Random(13);
        int[] shape = {2, 2, 3, 2, 2, 3, 2};
        int size = Reference.size(shape);
        List<DType> types = new ArrayList<>();
        StridedView[] inputs = new StridedView[6];
        for (int i = 0; i < inputs.length; i++) {
            types.add(DType.FLOAT64);
            // each input walks its own buffer in column-major order, so no two dimensions merge
            long[] strides = new long[shape.length];
            long stride = 1;
            for (int d = 0; d < shape.length; d++) {
                strides[d] = stride;
                stride *= shape[d];
            }
            inputs[i] = new StridedView(upload(values(DType.FLOAT64, size, random, false)), shape, strides, 0);
        }
        List<Step> steps = new ArrayList<>();
        steps.add(new Step(Primitive.MUL, new int[] {0, 1}, DType.FLOAT64));        // 6
        steps.add(new Step(Primitive.SUB, new int[] {6, 2}, DType.FLOAT64));        // 7
        steps.add(new Step(Primitive.MAXIMUM, new int[] {7, 3}, DType.FLOAT64));    // 8
        steps.add(new Step(Primitive.DIV, new int[] {8, 4}, DType.FLOAT64));        // 9
        steps.add(new Step(Primitive.LESS, new int[] {9, 5}, DType.BOOL));          // 10
        steps.add(new Step(Primitive.WHERE, new int[] {10, 9, 5}, DType.FLOAT64)); // 11
        FusedElementwise kernel = new FusedElementwise(types, steps, new int[] {11, 10, 3});
        assertFusedMatchesUnfused(kernel, inputs);
    }

    /** An integer division by zero in a chain fails where the result is read, as the unfused division does. */
    @Test
    public void integerDivisionByZeroInAChainFailsAsUnfused() {
        for (DType dtype : new DType[] {DType.INT32, DType.INT64}) {
            FusedElementwise kernel = new FusedElementwise(List.of(dtype, dtype), List.of(
                    new Step(Primitive.DIV, new int[] {0, 1}, dtype),
                    new Step(Primitive.ADD, new int[] {2, 0}, dtype)), new int[] {3});
            int n = 9;
            double[] divisors = {3, -2, 1, 0, 5, 7, -1, 2, 4};
            StridedView[] inputs = {contiguous(values(dtype, n, new Random(14), false), n),
                    contiguous(cast(divisors, dtype), n)};
            ArithmeticException unfused = assertThrows(ArithmeticException.class, () -> {
                StridedView out = StridedView.contiguous(allocate(dtype, n), n);
                FusedElementwise.runUnfused(backend(), kernel, inputs, new StridedView[] {out});
                backend().download(out.buffer(), 0, n);
            }, "unfused " + kernel);
            ArithmeticException fused = assertThrows(ArithmeticException.class, () -> runFused(kernel, inputs),
                    "fused " + kernel);
            assertTrue(unfused.getMessage().contains("division by zero"), unfused.getMessage());
            assertTrue(fused.getMessage().contains("division by zero"), fused.getMessage());
            ArithmeticException reduced = assertThrows(ArithmeticException.class, () -> {
                StridedView[] block = {reshape(inputs[0], 1, n, 1), reshape(inputs[1], 1, n, 1)};
                StridedView out = StridedView.contiguous(allocate(dtype, 1), 1, 1);
                backend().fusedReduce(kernel, block, new Primitive[] {Primitive.SUM}, new StridedView[] {out});
                backend().download(out.buffer(), 0, 1);
            }, "fused sum of " + kernel);
            assertTrue(reduced.getMessage().contains("division by zero"), reduced.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------- reductions

    /**
     * SUM, MAX and MIN of chains over blocks (outer, reduced, inner): one long row (split into two stages on a
     * device that splits), several rows and columns, a broadcast and a transposed input, a Java number, empty
     * blocks; every numeric dtype. MAX/MIN and integer sums are exact; a floating SUM may add in any order, so it is
     * held to the bound of any order: two orders of n terms each err by at most (n - 1) u sum|x_i| (u the unit
     * roundoff), so they differ by at most 2 (n - 1) u sum|x_i|.
     */
    @Test
    public void fusedReductionsMatchTheReductionOfTheUnfusedChain() {
        Random random = new Random(15);
        int[][] blocks = {{1, 5000, 1}, {3, 41, 4}, {2, 1, 3}, {3, 0, 2}, {0, 5, 2}};
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64}) {
            // (x - y) * where(mask, x, number) : a product of two registers, a select, a number by value
            FusedElementwise kernel = new FusedElementwise(List.of(dtype, dtype, DType.BOOL, dtype), List.of(
                    new Step(Primitive.SUB, new int[] {0, 1}, dtype),
                    new Step(Primitive.WHERE, new int[] {2, 0, 3}, dtype),
                    new Step(Primitive.MUL, new int[] {4, 5}, dtype)), new int[] {6});
            for (int[] block : blocks) {
                int size = Reference.size(block);
                for (Primitive op : new Primitive[] {Primitive.SUM, Primitive.MAX, Primitive.MIN}) {
                    if (op != Primitive.SUM && block[1] == 0) {
                        continue;   // core rejects max and min over no elements
                    }
                    // NaN and infinities for max and min; a sum of finite terms, so its bound says something
                    boolean specials = op != Primitive.SUM;
                    StridedView x = contiguous(values(dtype, size, random, false, specials), block);
                    // y: the transpose of an (inner, reduced, outer) block; the mask: a row broadcast over the outer axis
                    StridedView y = new StridedView(upload(values(dtype, size, random, false, specials)), block,
                            new long[] {1, block[0], (long) block[0] * block[1]}, 0);
                    StridedView mask = new StridedView(upload(values(DType.BOOL, block[1] * block[2], random, false)),
                            block, new long[] {0, block[2], 1}, 0);
                    double number = rawValues(dtype, 1, random, false, specials)[0];
                    StridedView[] inputs = {x, y, mask, HostScalar.of(dtype, number).broadcast(block)};
                    assertFusedReduceMatchesUnfused(kernel, inputs, op, block);
                }
            }
        }
    }

    /**
     * Sibling reductions of one pass with written outputs (what a compiled step's loss and gradients need): each
     * reduced output has the bits of the single-output fused reduction of its register (the same order), each written
     * output the bits of {@link Backend#fused}, on long rows, rows and columns, a broadcast input, a Java number, an
     * empty block; SUM, MAX and MIN side by side, float and int outputs from one chain.
     */
    @Test
    public void siblingReductionsAndWrittenOutputsMatchOneReductionAtATime() {
        Random random = new Random(16);
        int[][] blocks = {{1, 5000, 1}, {3, 41, 4}, {2, 1, 3}, {1, 64, 1}, {3, 0, 2}};
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT32}) {
            // r = x - y; outputs: r*r (SUM), r*w (SUM), r (MAX), number*r (written), x < y (written, bool)
            FusedElementwise kernel = new FusedElementwise(List.of(dtype, dtype, dtype, dtype), List.of(
                    new Step(Primitive.SUB, new int[] {0, 1}, dtype),
                    new Step(Primitive.MUL, new int[] {4, 4}, dtype),
                    new Step(Primitive.MUL, new int[] {4, 2}, dtype),
                    new Step(Primitive.MUL, new int[] {3, 4}, dtype),
                    new Step(Primitive.LESS, new int[] {0, 1}, DType.BOOL)), new int[] {5, 6, 4, 7, 8});
            Primitive[] reductions = {Primitive.SUM, Primitive.SUM, Primitive.MAX};
            for (int[] block : blocks) {
                int size = Reference.size(block);
                StridedView x = contiguous(values(dtype, size, random, false, false), block);
                StridedView y = contiguous(values(dtype, size, random, false, false), block);
                // w: a row broadcast over the outer axis
                StridedView w = new StridedView(upload(values(dtype, block[1] * block[2], random, false, false)),
                        block, new long[] {0, block[2], 1}, 0);
                StridedView[] inputs = {x, y, w, HostScalar.of(dtype, number(dtype, random)).broadcast(block)};
                String what = kernel + " over " + Arrays.toString(block) + " on " + backend().name();
                if (block[1] == 0) {
                    // MAX over no elements is refused by core before any backend sees it: sums only
                    StridedView[] outs = {StridedView.contiguous(allocate(dtype, (long) block[0] * block[2]),
                            block[0], block[2]), StridedView.contiguous(allocate(dtype, 0), block)};
                    FusedElementwise sumAndWrite = new FusedElementwise(kernel.inputTypes(), kernel.steps(),
                            new int[] {5, 7});
                    backend().fusedReduce(sumAndWrite, inputs, new Primitive[] {Primitive.SUM}, outs);
                    assertSameBits(what + ": empty sum", cast(new double[block[0] * block[2]], dtype),
                            download(outs[0]));
                    continue;
                }
                List<DType> types = kernel.outputTypes();
                int[] registers = kernel.outputs();
                StridedView[] outputs = new StridedView[registers.length];
                for (int j = 0; j < outputs.length; j++) {
                    boolean reduced = j < reductions.length;
                    outputs[j] = reduced
                            ? StridedView.contiguous(allocate(types.get(j), (long) block[0] * block[2]), block[0],
                                    block[2])
                            : StridedView.contiguous(allocate(types.get(j), size), block);
                }
                backend().fusedReduce(kernel, inputs, reductions, outputs);
                for (int j = 0; j < outputs.length; j++) {
                    FusedElementwise alone = new FusedElementwise(kernel.inputTypes(), kernel.steps(),
                            new int[] {registers[j]});
                    StridedView expected;
                    if (j < reductions.length) {
                        expected = StridedView.contiguous(allocate(types.get(j), (long) block[0] * block[2]),
                                block[0], block[2]);
                        backend().fusedReduce(alone, inputs, new Primitive[] {reductions[j]},
                                new StridedView[] {expected});
                    } else {
                        expected = StridedView.contiguous(allocate(types.get(j), size), block);
                        backend().fused(alone, inputs, new StridedView[] {expected});
                    }
                    assertSameBits(what + ", output " + j, download(expected), download(outputs[j]));
                }
                // and the slow twin agrees (exactly where no float sum is involved)
                StridedView[] twins = new StridedView[outputs.length];
                for (int j = 0; j < twins.length; j++) {
                    twins[j] = StridedView.contiguous(allocate(types.get(j), outputs[j].size()), outputs[j].shape());
                }
                FusedElementwise.runUnfusedReduce(backend(), kernel, inputs, reductions, twins);
                for (int j = dtype.isFloating() ? 2 : 0; j < twins.length; j++) {
                    assertSameBits(what + ", output " + j + " vs the slow twin", download(twins[j]),
                            download(outputs[j]));
                }
            }
        }
    }

    /**
     * A written output may be an input of the same pass through the same view (a compiled step updates a variable
     * while it sums the loss): element {@code i} is read before it is written, as in an in-place eager call.
     */
    @Test
    public void aWrittenOutputMayUpdateAnInputInPlace() {
        Random random = new Random(18);
        for (int[] block : new int[][] {{1, 4099, 1}, {5, 7, 3}}) {
            DType dtype = DType.FLOAT32;
            int size = Reference.size(block);
            float[] start = (float[]) values(dtype, size, random, false, false);
            float[] gradient = (float[]) values(dtype, size, random, false, false);
            // x <- x - 0.5 g, and sum(x) of the old x in the same pass
            FusedElementwise kernel = new FusedElementwise(List.of(dtype, dtype, dtype), List.of(
                    new Step(Primitive.MUL, new int[] {1, 2}, dtype),
                    new Step(Primitive.SUB, new int[] {0, 3}, dtype)), new int[] {0, 4});
            StridedView x = contiguous(start.clone(), block);
            StridedView g = contiguous(gradient, block);
            StridedView half = HostScalar.of(dtype, 0.5).broadcast(block);
            StridedView sum = StridedView.contiguous(allocate(dtype, (long) block[0] * block[2]), block[0], block[2]);
            backend().fusedReduce(kernel, new StridedView[] {x, g, half}, new Primitive[] {Primitive.SUM},
                    new StridedView[] {sum, x});
            // the same from separate copies: the sum of the old values, the update written elsewhere
            StridedView old = contiguous(start.clone(), block);
            StridedView expectedSum = StridedView.contiguous(allocate(dtype, (long) block[0] * block[2]), block[0],
                    block[2]);
            StridedView expectedX = StridedView.contiguous(allocate(dtype, size), block);
            backend().fusedReduce(kernel, new StridedView[] {old, g, half}, new Primitive[] {Primitive.SUM},
                    new StridedView[] {expectedSum, expectedX});
            String what = kernel + " in place over " + Arrays.toString(block) + " on " + backend().name();
            assertSameBits(what + ": sum", download(expectedSum), download(sum));
            assertSameBits(what + ": updated x", download(expectedX), download(x));
        }
    }

    /**
     * Draws as kernel inputs ({@link Drawn}): the slow twin reads the values {@link Backend#random} gives (the Philox
     * reference element by element), and a backend that fuses draws generates the same bits in {@code fused} and
     * {@code fusedReduce}: both distributions, both float dtypes, a stream position not a multiple of the block, a
     * view starting inside the buffer, sizes across chunk boundaries. The stream's position is read from the counter
     * buffer when the kernel runs: the same call after the counter moved draws the values at the new position.
     */
    @Test
    public void drawnInputsHaveTheBitsOfTheDrawsTheyStandFor() {
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (dev.quiver.spi.RandomDistribution distribution : dev.quiver.spi.RandomDistribution.values()) {
                for (int n : new int[] {1, 7, 4099}) {
                    DeviceBuffer counter = upload(new long[] {1001});
                    Drawn draw = new Drawn(distribution, 42, counter, 5, 0.5, 2, dtype, n + 3);
                    StridedView view = new StridedView(draw, new int[] {1, n, 1}, new long[] {n, 1, 1}, 3);
                    // (x * 2) and x itself: the second output shows the values read
                    FusedElementwise kernel = new FusedElementwise(List.of(dtype), List.of(
                            new Step(Primitive.MUL, new int[] {0, 0}, dtype),
                            new Step(Primitive.ADD, new int[] {0, 0}, dtype)), new int[] {2, 0});
                    StridedView[] twin = {StridedView.contiguous(allocate(dtype, n), 1, n, 1),
                            StridedView.contiguous(allocate(dtype, n), 1, n, 1)};
                    FusedElementwise.runUnfused(backend(), kernel, new StridedView[] {view}, twin);
                    double[] values = doubles(download(twin[1]));
                    for (int i = 0; i < n; i++) {
                        assertEquals(draw.value(1001, 3 + i), values[i], 0.0, distribution + " " + dtype + " element "
                                + i);
                    }
                    if (!backend().fusesDraws()) {
                        continue;
                    }
                    String what = kernel + " over " + draw + " [" + n + "] on " + backend().name();
                    StridedView[] fused = {StridedView.contiguous(allocate(dtype, n), 1, n, 1),
                            StridedView.contiguous(allocate(dtype, n), 1, n, 1)};
                    backend().fused(kernel, new StridedView[] {view}, fused);
                    assertSameBits(what, download(twin[0]), download(fused[0]));
                    assertSameBits(what, download(twin[1]), download(fused[1]));
                    StridedView sum = StridedView.contiguous(allocate(dtype, 1), 1, 1);
                    StridedView written = StridedView.contiguous(allocate(dtype, n), 1, n, 1);
                    backend().fusedReduce(kernel, new StridedView[] {view}, new Primitive[] {Primitive.SUM},
                            new StridedView[] {sum, written});
                    assertSameBits(what + ": written by the reduction", download(twin[1]), download(written));
                    StridedView expectedSum = StridedView.contiguous(allocate(dtype, 1), 1, 1);
                    backend().fusedReduce(kernel, new StridedView[] {StridedView.contiguous(twin[1].buffer(), 1, n,
                            1)}, new Primitive[] {Primitive.SUM}, new StridedView[] {expectedSum,
                            StridedView.contiguous(allocate(dtype, n), 1, n, 1)});
                    assertSameBits(what + ": sum", download(expectedSum), download(sum));
                    // the counter moves on the device; the very same calls then draw from there
                    backend().fill(StridedView.contiguous(counter, 1), 77_777);
                    backend().fused(kernel, new StridedView[] {view}, fused);
                    backend().fusedReduce(kernel, new StridedView[] {view}, new Primitive[] {Primitive.SUM},
                            new StridedView[] {sum, written});
                    double[] moved = doubles(download(fused[1]));
                    double[] movedWritten = doubles(download(written));
                    for (int i = 0; i < n; i++) {
                        assertEquals(draw.value(77_777, 3 + i), moved[i], 0.0, what + " after the counter moved, "
                                + "element " + i);
                        assertEquals(draw.value(77_777, 3 + i), movedWritten[i], 0.0, what + " after the counter "
                                + "moved, written by the reduction, element " + i);
                    }
                }
            }
        }
    }

    /** Sibling reductions are checked before anything runs: wrong counts, a non-reduction, a wrong output shape. */
    @Test
    public void siblingReductionOperandsAreChecked() {
        DType dtype = DType.FLOAT32;
        FusedElementwise kernel = new FusedElementwise(List.of(dtype), List.of(
                new Step(Primitive.MUL, new int[] {0, 0}, dtype)), new int[] {0, 1});
        StridedView x = contiguous(values(dtype, 6, new Random(17), false, false), 1, 6, 1);
        StridedView sum = StridedView.contiguous(allocate(dtype, 1), 1, 1);
        StridedView written = StridedView.contiguous(allocate(dtype, 6), 1, 6, 1);
        IllegalArgumentException noReduction = assertThrows(IllegalArgumentException.class, () -> backend()
                .fusedReduce(kernel, new StridedView[] {x}, new Primitive[0], new StridedView[] {written, written}));
        assertTrue(noReduction.getMessage().contains("0 reductions for 2 outputs"), noReduction.getMessage());
        IllegalArgumentException notReduction = assertThrows(IllegalArgumentException.class, () -> backend()
                .fusedReduce(kernel, new StridedView[] {x}, new Primitive[] {Primitive.ADD},
                        new StridedView[] {sum, written}));
        assertTrue(notReduction.getMessage().contains("reduction 0 is add, not SUM, MAX or MIN"),
                notReduction.getMessage());
        IllegalArgumentException wrongShape = assertThrows(IllegalArgumentException.class, () -> backend()
                .fusedReduce(kernel, new StridedView[] {x}, new Primitive[] {Primitive.SUM},
                        new StridedView[] {sum, sum}));
        assertTrue(wrongShape.getMessage().contains("output 1 must be a contiguous float32 buffer of shape [1, 6, 1]"),
                wrongShape.getMessage());
    }

    // ------------------------------------------------------------------------------------------- chains

    /**
     * A chain over registers 0, 1 (dtype), 2 (bool mask), 3 (a number of dtype) applying each op of {@code ops}
     * once, each operand the most recent register of the type it needs or (one time in three) any earlier one; an
     * integer divisor is always register 1, whose values are not zero. Outputs: the last register and one other.
     */
    static FusedElementwise chain(DType dtype, List<Primitive> ops, Random random) {
        List<DType> types = new ArrayList<>(List.of(dtype, dtype, DType.BOOL, dtype));
        int inputs = types.size();
        List<Step> steps = new ArrayList<>();
        for (Primitive op : ops) {
            ElementwiseOps.Definition definition = ElementwiseOps.of(op);
            Expr formula = definition.formula(dtype);
            int[] operands = new int[definition.arity()];
            for (int i = 0; i < operands.length; i++) {
                DType needed = readsMask(formula, i) ? DType.BOOL : dtype;
                // integer division by zero is tested apart: an integer divisor is input 1, which holds no zero
                boolean divides = op == Primitive.DIV || op == Primitive.FLOOR_DIV || op == Primitive.MOD;
                operands[i] = divides && i == 1 && !dtype.isFloating() ? 1 : pick(types, needed, random);
            }
            DType result = definition.resultDtype(dtype);
            steps.add(new Step(op, operands, result));
            types.add(result);
        }
        int last = types.size() - 1;
        int other = random.nextInt(last);
        return new FusedElementwise(types.subList(0, inputs), steps, new int[] {last, other});
    }

    private static boolean readsMask(Expr formula, int input) {
        return readsMask(formula, input, new java.util.IdentityHashMap<>());
    }

    private static boolean readsMask(Expr node, int input, java.util.Map<Expr, Boolean> seen) {
        if (seen.put(node, Boolean.TRUE) != null) {
            return false;
        }
        return switch (node) {
            case Expr.Input in -> in.index() == input && in.type() == Expr.Type.MASK;
            case Expr.Constant c -> false;
            case Expr.BitsConstant c -> false;
            case Expr.Unary u -> readsMask(u.x(), input, seen);
            case Expr.Binary b -> readsMask(b.a(), input, seen) || readsMask(b.b(), input, seen);
            case Expr.Fma f -> readsMask(f.a(), input, seen) || readsMask(f.b(), input, seen)
                    || readsMask(f.c(), input, seen);
            case Expr.Compare c -> readsMask(c.a(), input, seen) || readsMask(c.b(), input, seen);
            case Expr.Select s -> readsMask(s.mask(), input, seen) || readsMask(s.ifTrue(), input, seen)
                    || readsMask(s.ifFalse(), input, seen);
            case Expr.Reinterpret r -> readsMask(r.x(), input, seen);
            case Expr.Convert c -> readsMask(c.x(), input, seen);
        };
    }

    private static int pick(List<DType> types, DType needed, Random random) {
        List<Integer> candidates = new ArrayList<>();
        for (int r = 0; r < types.size(); r++) {
            if (types.get(r) == needed) {
                candidates.add(r);
            }
        }
        return random.nextInt(3) == 0 ? candidates.get(random.nextInt(candidates.size())) : candidates.getLast();
    }

    // ------------------------------------------------------------------------------------------- running and comparing

    private void assertFusedMatchesUnfused(FusedElementwise kernel, StridedView[] inputs) {
        int[] shape = inputs[0].shape();
        String what = kernel + " over " + Arrays.toString(inputs) + " on " + backend().name();
        Object[] fused = runFused(kernel, inputs);
        StridedView[] outputs = outputs(kernel, shape);
        FusedElementwise.runUnfused(backend(), kernel, inputs, outputs);
        for (int j = 0; j < outputs.length; j++) {
            assertSameBits(what + ", output " + j, download(outputs[j]), fused[j]);
        }
    }

    private Object[] runFused(FusedElementwise kernel, StridedView[] inputs) {
        StridedView[] outputs = outputs(kernel, inputs[0].shape());
        backend().fused(kernel, inputs, outputs);
        Object[] values = new Object[outputs.length];
        for (int j = 0; j < outputs.length; j++) {
            values[j] = download(outputs[j]);
        }
        return values;
    }

    private StridedView[] outputs(FusedElementwise kernel, int[] shape) {
        StridedView[] outputs = new StridedView[kernel.outputs().length];
        for (int j = 0; j < outputs.length; j++) {
            outputs[j] = StridedView.contiguous(allocate(kernel.outputTypes().get(j), Reference.size(shape)), shape);
        }
        return outputs;
    }

    private void assertFusedReduceMatchesUnfused(FusedElementwise kernel, StridedView[] inputs, Primitive op,
                                                 int[] block) {
        DType dtype = kernel.outputTypes().getFirst();
        String what = op.opName() + " of " + kernel + " over " + Arrays.toString(block) + " on " + backend().name();
        StridedView fused = StridedView.contiguous(allocate(dtype, (long) block[0] * block[2]), block[0], block[2]);
        backend().fusedReduce(kernel, inputs, new Primitive[] {op}, new StridedView[] {fused});
        StridedView unfused = StridedView.contiguous(allocate(dtype, (long) block[0] * block[2]), block[0], block[2]);
        FusedElementwise.runUnfusedReduce(backend(), kernel, inputs, new Primitive[] {op}, new StridedView[] {unfused});
        Object actual = download(fused);
        Object expected = download(unfused);
        if (op != Primitive.SUM || !dtype.isFloating()) {
            // a MAX/MIN over a NaN is NaN on every path, but which NaN (sign, payload) an extremum keeps is not
            // specified: the reduction kernels compare in different orders
            assertSameBits(what, canonicalNaN(expected), canonicalNaN(actual));
            return;
        }
        // the chain's values, for the bound of a sum in another order
        StridedView values = StridedView.contiguous(allocate(dtype, Reference.size(block)), block);
        FusedElementwise.runUnfused(backend(), kernel, inputs, new StridedView[] {values});
        double[] terms = doubles(download(values));
        double[] sums = doubles(expected);
        double[] got = doubles(actual);
        double unitRoundoff = dtype == DType.FLOAT32 ? 0x1p-24 : 0x1p-53;
        for (int q = 0; q < sums.length; q++) {
            int o = q / block[2];
            int i = q % block[2];
            double magnitude = 0;
            for (int r = 0; r < block[1]; r++) {
                magnitude += Math.abs(terms[(o * block[1] + r) * block[2] + i]);
            }
            double bound = 2.0 * Math.max(0, block[1] - 1) * unitRoundoff * magnitude;
            if (!(Math.abs(got[q] - sums[q]) <= bound)) {
                fail(what + ": output " + q + " is " + got[q] + ", unfused " + sums[q] + ", beyond the bound "
                        + bound + " of any summation order");
            }
        }
    }

    /** {@code values} with every NaN made the canonical NaN (a copy; other arrays as they are). */
    private static Object canonicalNaN(Object values) {
        if (values instanceof float[] floats) {
            float[] copy = floats.clone();
            for (int i = 0; i < copy.length; i++) {
                copy[i] = Float.isNaN(copy[i]) ? Float.NaN : copy[i];
            }
            return copy;
        }
        if (values instanceof double[] doubles) {
            double[] copy = doubles.clone();
            for (int i = 0; i < copy.length; i++) {
                copy[i] = Double.isNaN(copy[i]) ? Double.NaN : copy[i];
            }
            return copy;
        }
        return values;
    }

    static void assertSameBits(String what, Object expected, Object actual) {
        int n = java.lang.reflect.Array.getLength(expected);
        assertEquals(n, java.lang.reflect.Array.getLength(actual), what + ": length");
        for (int i = 0; i < n; i++) {
            Object e = java.lang.reflect.Array.get(expected, i);
            Object a = java.lang.reflect.Array.get(actual, i);
            boolean same = switch (e) {
                case Float f -> Float.floatToRawIntBits(f) == Float.floatToRawIntBits((Float) a);
                case Double d -> Double.doubleToRawLongBits(d) == Double.doubleToRawLongBits((Double) a);
                default -> e.equals(a);
            };
            if (!same) {
                fail(what + ": element " + i + " is " + a + ", unfused " + e + " (bits differ)");
            }
        }
    }

    // ------------------------------------------------------------------------------------------- data

    /**
     * {@code n} values of {@code dtype}: mostly small (so chains stay finite), with the edges the formulas treat
     * apart: signed zeros, NaN, infinities, a subnormal, huge values; for integers MIN, MAX and values near them.
     * {@code nonZero} keeps 0 out (an integer divisor).
     */
    static Object values(DType dtype, int n, Random random, boolean nonZero) {
        return values(dtype, n, random, nonZero, true);
    }

    /** {@link #values}, with the edge values or ({@code specials} false) without them. */
    static Object values(DType dtype, int n, Random random, boolean nonZero, boolean specials) {
        return cast(rawValues(dtype, n, random, nonZero, specials), dtype);
    }

    private static double[] rawValues(DType dtype, int n, Random random, boolean nonZero, boolean specials) {
        double[] special = dtype.isFloating()
                ? new double[] {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-40,
                        -3e38, 0.5, -1, 88.5}
                : new double[] {Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0, 1, dtype == DType.INT64 ? -9e18 : -7,
                        dtype == DType.INT64 ? Long.MAX_VALUE : 65536};
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            double value;
            if (dtype == DType.BOOL) {
                value = random.nextBoolean() ? 1 : 0;
            } else if (specials && random.nextInt(8) == 0) {
                value = special[random.nextInt(special.length)];
            } else if (dtype.isFloating()) {
                value = random.nextDouble(-4, 4);
            } else {
                value = random.nextInt(-40, 41);
            }
            if (nonZero && value == 0) {
                value = 3;
            }
            values[i] = value;
        }
        return values;
    }

    /** A Java number for register 3: a plain one mostly, now and then -0.0 or an integer edge. */
    static double number(DType dtype, Random random) {
        return rawValues(dtype, 1, random, false, true)[0];
    }

    /** A contiguous view of {@code shape} over a new buffer holding {@code values} (a Java array of its dtype). */
    private StridedView contiguous(Object values, int... shape) {
        return StridedView.contiguous(upload(values), shape);
    }

    private DeviceBuffer upload(Object values) {
        DeviceBuffer buffer = backend().upload(values);
        buffers.add(buffer);
        return buffer;
    }

    private DeviceBuffer allocate(DType dtype, long length) {
        DeviceBuffer buffer = backend().allocate(dtype, length);
        buffers.add(buffer);
        return buffer;
    }

    private static StridedView reshape(StridedView view, int... shape) {
        return StridedView.contiguous(view.buffer(), shape);
    }

    private static Object download(StridedView view) {
        return backend().download(view.buffer(), view.offset(), view.size());
    }

    static Object cast(double[] values, DType dtype) {
        int n = values.length;
        return switch (dtype) {
            case FLOAT32 -> {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (float) values[i];
                }
                yield out;
            }
            case FLOAT64 -> values.clone();
            case INT32 -> {
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (int) values[i];
                }
                yield out;
            }
            case INT64 -> {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (long) values[i];
                }
                yield out;
            }
            case BOOL -> {
                boolean[] out = new boolean[n];
                for (int i = 0; i < n; i++) {
                    out[i] = values[i] != 0;
                }
                yield out;
            }
        };
    }

    private static double[] doubles(Object array) {
        int n = java.lang.reflect.Array.getLength(array);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = ((Number) java.lang.reflect.Array.get(array, i)).doubleValue();
        }
        return out;
    }
}
