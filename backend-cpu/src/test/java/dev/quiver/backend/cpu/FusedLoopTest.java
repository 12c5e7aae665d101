package dev.quiver.backend.cpu;

import static dev.quiver.backend.cpu.TestSupport.ALL;
import static dev.quiver.backend.cpu.TestSupport.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Drawn;
import dev.quiver.spi.ElementwiseOps;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused loops against their slow twins ({@link FusedElementwise#runUnfused}, {@code runUnfusedReduce}) on the
 * same backend: random chains of every dtype (where, casts, comparisons, host scalars, broadcast, transposed and
 * sliced inputs, several outputs, in-place outputs) give the unfused bits at every SIMD width; reductions are exact
 * for MAX/MIN and ints, within the stated bound for float SUM, and the same bits at every width and thread count.
 */
class FusedLoopTest {
    private static final DType[] DTYPES = DType.values();
    /** Shapes of 0, 1, odd, several-chunk, and short- and long-row sizes (the chunk is 2048). */
    private static final int[][] SHAPES = {{0}, {1}, {7}, {4099}, {3, 0, 2}, {5, 1, 33}, {3, 1500}, {70, 61},
            {2, 3, 1025}};

    // ---------------------------------------------------------------- random kernels and operands

    /** A random chain over {@code inputs}; every step's operands are earlier registers of fitting dtypes. */
    private static FusedElementwise randomKernel(Random random, List<DType> inputs, int steps, int outputs) {
        List<DType> types = new ArrayList<>(inputs);
        List<FusedElementwise.Step> chain = new ArrayList<>();
        List<ElementwiseOps.Definition> table = new ArrayList<>(ElementwiseOps.all());
        while (chain.size() < steps) {
            int kind = random.nextInt(8);
            if (kind == 0) {   // a cast to a random dtype
                int from = random.nextInt(types.size());
                DType to = DTYPES[random.nextInt(DTYPES.length)];
                chain.add(new FusedElementwise.Step(Primitive.CAST, new int[] {from}, to));
                types.add(to);
                continue;
            }
            ElementwiseOps.Definition definition = table.get(random.nextInt(table.size()));
            int first = random.nextInt(types.size());
            DType type = types.get(first);
            if (definition.op() == Primitive.WHERE) {
                int condition = pick(random, types, DType.BOOL);
                int other = pick(random, types, type);
                if (condition < 0 || !definition.supports(type)) {
                    continue;
                }
                chain.add(new FusedElementwise.Step(Primitive.WHERE, new int[] {condition, first, other}, type));
                types.add(type);
                continue;
            }
            if (!definition.supports(type) || integerDivision(definition.op(), type)) {
                continue;
            }
            int[] operands = definition.arity() == 1 ? new int[] {first} : new int[] {first, pick(random, types, type)};
            DType result = definition.resultDtype(type);
            chain.add(new FusedElementwise.Step(definition.op(), operands, result));
            types.add(result);
        }
        int[] outs = new int[outputs];
        for (int j = 0; j < outputs; j++) {   // mostly late registers, sometimes an input or an early one
            outs[j] = random.nextInt(4) == 0 ? random.nextInt(types.size()) : types.size() - 1 - random.nextInt(2);
        }
        return new FusedElementwise(inputs, chain, outs);
    }

    /** Integer division by zero throws (tested apart, below): random int chains leave DIV, FLOOR_DIV and MOD out. */
    private static boolean integerDivision(Primitive op, DType type) {
        return (op == Primitive.DIV || op == Primitive.FLOOR_DIV || op == Primitive.MOD)
                && (type == DType.INT32 || type == DType.INT64);
    }

    /** A random register of {@code type}, or -1. */
    private static int pick(Random random, List<DType> types, DType type) {
        int start = random.nextInt(types.size());
        for (int i = 0; i < types.size(); i++) {
            int r = (start + i) % types.size();
            if (types.get(r) == type) {
                return r;
            }
        }
        return -1;
    }

    private static double[] values(Random random, int n, DType type) {
        double[] special = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1, -1, 0.5,
                Float.MIN_VALUE, 1e30};
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            double v = type.isFloating() && random.nextInt(8) == 0 ? special[random.nextInt(special.length)]
                    : random.nextDouble() * 6 - 3;
            values[i] = type.isFloating() ? v : Math.rint(v * 5);
        }
        return values;
    }

    /** A view of {@code shape} over fresh random data: dense, offset, broadcast, transposed, strided or a host scalar. */
    private static StridedView randomView(Random random, DType type, int[] shape, boolean allowHostScalar) {
        int rank = shape.length;
        int layout = random.nextInt(allowHostScalar ? 6 : 5);
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        switch (layout) {
            case 1 -> {   // broadcast: some dimensions stride 0
                long[] strides = new long[rank];
                long step = 1;
                for (int d = rank - 1; d >= 0; d--) {
                    if (random.nextBoolean()) {
                        strides[d] = step;
                        step *= shape[d];
                    }
                }
                return new StridedView(TestSupport.buffer(type, values(random, (int) step, type)), shape, strides, 0);
            }
            case 2 -> {   // transposed: dimensions laid out in reverse order
                long[] strides = new long[rank];
                long step = 1;
                for (int d = 0; d < rank; d++) {
                    strides[d] = step;
                    step *= shape[d];
                }
                return new StridedView(TestSupport.buffer(type, values(random, size, type)), shape, strides, 0);
            }
            case 3 -> {   // every other element, from offset 1
                long[] strides = StridedView.contiguous(HostScalar.of(type, 0), shape).strides().clone();
                for (int d = 0; d < rank; d++) {
                    strides[d] *= 2;
                }
                return new StridedView(TestSupport.buffer(type, values(random, 2 * size + 1, type)), shape, strides, 1);
            }
            case 4 -> {   // dense at an offset
                DeviceBuffer buffer = TestSupport.buffer(type, values(random, size + 3, type));
                return new StridedView(buffer, shape, StridedView.contiguous(buffer, shape).strides(), 3);
            }
            case 5 -> {
                return HostScalar.of(type, values(random, 1, type)[0]).broadcast(shape);
            }
            default -> {
                return StridedView.contiguous(TestSupport.buffer(type, values(random, size, type)), shape);
            }
        }
    }

    private static StridedView[] outputViews(FusedElementwise kernel, int[] shape, long size) {
        StridedView[] outputs = new StridedView[kernel.outputs().length];
        for (int j = 0; j < outputs.length; j++) {
            outputs[j] = StridedView.contiguous(CpuBuffer.allocate(kernel.outputTypes().get(j), size), shape);
        }
        return outputs;
    }

    private static long size(int[] shape) {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        return size;
    }

    // ---------------------------------------------------------------- elementwise

    @Test
    void randomChainsGiveTheUnfusedBitsAtEveryWidth() {
        Random random = new Random(11);
        int compared = 0;
        for (int trial = 0; trial < 63; trial++) {
            List<DType> inputTypes = new ArrayList<>();
            int inputs = 1 + random.nextInt(4);
            for (int i = 0; i < inputs; i++) {
                inputTypes.add(DTYPES[random.nextInt(DTYPES.length)]);
            }
            FusedElementwise kernel = randomKernel(random, inputTypes, 1 + random.nextInt(8), 1 + random.nextInt(3));
            int[] shape = SHAPES[trial % SHAPES.length];
            StridedView[] views = new StridedView[inputs];
            for (int i = 0; i < inputs; i++) {
                views[i] = randomView(random, inputTypes.get(i), shape, true);
            }
            for (CpuBackend backend : ALL) {
                assertSameAsUnfused(backend, kernel, views, shape, kernel + " on " + Arrays.toString(shape) + " "
                        + Arrays.toString(views) + " " + name(backend));
                compared++;
            }
        }
        assertTrue(compared >= 63, "compared " + compared);
    }

    private static void assertSameAsUnfused(CpuBackend backend, FusedElementwise kernel, StridedView[] inputs,
            int[] shape, String what) {
        StridedView[] expected = outputViews(kernel, shape, size(shape));
        StridedView[] actual = outputViews(kernel, shape, size(shape));
        FusedElementwise.runUnfused(backend, kernel, inputs, expected);
        backend.fused(kernel, inputs, actual);
        for (int j = 0; j < expected.length; j++) {
            assertSameBits(expected[j].buffer(), actual[j].buffer(), what + " output " + j);
        }
    }

    static void assertSameBits(DeviceBuffer expected, DeviceBuffer actual, String what) {
        CpuBuffer e = (CpuBuffer) expected;
        CpuBuffer a = (CpuBuffer) actual;
        for (int i = 0; i < e.length(); i++) {
            if (bits(e, i) != bits(a, i)) {
                fail(what + ": element " + i + " is " + ScalarKernels.readDouble(a.dtype(), a.array(), i)
                        + ", unfused " + ScalarKernels.readDouble(e.dtype(), e.array(), i));
            }
        }
    }

    private static long bits(CpuBuffer buffer, int i) {
        return switch (buffer.dtype()) {   // canonical NaN: Java does not promise payloads
            case FLOAT32 -> Float.floatToIntBits(((float[]) buffer.array())[i]);
            case FLOAT64 -> Double.doubleToLongBits(((double[]) buffer.array())[i]);
            default -> ScalarKernels.readLong(buffer.dtype(), buffer.array(), i);
        };
    }

    /** (x * w + b - y)^2 with w, b host scalars or broadcast rows: the regression step's chain. */
    private static FusedElementwise squaredError(DType type) {
        return new FusedElementwise(List.of(type, type, type, type), List.of(
                new FusedElementwise.Step(Primitive.MUL, new int[] {0, 1}, type),
                new FusedElementwise.Step(Primitive.ADD, new int[] {4, 2}, type),
                new FusedElementwise.Step(Primitive.SUB, new int[] {5, 3}, type),
                new FusedElementwise.Step(Primitive.MUL, new int[] {6, 6}, type)), new int[] {7, 6});
    }

    @Test
    void largeChainsOnTwoThreadsGiveTheUnfusedBits() {
        Random random = new Random(5);
        int[] shape = {1 << 20};
        StridedView x = randomView(random, DType.FLOAT32, shape, false);
        StridedView y = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32, values(random, 1 << 20, DType.FLOAT32)), shape);
        StridedView[] inputs = {x, HostScalar.of(DType.FLOAT32, 1.5).broadcast(shape),
                HostScalar.of(DType.FLOAT32, -0.25).broadcast(shape), y};
        try (CpuBackend two = new CpuBackend(CpuBackend.hardwareSimdBits(), 2)) {
            assertSameAsUnfused(two, squaredError(DType.FLOAT32), inputs, shape, "2 threads, 1M");
        }
    }

    /**
     * A call that draws is split across the worker threads from {@link CpuBackend#RANDOM_PARALLEL_MIN_ELEMENTS} (the
     * K = 10,000 regressions' pass, 640,000 values, is one): 70,000 values drawn on two threads give the unfused bits,
     * and the row sums of a fused reduction over them the bits of one thread.
     */
    @Test
    void drawingChainsOnTwoThreadsGiveTheOneThreadBits() {
        int[] shape = {1000, 70};
        int[] block = {1000, 70, 1};
        assertTrue(1000 * 70 >= CpuBackend.RANDOM_PARALLEL_MIN_ELEMENTS && 1000 * 70 < CpuBackend.PARALLEL_MIN_ELEMENTS);
        Drawn draw = new Drawn(RandomDistribution.NORMAL, 3, TestSupport.buffer(DType.INT64, new double[] {12_345}), 7,
                0.5, 2, DType.FLOAT32, 70_000);
        Random random = new Random(8);
        CpuBuffer row = TestSupport.buffer(DType.FLOAT32, values(random, 70, DType.FLOAT32));
        StridedView[] inputs = {StridedView.contiguous(draw, shape), HostScalar.of(DType.FLOAT32, 1.5).broadcast(shape),
                HostScalar.of(DType.FLOAT32, -0.25).broadcast(shape), new StridedView(row, shape, new long[] {0, 1}, 0)};
        StridedView[] blocks = {StridedView.contiguous(draw, block), HostScalar.of(DType.FLOAT32, 1.5).broadcast(block),
                HostScalar.of(DType.FLOAT32, -0.25).broadcast(block), new StridedView(row, block, new long[] {0, 1, 0},
                0)};
        FusedElementwise loss = new FusedElementwise(squaredError(DType.FLOAT32).inputTypes(),
                squaredError(DType.FLOAT32).steps(), new int[] {7, 6});
        try (CpuBackend one = new CpuBackend(CpuBackend.hardwareSimdBits(), 1);
             CpuBackend two = new CpuBackend(CpuBackend.hardwareSimdBits(), 2)) {
            assertSameAsUnfused(two, squaredError(DType.FLOAT32), inputs, shape, "2 threads, drawn");
            StridedView[][] sums = new StridedView[2][];
            CpuBackend[] backends = {one, two};
            for (int k = 0; k < 2; k++) {
                sums[k] = new StridedView[] {StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 1000), 1000, 1),
                        StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 70_000), block)};
                backends[k].fusedReduce(loss, blocks, new Primitive[] {Primitive.SUM}, sums[k]);
            }
            assertSameBits(sums[0][0].buffer(), sums[1][0].buffer(), "row sums, 2 threads against 1");
            assertSameBits(sums[0][1].buffer(), sums[1][1].buffer(), "written residuals, 2 threads against 1");
        }
    }

    @Test
    void anOutputThatIsAlsoAnInputIsWrittenAfterItIsRead() {
        // x = (x + 1) * x, written into x's own buffer: each element must be read before it is overwritten
        FusedElementwise kernel = new FusedElementwise(List.of(DType.FLOAT32), List.of(
                new FusedElementwise.Step(Primitive.ADD, new int[] {0, 0}, DType.FLOAT32),
                new FusedElementwise.Step(Primitive.MUL, new int[] {1, 0}, DType.FLOAT32)), new int[] {2, 1});
        for (CpuBackend backend : ALL) {
            double[] data = values(new Random(3), 5000, DType.FLOAT32);
            CpuBuffer expectedX = TestSupport.buffer(DType.FLOAT32, data);
            CpuBuffer expectedSum = CpuBuffer.allocate(DType.FLOAT32, 5000);
            FusedElementwise.runUnfused(backend, kernel, new StridedView[] {StridedView.contiguous(expectedX, 5000)},
                    new StridedView[] {StridedView.contiguous(expectedX, 5000), StridedView.contiguous(expectedSum, 5000)});
            CpuBuffer x = TestSupport.buffer(DType.FLOAT32, data);
            CpuBuffer sum = CpuBuffer.allocate(DType.FLOAT32, 5000);
            backend.fused(kernel, new StridedView[] {StridedView.contiguous(x, 5000)},
                    new StridedView[] {StridedView.contiguous(x, 5000), StridedView.contiguous(sum, 5000)});
            assertSameBits(expectedX, x, "in place " + name(backend));
            assertSameBits(expectedSum, sum, "second output " + name(backend));
        }
    }

    /**
     * A kernel keeps its plan from call to call (the replay's fast path): the same kernel object called with inputs of
     * other kinds (dense, broadcast, gathered, host scalar), with outputs that can or cannot be written in place
     * (strided, converting, or the buffer of an input), and then as a reduction, must plan again each time the layout
     * changes and give the unfused bits every time.
     */
    @Test
    void aKernelCalledWithChangingLayoutsGivesTheUnfusedBitsEachTime() {
        Random random = new Random(41);
        FusedElementwise kernel = squaredError(DType.FLOAT32);
        FusedElementwise doubling = new FusedElementwise(List.of(DType.FLOAT32), List.of(
                new FusedElementwise.Step(Primitive.ADD, new int[] {0, 0}, DType.FLOAT32),
                new FusedElementwise.Step(Primitive.MUL, new int[] {1, 0}, DType.FLOAT32)), new int[] {2, 1});
        int[] shape = {5, 130};
        int n = 5 * 130;
        for (CpuBackend backend : ALL) {
            for (int call = 0; call < 24; call++) {
                StridedView[] inputs = new StridedView[4];
                for (int i = 0; i < 4; i++) {
                    inputs[i] = randomView(random, DType.FLOAT32, shape, true);
                }
                String what = "call " + call + " " + name(backend) + " " + Arrays.toString(inputs);
                switch (call % 4) {
                    case 0 -> assertSameAsUnfused(backend, kernel, inputs, shape, what);
                    case 1 -> {   // output 0 transposed: copied at the end of each chunk, not written in place
                        StridedView[] expected = {new StridedView(CpuBuffer.allocate(DType.FLOAT32, n), shape,
                                new long[] {1, 5}, 0), StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), shape)};
                        StridedView[] actual = {new StridedView(CpuBuffer.allocate(DType.FLOAT32, n), shape,
                                new long[] {1, 5}, 0), StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), shape)};
                        FusedElementwise.runUnfused(backend, kernel, inputs, expected);
                        backend.fused(kernel, inputs, actual);
                        assertSameBits(expected[0].buffer(), actual[0].buffer(), what + " transposed output");
                        assertSameBits(expected[1].buffer(), actual[1].buffer(), what + " dense output");
                    }
                    case 2 -> {   // (x + x) into x's own buffer while (x + x) * x still reads x: no early write
                        StridedView x = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32,
                                values(random, n, DType.FLOAT32)), shape);
                        StridedView[] own = {StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), shape),
                                StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), shape)};
                        // first the same layout with outputs of their own (written in place), then only the sharing
                        // differs
                        backend.fused(doubling, new StridedView[] {x}, own);
                        StridedView[] expected = {StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), shape),
                                StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), shape)};
                        FusedElementwise.runUnfused(backend, doubling, new StridedView[] {x}, expected);
                        assertSameBits(expected[0].buffer(), own[0].buffer(), what + " own outputs");
                        StridedView[] actual = {StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), shape), x};
                        backend.fused(doubling, new StridedView[] {x}, actual);
                        assertSameBits(expected[0].buffer(), actual[0].buffer(), what + " in place, output 0");
                        assertSameBits(expected[1].buffer(), actual[1].buffer(), what + " in place, output 1");
                    }
                    default -> {  // as a reduction over (5, 130, 1) blocks: max of (x * w + b - y)^2, residual written
                        int[] block = {5, 130, 1};
                        StridedView[] blocks = new StridedView[4];
                        for (int i = 0; i < 4; i++) {
                            blocks[i] = new StridedView(inputs[i].buffer(), block, new long[] {inputs[i].strides()[0],
                                    inputs[i].strides()[1], 0}, inputs[i].offset());
                        }
                        Primitive[] max = {Primitive.MAX};
                        StridedView[] expected = {StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 5), 5, 1),
                                StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), block)};
                        StridedView[] actual = {StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 5), 5, 1),
                                StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, n), block)};
                        FusedElementwise.runUnfusedReduce(backend, kernel, blocks, max, expected);
                        backend.fusedReduce(kernel, blocks, max, actual);
                        assertSameBits(expected[0].buffer(), actual[0].buffer(), what + " max");
                        assertSameBits(expected[1].buffer(), actual[1].buffer(), what + " written residual");
                    }
                }
            }
        }
    }

    @Test
    void stridedOutputsAndConvertingOutputsMatchTheUnfusedCopies() {
        Random random = new Random(8);
        FusedElementwise kernel = squaredError(DType.FLOAT64);
        int[] shape = {37, 90};
        StridedView[] inputs = new StridedView[4];
        for (int i = 0; i < 4; i++) {
            inputs[i] = randomView(random, DType.FLOAT64, shape, true);
        }
        for (CpuBackend backend : ALL) {
            // output 0 transposed in its buffer, output 1 into a float32 buffer (a converting copy)
            StridedView[] expected = {new StridedView(CpuBuffer.allocate(DType.FLOAT64, 37 * 90), shape, new long[] {1, 37}, 0),
                    StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 37 * 90), shape)};
            StridedView[] actual = {new StridedView(CpuBuffer.allocate(DType.FLOAT64, 37 * 90), shape, new long[] {1, 37}, 0),
                    StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 37 * 90), shape)};
            FusedElementwise.runUnfused(backend, kernel, inputs, expected);
            backend.fused(kernel, inputs, actual);
            assertSameBits(expected[0].buffer(), actual[0].buffer(), "transposed output " + name(backend));
            assertSameBits(expected[1].buffer(), actual[1].buffer(), "float32 output " + name(backend));
        }
    }

    @Test
    void integerDivisionByZeroNamesTheFusedKernel() {
        FusedElementwise kernel = new FusedElementwise(List.of(DType.INT32, DType.INT32), List.of(
                new FusedElementwise.Step(Primitive.DIV, new int[] {0, 1}, DType.INT32)), new int[] {2});
        StridedView a = StridedView.contiguous(TestSupport.buffer(DType.INT32, new double[] {4, 5, 6}), 3);
        StridedView b = StridedView.contiguous(TestSupport.buffer(DType.INT32, new double[] {2, 0, 3}), 3);
        StridedView out = StridedView.contiguous(CpuBuffer.allocate(DType.INT32, 3), 3);
        ArithmeticException error = assertThrows(ArithmeticException.class,
                () -> TestSupport.SCALAR.fused(kernel, new StridedView[] {a, b}, new StridedView[] {out}));
        assertTrue(error.getMessage().contains("fused(int32,int32; div[0, 1]:int32 -> [2])")
                && error.getMessage().contains("integer division by zero"), error.getMessage());
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> TestSupport.SCALAR.fused(kernel, new StridedView[] {a}, new StridedView[] {out}));
        assertTrue(wrong.getMessage().startsWith("cpu: fused fused(int32,int32;") && wrong.getMessage()
                .contains("takes 2 inputs and 1 outputs, got 1 and 1"), wrong.getMessage());
    }

    /**
     * A warm call allocates nothing on the heap: every scratch row, cell and plan array is kept per thread. Counted
     * with HotSpot's per-thread allocation counter over rounds of 1000 calls (after 3000 warm-up calls that let the JIT
     * compile the loop); a bound of 64 bytes per call leaves room for nothing but the test's own operand arrays. One
     * call reads a drawn input large enough for the SIMD random fill, generated chunk by chunk in the loop.
     */
    @Test
    void aWarmFusedCallAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Random random = new Random(2);
        int[] shape = {3, 3000};
        StridedView x = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32, values(random, 9000, DType.FLOAT32)), shape);
        StridedView w = new StridedView(TestSupport.buffer(DType.FLOAT32, values(random, 3000, DType.FLOAT32)), shape,
                new long[] {0, 1}, 0);
        StridedView b = HostScalar.of(DType.FLOAT32, 0.5).broadcast(shape);
        StridedView y = new StridedView(TestSupport.buffer(DType.FLOAT32, values(random, 9000, DType.FLOAT32)), shape,
                new long[] {1, 3}, 0);   // transposed: gathered
        StridedView[] inputs = {x, w, b, y};
        StridedView drawnX = StridedView.contiguous(new Drawn(RandomDistribution.NORMAL, 7,
                TestSupport.buffer(DType.INT64, new double[] {0}), 11, 0, 1, DType.FLOAT32, 9000), shape);
        StridedView[] drawnInputs = {drawnX, w, b, y};
        // its own kernel object, as in a compiled program (a plan is kept per kernel and per input kinds)
        FusedElementwise drawnKernel = squaredError(DType.FLOAT32);
        StridedView[] outputs = outputViews(squaredError(DType.FLOAT32), shape, 9000);
        FusedElementwise kernel = squaredError(DType.FLOAT32);
        // a backend of its own: its kernel classes (see Simd) are compiled from this test's calls alone
        CpuBackend backend = new CpuBackend(CpuBackend.hardwareSimdBits(), 1);
        StridedView reduced = StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 3), 3, 1);
        FusedElementwise loss = new FusedElementwise(kernel.inputTypes(), kernel.steps(), new int[] {7});
        StridedView[] blocks = new StridedView[4];
        for (int i = 0; i < 4; i++) {
            blocks[i] = new StridedView(inputs[i].buffer(), new int[] {3, 3000, 1},
                    new long[] {inputs[i].strides()[0], inputs[i].strides()[1], 0}, inputs[i].offset());
        }
        // and siblings: sum and max of the loss, the residual written
        FusedElementwise siblings = new FusedElementwise(kernel.inputTypes(), kernel.steps(), new int[] {7, 7, 6});
        Primitive[] sumAndMax = {Primitive.SUM, Primitive.MAX};
        StridedView[] siblingOutputs = {reduced, StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 3), 3, 1),
                StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 9000), 3, 3000, 1)};
        // warm: the SIMD random fill compiled first (its switch from plain Java recompiles the loops that call it)
        awaitCompiledRandomFill(backend.simdBits());
        // the call's own arrays made once: whether the JIT removes a per-call array depends on what ran before
        Primitive[] sum = {Primitive.SUM};
        StridedView[] sumOutput = {reduced};
        for (int i = 0; i < 3000; i++) {
            backend.fused(kernel, inputs, outputs);
            backend.fusedReduce(loss, blocks, sum, sumOutput);
            backend.fusedReduce(siblings, blocks, sumAndMax, siblingOutputs);
            backend.fused(drawnKernel, drawnInputs, outputs);
        }
        long thread = Thread.currentThread().threadId();
        long perCall = Long.MAX_VALUE;
        // the least of rounds for up to 20 s (a bound on the wait, not a timing assertion): on a loaded machine C2 may
        // still be compiling after the warm-up, and the random fill's switch to SIMD recompiles the loops that call it
        long deadline = System.nanoTime() + 20_000_000_000L;
        for (int round = 0; perCall > 64 && (round < 8 || System.nanoTime() < deadline); round++) {
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 1000; i++) {
                backend.fused(kernel, inputs, outputs);
                backend.fusedReduce(loss, blocks, sum, sumOutput);
                backend.fusedReduce(siblings, blocks, sumAndMax, siblingOutputs);
                backend.fused(drawnKernel, drawnInputs, outputs);
            }
            perCall = Math.min(perCall, (threads.getThreadAllocatedBytes(thread) - before) / 4000);
        }
        String perKind = "";
        if (perCall > 64) {
            // which call allocates: each kind alone, so that a failure says where to look
            Runnable[] kinds = {() -> backend.fused(kernel, inputs, outputs),
                    () -> backend.fusedReduce(loss, blocks, sum, sumOutput),
                    () -> backend.fusedReduce(siblings, blocks, sumAndMax, siblingOutputs),
                    () -> backend.fused(drawnKernel, drawnInputs, outputs)};
            String[] names = {"fused", "fusedReduce sum", "fusedReduce sum,max + written", "fused drawn"};
            StringBuilder text = new StringBuilder();
            for (int k = 0; k < kinds.length; k++) {
                long before = threads.getThreadAllocatedBytes(thread);
                for (int i = 0; i < 1000; i++) {
                    kinds[k].run();
                }
                text.append(", ").append(names[k]).append(' ')
                        .append((threads.getThreadAllocatedBytes(thread) - before) / 1000).append(" B");
            }
            perKind = text.toString();
        }
        backend.close();
        assertTrue(perCall <= 64, "a warm fused call allocated " + perCall + " bytes" + perKind);
    }

    /**
     * A compiled step calls each kernel again and again with the very same views (a drawn input's stream counter moved
     * on between calls, as a replay's last call does): those repeats skip the checks and the planning. The fast path against its slow
     * twin (a loop that plans every call): an in-place update reading a draw, a host scalar and a broadcast row, as a
     * fused call and as a reduction with the update written, over several repeats whose in-place state changes, then
     * after a call that failed half way through its planning, and with a released buffer (a loud failure, as planned).
     */
    @Test
    void repeatedCallsSkipThePlanningAndGiveThePlannedBits() {
        FusedElementwise update = new FusedElementwise(List.of(DType.FLOAT32, DType.FLOAT32, DType.FLOAT32,
                DType.FLOAT32), List.of(
                new FusedElementwise.Step(Primitive.MUL, new int[] {0, 2}, DType.FLOAT32),    // 4 = x * c
                new FusedElementwise.Step(Primitive.ADD, new int[] {4, 1}, DType.FLOAT32),    // 5 = 4 + draw
                new FusedElementwise.Step(Primitive.SUB, new int[] {5, 3}, DType.FLOAT32),    // 6 = 5 - y
                new FusedElementwise.Step(Primitive.MUL, new int[] {6, 6}, DType.FLOAT32)),   // 7 = 6 * 6
                new int[] {5, 7});
        FusedElementwise reduced = new FusedElementwise(update.inputTypes(), update.steps(), new int[] {7, 5});
        Random random = new Random(5);
        double[] start = values(random, 120, DType.FLOAT32);
        double[] row = values(random, 40, DType.FLOAT32);
        for (CpuBackend backend : ALL) {
            FusedLoop fast = new FusedLoop(backend, FusedLoop.CHUNK, true);
            FusedLoop slow = new FusedLoop(backend, FusedLoop.CHUNK, false);
            Operands[] operands = {new Operands(start, row), new Operands(start, row)};
            FusedLoop[] loops = {fast, slow};
            for (int repeat = 0; repeat < 4; repeat++) {
                for (int k = 0; k < 2; k++) {
                    Operands o = operands[k];
                    loops[k].run(update, o.inputs(repeat, o.shape), new StridedView[] {o.x, o.out});
                    loops[k].reduce(reduced, o.inputs(repeat, o.block), new Primitive[] {Primitive.SUM},
                            new StridedView[] {o.sum, o.xBlock});
                }
                String what = name(backend) + " repeat " + repeat;
                assertSameBits(operands[1].x.buffer(), operands[0].x.buffer(), what + " x");
                assertSameBits(operands[1].out.buffer(), operands[0].out.buffer(), what + " (x * c + d - y)^2");
                assertSameBits(operands[1].sum.buffer(), operands[0].sum.buffer(), what + " sum");
            }
            assertEquals(2, fast.prepared(), name(backend) + ": each kernel planned once");
            assertEquals(8, slow.prepared(), name(backend) + ": the slow twin plans every call");
            // an output that is no cpu buffer fails while planning, after the inputs were planned: planned again after
            Operands o = operands[0];
            StridedView[] inputs = o.inputs(4, o.shape);
            StridedView host = HostScalar.of(DType.FLOAT32, 1).broadcast(o.shape);
            assertThrows(IllegalArgumentException.class, () -> fast.run(update, inputs, new StridedView[] {host, o.out}));
            fast.run(update, o.inputs(4, o.shape), new StridedView[] {o.x, o.out});
            slow.run(update, operands[1].inputs(4, o.shape), new StridedView[] {operands[1].x, operands[1].out});
            assertSameBits(operands[1].x.buffer(), o.x.buffer(), name(backend) + " x after a failed call");
            assertEquals(3, fast.prepared(), name(backend) + ": the call after the failed one planned again");
            o.x.buffer().release();
            IllegalStateException released = assertThrows(IllegalStateException.class,
                    () -> fast.run(update, o.inputs(5, o.shape), new StridedView[] {o.x, o.out}));
            assertTrue(released.getMessage().contains("after release()"), released.getMessage());
        }
    }

    /**
     * Uniform float add, sub, mul, div and neg are computed inline (an optimizer's step-number state is a chain of them):
     * every pair of special and ordinary values, scalars and host scalars, float32 and float64, each chain also feeding
     * a non-uniform step and cast, against the unfused calls.
     */
    @Test
    void uniformFloatArithmeticGivesTheUnfusedBits() {
        double[] values = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1, -1, 0.1, 3e38,
                Float.MIN_VALUE, 1e-310, 7.25};
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            DType other = type == DType.FLOAT32 ? DType.FLOAT64 : DType.FLOAT32;
            // 0 = a, 1 = b (scalars), 2 = c (a row); 3 = a+b, 4 = 3-b, 5 = 4*a, 6 = 5/b, 7 = -6, 8 = 7*c, 9 = cast 7
            FusedElementwise chain = new FusedElementwise(List.of(type, type, type), List.of(
                    new FusedElementwise.Step(Primitive.ADD, new int[] {0, 1}, type),
                    new FusedElementwise.Step(Primitive.SUB, new int[] {3, 1}, type),
                    new FusedElementwise.Step(Primitive.MUL, new int[] {4, 0}, type),
                    new FusedElementwise.Step(Primitive.DIV, new int[] {5, 1}, type),
                    new FusedElementwise.Step(Primitive.NEG, new int[] {6}, type),
                    new FusedElementwise.Step(Primitive.MUL, new int[] {7, 2}, type),
                    new FusedElementwise.Step(Primitive.CAST, new int[] {7}, other)), new int[] {3, 4, 5, 6, 7, 8, 9});
            for (CpuBackend backend : ALL) {
                for (double a : values) {
                    for (double b : values) {
                        StridedView[] scalars = {StridedView.contiguous(TestSupport.buffer(type, new double[] {a})),
                                HostScalar.of(type, b).broadcast(), HostScalar.of(type, 0.5).broadcast()};
                        StridedView[] expected = outputViews(chain, new int[0], 1);
                        StridedView[] actual = outputViews(chain, new int[0], 1);
                        FusedElementwise.runUnfused(backend, chain, scalars, expected);
                        backend.fused(chain, scalars, actual);
                        for (int j = 0; j < expected.length; j++) {
                            assertSameBits(expected[j].buffer(), actual[j].buffer(), type + " " + a + ", " + b
                                    + " output " + j + " " + name(backend));
                        }
                    }
                }
            }
        }
    }

    /**
     * The operands of {@link #repeatedCallsSkipThePlanningAndGiveThePlannedBits}: x (updated in place), a draw, a host
     * scalar, a broadcast row; the views made once, the draw's counter moved per repeat.
     */
    private static final class Operands {
        final int[] shape = {3, 40};
        final int[] block = {3, 40, 1};
        final StridedView x;
        final StridedView xBlock;
        final StridedView out = StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 120), shape);
        final StridedView sum = StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 3), 3, 1);
        final StridedView scalar = HostScalar.of(DType.FLOAT32, 0.75).broadcast(shape);
        final StridedView scalarBlock = HostScalar.of(DType.FLOAT32, 0.75).broadcast(block);
        final StridedView y;
        final StridedView yBlock;
        final CpuBuffer counter = TestSupport.buffer(DType.INT64, new double[] {0});
        final StridedView draw = StridedView.contiguous(new Drawn(RandomDistribution.NORMAL, 9, counter, 0, 0, 1,
                DType.FLOAT32, 120), shape);
        final StridedView drawBlock = StridedView.contiguous(draw.buffer(), block);
        final StridedView[] inputs = new StridedView[4];
        final StridedView[] blockInputs = new StridedView[4];

        Operands(double[] start, double[] row) {
            x = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32, start), shape);
            xBlock = StridedView.contiguous(x.buffer(), block);
            CpuBuffer rowBuffer = TestSupport.buffer(DType.FLOAT32, row);
            y = new StridedView(rowBuffer, shape, new long[] {0, 1}, 0);
            yBlock = new StridedView(rowBuffer, block, new long[] {0, 1, 0}, 0);
            inputs[0] = x;
            inputs[2] = scalar;
            inputs[3] = y;
            blockInputs[0] = xBlock;
            blockInputs[2] = scalarBlock;
            blockInputs[3] = yBlock;
        }

        /** The inputs of repeat {@code repeat} over {@code layout}: the same array and views, the counter moved on. */
        StridedView[] inputs(int repeat, int[] layout) {
            StridedView[] views = layout == shape ? inputs : blockInputs;
            views[1] = layout == shape ? draw : drawBlock;
            ((long[]) counter.array())[0] = 1000L * repeat;
            return views;
        }
    }

    /** Warms the SIMD random fill at {@code bits} and waits until fills run it ({@link RandomFill}); none at 0 bits. */
    static void awaitCompiledRandomFill(int bits) {
        if (bits == 0) {
            return;
        }
        RandomFill.startWarming(bits);
        long deadline = System.nanoTime() + (RandomFill.WARMING_LIMIT_SECONDS + 5) * 1_000_000_000L;
        while (!RandomFill.simdCompiled(bits) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        assertTrue(RandomFill.simdCompiled(bits), "the " + bits + "-bit SIMD random fill was not compiled within "
                + RandomFill.WARMING_LIMIT_SECONDS + " s");
    }

    // ---------------------------------------------------------------- reductions

    /** (outer, reduced, inner) blocks: whole short rows, rows in pieces, columns in tiles and in pieces, empty. */
    private static final int[][] BLOCKS = {{1, 1, 1}, {2, 4099, 1}, {7, 33, 1}, {2, 300, 17},
            {1, 20, 3000}, {2, 0, 3}, {0, 5, 2}, {4, 1, 9}};

    @Test
    void reductionsMatchTheUnfusedReduction() {
        Random random = new Random(17);
        for (int trial = 0; trial < 48; trial++) {
            int[] block = BLOCKS[trial % BLOCKS.length];
            Primitive op = new Primitive[] {Primitive.SUM, Primitive.MAX, Primitive.MIN}[trial % 3];
            DType type = trial % 4 == 3 ? DTYPES[random.nextInt(DTYPES.length)] : trial % 2 == 0 ? DType.FLOAT32
                    : DType.FLOAT64;
            List<DType> inputTypes = List.of(type, type);
            FusedElementwise chain = randomKernel(random, inputTypes, 1 + random.nextInt(5), 1);
            StridedView[] inputs = {randomView(random, type, block, true), randomView(random, type, block, false)};
            DType result = chain.outputTypes().getFirst();
            if (op != Primitive.SUM && block[1] == 0) {
                continue;   // core rejects MAX and MIN over nothing
            }
            for (CpuBackend backend : ALL) {
                String what = chain + " " + op + " over " + Arrays.toString(block) + " " + name(backend);
                CpuBuffer expected = CpuBuffer.allocate(result, block[0] * block[2]);
                CpuBuffer actual = CpuBuffer.allocate(result, block[0] * block[2]);
                FusedElementwise.runUnfusedReduce(backend, chain, inputs, new Primitive[] {op}, new StridedView[] {StridedView.contiguous(expected, block[0], block[2])});
                backend.fusedReduce(chain, inputs, new Primitive[] {op}, new StridedView[] {StridedView.contiguous(actual, block[0], block[2])});
                if (op != Primitive.SUM || !result.isFloating()) {
                    assertSameBits(expected, actual, what);
                } else {
                    assertSumWithinBound(backend, chain, inputs, block, expected, actual, what);
                }
            }
        }
    }

    /**
     * Rows of at most {@link Reductions#LANE_SUMS} elements (summed four at a time, {@code FusedLoop.sumShortRows}) and
     * longer ones keep the documented fused order bit for bit: element {@code i} of a row into running sum
     * {@code i % 64} in the dtype, the sums added in double in order, one rounding. Row lengths around 64, row counts
     * that leave 1-3 rows over and span several chunks, at every SIMD width and with SIMD off.
     */
    @Test
    void rowSumsFollowTheDocumentedOrderBitForBit() {
        Random random = new Random(23);
        FusedElementwise product = new FusedElementwise(List.of(DType.FLOAT32, DType.FLOAT32),
                List.of(new FusedElementwise.Step(Primitive.MUL, new int[] {0, 1}, DType.FLOAT32)), new int[] {2});
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            FusedElementwise chain = type == DType.FLOAT32 ? product : new FusedElementwise(List.of(type, type),
                    List.of(new FusedElementwise.Step(Primitive.MUL, new int[] {0, 1}, type)), new int[] {2});
            for (int row : new int[] {1, 3, 17, 33, 63, 64, 65, 130}) {
                for (int outer : new int[] {1, 6, 103}) {
                    int[] block = {outer, row, 1};
                    int n = outer * row;
                    double[] a = new double[n];
                    double[] b = new double[n];
                    for (int i = 0; i < n; i++) {   // +-1e20 among small values: the order decides what survives
                        a[i] = i % 7 == 3 ? (i % 2 == 0 ? 1e20 : -1e20) : random.nextGaussian() * Math.pow(10,
                                random.nextInt(12) - 6);
                        b[i] = i % 11 == 5 ? -0.0 : 1 + random.nextDouble();
                    }
                    StridedView[] inputs = {StridedView.contiguous(TestSupport.buffer(type, a), block),
                            StridedView.contiguous(TestSupport.buffer(type, b), block)};
                    CpuBuffer expected = CpuBuffer.allocate(type, outer);
                    for (int o = 0; o < outer; o++) {
                        float[] floatLanes = new float[Reductions.LANE_SUMS];
                        double[] doubleLanes = new double[Reductions.LANE_SUMS];
                        for (int i = 0; i < row; i++) {
                            int k = o * row + i;
                            if (type == DType.FLOAT32) {
                                floatLanes[i % Reductions.LANE_SUMS] += (float) a[k] * (float) b[k];
                            } else {
                                doubleLanes[i % Reductions.LANE_SUMS] += a[k] * b[k];
                            }
                        }
                        double total = 0;
                        for (int lane = 0; lane < Reductions.LANE_SUMS; lane++) {
                            total += type == DType.FLOAT32 ? floatLanes[lane] : doubleLanes[lane];
                        }
                        if (type == DType.FLOAT32) {
                            ((float[]) expected.array())[o] = (float) total;
                        } else {
                            ((double[]) expected.array())[o] = total;
                        }
                    }
                    for (CpuBackend backend : ALL) {
                        CpuBuffer actual = CpuBuffer.allocate(type, outer);
                        backend.fusedReduce(chain, inputs, new Primitive[] {Primitive.SUM},
                                new StridedView[] {StridedView.contiguous(actual, outer, 1)});
                        assertSameBits(expected, actual, type + " rows of " + row + " x " + outer + " " + name(backend));
                    }
                }
            }
        }
    }

    /**
     * Float SUM: the fused order adds each piece of at most 2048 into 64 running sums in the dtype, so every element
     * goes through at most 2048 / 64 = 32 roundings of unit u (2^-24 float32, 2^-53 float64) before the double folds;
     * |fused - exact| <= (32 + 2) u sum|x| + u |exact|. Eager's SIMD rows sum blocks of 4096 in 4 vector accumulators
     * (up to 256 + 16 roundings at 128 bits) and columns in blocks of 256 rows, and its scalar twin adds float64 one by
     * one (n roundings), so |fused - unfused| <= (36 + 272 [+ n for float64]) u sum|x| + 2u |exact|. Both bounds are
     * checked, against a compensated (exact) sum of the same values.
     */
    private static void assertSumWithinBound(CpuBackend backend, FusedElementwise chain, StridedView[] inputs,
            int[] block, CpuBuffer expected, CpuBuffer actual, String what) {
        DType type = expected.dtype();
        int outer = block[0];
        int reduced = block[1];
        int inner = block[2];
        CpuBuffer values = CpuBuffer.allocate(type, (long) outer * reduced * inner);
        FusedElementwise.runUnfused(backend, chain, inputs, new StridedView[] {StridedView.contiguous(values, block)});
        double u = type == DType.FLOAT32 ? 0x1p-24 : 0x1p-53;
        // the scalar twin sums in double one element after another: n roundings of float64 (of float32: none that count)
        int eagerRoundings = type == DType.FLOAT64 ? 272 + reduced : 272;
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                double exact = 0;      // Neumaier's compensated sum: exact to about u64 |sum|, also for float64
                double compensation = 0;
                double magnitude = 0;
                for (int r = 0; r < reduced; r++) {
                    double v = ScalarKernels.readDouble(type, values.array(), (o * reduced + r) * inner + j);
                    double t = exact + v;
                    compensation += Math.abs(exact) >= Math.abs(v) ? (exact - t) + v : (v - t) + exact;
                    exact = t;
                    magnitude += Math.abs(v);
                }
                exact += compensation;
                int at = o * inner + j;
                double fused = ScalarKernels.readDouble(type, actual.array(), at);
                double unfused = ScalarKernels.readDouble(type, expected.array(), at);
                if (Double.isNaN(exact) || Double.isInfinite(magnitude)) {
                    assertEquals(Double.isNaN(unfused), Double.isNaN(fused), what + " [" + at + "] NaN: " + fused);
                    if (!Double.isNaN(unfused)) {
                        assertEquals(unfused, fused, what + " [" + at + "] infinite sum");
                    }
                    continue;
                }
                double bound = 34 * u * magnitude + 2 * u * Math.abs(exact);
                assertTrue(Math.abs(fused - exact) <= bound, what + " [" + at + "]: fused " + fused + " exact " + exact);
                assertTrue(Math.abs(fused - unfused) <= (36 + eagerRoundings) * u * magnitude + 2 * u * Math.abs(exact),
                        what + " [" + at + "]: fused " + fused + " unfused " + unfused);
            }
        }
    }

    @Test
    void sumsHaveTheSameBitsAtEveryWidthAndThreadCount() {
        Random random = new Random(23);
        int n = (1 << 20) + 77;
        CpuBuffer x = TestSupport.buffer(DType.FLOAT32, values(random, n, DType.FLOAT32));
        CpuBuffer y = TestSupport.buffer(DType.FLOAT32, values(random, n, DType.FLOAT32));
        FusedElementwise loss = new FusedElementwise(List.of(DType.FLOAT32, DType.FLOAT32), List.of(
                new FusedElementwise.Step(Primitive.SUB, new int[] {0, 1}, DType.FLOAT32),
                new FusedElementwise.Step(Primitive.MUL, new int[] {2, 2}, DType.FLOAT32)), new int[] {3});
        List<CpuBackend> backends = new ArrayList<>(ALL);
        CpuBackend two = new CpuBackend(CpuBackend.hardwareSimdBits(), 2);
        backends.add(two);
        try {
            for (int[] block : new int[][] {{1, n, 1}, {7, n / 7, 1}, {1, n / 9, 9}}) {
                int outputs = block[0] * block[2];
                StridedView[] inputs = {StridedView.contiguous(x, block), StridedView.contiguous(y, block)};
                CpuBuffer reference = null;
                for (CpuBackend backend : backends) {
                    CpuBuffer out = CpuBuffer.allocate(DType.FLOAT32, outputs);
                    backend.fusedReduce(loss, inputs, new Primitive[] {Primitive.SUM}, new StridedView[] {StridedView.contiguous(out, block[0], block[2])});
                    if (reference == null) {
                        reference = out;
                    } else {
                        assertSameBits(reference, out, Arrays.toString(block) + " sum at " + name(backend) + ", "
                                + backend.threads() + " threads");
                    }
                }
            }
        } finally {
            two.close();
        }
    }

    /**
     * Sibling reductions and written outputs of one pass: r = x - y; SUM r*r, MIN x (an input register, read in place
     * or gathered), SUM c*c (a uniform register, spread into a values row), MAX of r cast to float64 (a second dtype),
     * and r and x < y written. Rows whole and in pieces, columns in tiles and in pieces, at every width.
     */
    private static final int[][] SIBLING_BLOCKS = {{2, 4099, 1}, {700, 5, 1}, {3, 2048, 1}, {2, 300, 17},
            {1, 20, 3000}, {4, 1, 9}, {1, 1, 1}};

    private static FusedElementwise siblings(DType type) {
        return new FusedElementwise(List.of(type, type, type), List.of(
                new FusedElementwise.Step(Primitive.SUB, new int[] {0, 1}, type),
                new FusedElementwise.Step(Primitive.MUL, new int[] {3, 3}, type),
                new FusedElementwise.Step(Primitive.CAST, new int[] {3}, DType.FLOAT64),
                new FusedElementwise.Step(Primitive.MUL, new int[] {2, 2}, type),
                new FusedElementwise.Step(Primitive.LESS, new int[] {0, 1}, DType.BOOL)), new int[] {4, 0, 6, 5, 3, 7});
    }

    private static final Primitive[] SIBLING_REDUCTIONS = {Primitive.SUM, Primitive.MIN, Primitive.SUM, Primitive.MAX};

    @Test
    void siblingReductionsAndWrittenOutputsHaveTheBitsOfTheirOwnCalls() {
        Random random = new Random(29);
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT64}) {
            FusedElementwise kernel = siblings(type);
            for (int[] block : SIBLING_BLOCKS) {
                // x dense or transposed (gathered), y broadcast over the outer axis, c a host scalar
                StridedView x = random.nextBoolean() ? randomView(random, type, block, false)
                        : new StridedView(TestSupport.buffer(type, values(random, (int) size(block), type)), block,
                                new long[] {1, block[0], (long) block[0] * block[1]}, 0);
                StridedView y = new StridedView(TestSupport.buffer(type, values(random, block[1] * block[2], type)),
                        block, new long[] {0, block[2], 1}, 0);
                StridedView[] inputs = {x, y, HostScalar.of(type, 1.25).broadcast(block)};
                for (CpuBackend backend : ALL) {
                    assertSiblingsMatchTheirOwnCalls(backend, kernel, inputs, block,
                            type + " " + Arrays.toString(block) + " " + name(backend));
                }
            }
        }
    }

    @Test
    void siblingReductionsOnTwoThreadsHaveTheBitsOfTheirOwnCalls() {
        Random random = new Random(31);
        FusedElementwise kernel = siblings(DType.FLOAT32);
        try (CpuBackend two = new CpuBackend(CpuBackend.hardwareSimdBits(), 2)) {
            for (int[] block : new int[][] {{3, 350_000, 1}, {1, 2050, 512}}) {   // 1M+: row pieces, column tiles
                StridedView x = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32,
                        values(random, (int) size(block), DType.FLOAT32)), block);
                StridedView y = randomView(random, DType.FLOAT32, block, false);
                StridedView[] inputs = {x, y, HostScalar.of(DType.FLOAT32, -0.5).broadcast(block)};
                assertSiblingsMatchTheirOwnCalls(two, kernel, inputs, block, "2 threads " + Arrays.toString(block));
            }
        }
    }

    /** Every output of one sibling call has the bits of a call of that output alone (fusedReduce or fused). */
    private static void assertSiblingsMatchTheirOwnCalls(CpuBackend backend, FusedElementwise kernel,
            StridedView[] inputs, int[] block, String what) {
        List<DType> types = kernel.outputTypes();
        int[] registers = kernel.outputs();
        StridedView[] outputs = new StridedView[registers.length];
        for (int j = 0; j < outputs.length; j++) {
            outputs[j] = j < SIBLING_REDUCTIONS.length
                    ? StridedView.contiguous(CpuBuffer.allocate(types.get(j), (long) block[0] * block[2]), block[0], block[2])
                    : StridedView.contiguous(CpuBuffer.allocate(types.get(j), size(block)), block);
        }
        backend.fusedReduce(kernel, inputs, SIBLING_REDUCTIONS, outputs);
        for (int j = 0; j < outputs.length; j++) {
            FusedElementwise alone = new FusedElementwise(kernel.inputTypes(), kernel.steps(), new int[] {registers[j]});
            StridedView expected = StridedView.contiguous(CpuBuffer.allocate(types.get(j), outputs[j].size()),
                    outputs[j].shape());
            if (j < SIBLING_REDUCTIONS.length) {
                backend.fusedReduce(alone, inputs, new Primitive[] {SIBLING_REDUCTIONS[j]}, new StridedView[] {expected});
            } else {
                backend.fused(alone, inputs, new StridedView[] {expected});
            }
            assertSameBits(expected.buffer(), outputs[j].buffer(), what + " output " + j);
        }
    }

    @Test
    void aWrittenOutputOverAReducedInputIsWrittenAfterTheReductionsReadIt() {
        // x = x - y in x's own buffer, and sum((x - y)^2), max(x) of the old x in the same pass
        FusedElementwise kernel = new FusedElementwise(List.of(DType.FLOAT32, DType.FLOAT32), List.of(
                new FusedElementwise.Step(Primitive.SUB, new int[] {0, 1}, DType.FLOAT32),
                new FusedElementwise.Step(Primitive.MUL, new int[] {2, 2}, DType.FLOAT32)), new int[] {3, 0, 2});
        Primitive[] reductions = {Primitive.SUM, Primitive.MAX};
        Random random = new Random(37);
        for (int[] block : new int[][] {{2, 4099, 1}, {3, 30, 70}}) {
            int n = (int) size(block);
            double[] data = values(random, n, DType.FLOAT32);
            StridedView y = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32, values(random, n, DType.FLOAT32)), block);
            for (CpuBackend backend : ALL) {
                String what = Arrays.toString(block) + " " + name(backend);
                StridedView expectedX = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32, data), block);
                StridedView[] expected = {StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, block[0] * block[2]),
                        block[0], block[2]), StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, block[0] * block[2]),
                        block[0], block[2]), expectedX};
                FusedElementwise.runUnfusedReduce(backend, kernel, new StridedView[] {expectedX, y}, reductions, expected);
                StridedView x = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32, data), block);
                StridedView[] actual = {StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, block[0] * block[2]),
                        block[0], block[2]), StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, block[0] * block[2]),
                        block[0], block[2]), x};
                backend.fusedReduce(kernel, new StridedView[] {x, y}, reductions, actual);
                assertSameBits(expectedX.buffer(), x.buffer(), what + " x in place");
                assertSameBits(expected[1].buffer(), actual[1].buffer(), what + " max of the old x");
                assertSumWithinBound(backend, new FusedElementwise(kernel.inputTypes(), kernel.steps(), new int[] {3}),
                        new StridedView[] {StridedView.contiguous(TestSupport.buffer(DType.FLOAT32, data), block), y},
                        block, (CpuBuffer) expected[0].buffer(), (CpuBuffer) actual[0].buffer(), what + " sum");
            }
        }
    }

    @Test
    void siblingOperandErrorsNameTheCpuCall() {
        FusedElementwise kernel = siblings(DType.FLOAT32);
        int[] block = {1, 4, 1};
        StridedView x = StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 4), block);
        StridedView[] inputs = {x, x, HostScalar.of(DType.FLOAT32, 1).broadcast(block)};
        StridedView[] outputs = new StridedView[6];
        for (int j = 0; j < 6; j++) {
            outputs[j] = StridedView.contiguous(CpuBuffer.allocate(kernel.outputTypes().get(j), 1), 1, 1);
        }
        // output 4 is written: it must be the block, not (outer, inner)
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> TestSupport.SCALAR.fusedReduce(kernel, inputs, SIBLING_REDUCTIONS, outputs));
        assertTrue(error.getMessage().startsWith("cpu: fusedReduce fused(") && error.getMessage()
                .contains("output 4 must be a contiguous float32 buffer of shape [1, 4, 1] (written)"), error.getMessage());
    }

    @Test
    void aNanInARowIsThatRowsResultForEveryReduction() {
        FusedElementwise identity = new FusedElementwise(List.of(DType.FLOAT32), List.of(
                new FusedElementwise.Step(Primitive.ABS, new int[] {0}, DType.FLOAT32)), new int[] {1});
        double[] data = new double[3 * 5000];
        Arrays.fill(data, 2);
        data[4321] = Double.NaN;           // row 0, second piece
        data[2 * 5000 + 7] = Double.NaN;   // row 2, first piece
        StridedView x = StridedView.contiguous(TestSupport.buffer(DType.FLOAT32, data), 3, 5000, 1);
        for (CpuBackend backend : ALL) {
            for (Primitive op : new Primitive[] {Primitive.SUM, Primitive.MAX, Primitive.MIN}) {
                CpuBuffer out = CpuBuffer.allocate(DType.FLOAT32, 3);
                backend.fusedReduce(identity, new StridedView[] {x}, new Primitive[] {op}, new StridedView[] {StridedView.contiguous(out, 3, 1)});
                float[] result = (float[]) out.array();
                String what = op + " " + name(backend);
                assertTrue(Float.isNaN(result[0]) && Float.isNaN(result[2]), what + ": " + Arrays.toString(result));
                assertEquals(op == Primitive.SUM ? 10000f : 2f, result[1], what);
            }
        }
    }
}
