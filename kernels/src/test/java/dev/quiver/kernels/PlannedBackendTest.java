package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.CachingAllocator;
import dev.quiver.spi.CapturedWork;
import dev.quiver.spi.DeferredCheck;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Drawn;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlannedBackendTest {

    /** A backend that records what it is asked to launch, on a GPU-like device with numbered blocks of memory. */
    static final class Recording extends PlannedBackend<Long> {
        final List<String> events = new ArrayList<>();
        final Map<Long, Integer> words = new HashMap<>();   // status words as the "device" holds them
        final CachingAllocator<Long> allocator = new CachingAllocator<>("recording", new CachingAllocator.Device<>() {
            long next = 1;

            @Override
            public Long allocate(long bytes) {
                events.add("allocate " + bytes);
                return next++;
            }

            @Override
            public void free(Long memory, long bytes) {
            }

            @Override
            public long freeBytes() {
                return -1;
            }
        });
        int divisionStatus;   // what a division kernel "writes" into its status word
        long[] statusDetails = new long[3];   // what a gather kernel writes after it: position, value, limit

        Recording() {
            super(new LaunchPlanner(new DeviceLimits(1024, 132, true, false)));
        }

        @Override
        protected CachingAllocator<Long> allocator() {
            return allocator;
        }

        @Override
        protected String deviceName() {
            return "H200";
        }

        @Override
        protected void enter(String op) {
            requireOpen(op);
            events.add("enter " + op);
        }

        final List<Launch> launched = new ArrayList<>();

        @Override
        protected void launch(Launch launch, DeferredCheck<Long> check) {
            events.add("launch " + launch.kernel());
            launched.add(launch);
            if (launch.checksStatus()) {
                words.put(check.status(), divisionStatus);
            }
        }

        @Override
        protected void zeroStatusWord(Long word, String op) {
            words.put(word, 0);
        }

        @Override
        protected int readStatusWord(Long word, String op) {
            return words.get(word);
        }

        @Override
        protected void waitForDevice(String op) {
            events.add("wait " + op);
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public String deviceDescription() {
            return "none";
        }

        @Override
        protected void write(Long memory, Object hostArray, long bytes, String what) {
            events.add(what);
        }

        @Override
        protected void read(Long memory, long offsetBytes, Object hostArray, long bytes, String what) {
            events.add(what + " from byte " + offsetBytes);
            if (words.containsKey(memory) && hostArray instanceof long[] details) {
                System.arraycopy(statusDetails, 0, details, 0, details.length);
            }
        }

        boolean captures;   // whether this "device" records launches as graphs

        @Override
        public String captureUnavailable() {
            return captures ? null : super.captureUnavailable();
        }

        @Override
        protected void beginCapture() {
            events.add("begin capture");
        }

        @Override
        protected CapturedWork endCapture(List<DeviceBuffer> scratch) {
            events.add("end capture, keeping " + scratch.size() + " scratch");
            return new CapturedWork() {
                @Override
                public void launch() {
                    events.add("launch graph");
                }

                @Override
                public void close() {
                    scratch.forEach(DeviceBuffer::release);
                }
            };
        }

        @Override
        protected void abortCapture() {
            events.add("abort capture");
        }

        @Override
        public void close() {
            if (!markClosed()) {
                return;
            }
            dropUnreadChecks();
            dropPrepared();
            allocator.close();
        }
    }

    @Test
    void aTwoPassReductionGetsScratchThatIsReleasedOnceLaunched() {
        Recording backend = new Recording();
        DeviceBuffer in = backend.allocate(DType.FLOAT32, 1 << 20);
        DeviceBuffer out = backend.allocate(DType.FLOAT32, 1);
        backend.events.clear();
        backend.reduce(Primitive.SUM, new StridedView(in, new int[] {1, 1 << 20, 1}, new long[] {1 << 20, 1, 1}, 0),
                StridedView.contiguous(out, 1, 1));
        assertEquals("enter sum", backend.events.get(0));
        assertTrue(backend.events.get(1).startsWith("allocate "), backend.events.toString());
        assertEquals(List.of("enter sum", "launch reduce_axis", "launch reduce_axis"), backend.events.subList(2, 5));
        assertEquals(2, backend.launches());
        long cached = backend.allocator.cachedBytes();
        assertTrue(cached > 0, "the scratch went back to the allocator once launched: " + backend.allocator.describe());
    }

    /**
     * A compiled step's replay calls each fused kernel again with the very same views: the launches planned for the
     * first call are launched again (the same objects, so a backend may keep their arguments set, with the same scratch
     * of a split reduction) and nothing is planned or allocated. A call with other views plans anew and gives the
     * scratch it replaces back; so does closing the backend.
     */
    @Test
    void aRepeatedFusedCallLaunchesItsPreparedLaunches() {
        Recording backend = new Recording();
        DType f32 = DType.FLOAT32;
        FusedElementwise square = new FusedElementwise(List.of(f32), List.of(
                new FusedElementwise.Step(Primitive.MUL, new int[] {0, 0}, f32)), new int[] {1});
        int n = 1 << 20;
        DeviceBuffer values = backend.allocate(f32, n);
        StridedView[] in = {new StridedView(values, new int[] {1, n, 1}, new long[] {n, 1, 1}, 0)};
        StridedView[] out = {StridedView.contiguous(backend.allocate(f32, 1), 1, 1)};
        Primitive[] sum = {Primitive.SUM};
        backend.fusedReduce(square, in, sum, out);
        List<Launch> first = List.copyOf(backend.launched);
        assertEquals(2, first.size(), "a split reduction: two stages through scratch");
        long held = backend.allocator.allocatedBytes() - backend.allocator.cachedBytes();
        for (int repeat = 0; repeat < 3; repeat++) {
            backend.launched.clear();
            backend.events.clear();
            backend.fusedReduce(square, in, sum, out);
            assertEquals(first.size(), backend.launched.size());
            for (int i = 0; i < first.size(); i++) {
                assertSame(first.get(i), backend.launched.get(i), "repeat " + repeat + " launch " + i);
            }
            assertTrue(backend.events.stream().noneMatch(event -> event.startsWith("allocate")), backend.events
                    .toString());
            assertEquals(held, backend.allocator.allocatedBytes() - backend.allocator.cachedBytes(),
                    "the scratch stays with the prepared launches");
        }
        StridedView[] flat = {StridedView.contiguous(values, n)};
        StridedView[] squares = {StridedView.contiguous(backend.allocate(f32, n), n)};
        // a kernel of its own (as each call of a compiled program has): prepared launches are kept per kernel
        FusedElementwise elementwiseSquare = new FusedElementwise(square.inputTypes(), square.steps(), new int[] {1});
        backend.fused(elementwiseSquare, flat, squares);
        Launch elementwise = backend.launched.getLast();
        backend.fused(elementwiseSquare, flat, squares);
        assertSame(elementwise, backend.launched.getLast(), "a repeated fused call");
        assertEquals(held, backend.allocator.allocatedBytes() - backend.allocator.cachedBytes() - 4L * n,
                "the reduction's scratch is still kept");
        // the same kernel over other views (equal ones, other objects): planned again, the old scratch given back
        StridedView[] again = {new StridedView(values, new int[] {1, n, 1}, new long[] {n, 1, 1}, 0)};
        long inUse = backend.allocator.allocatedBytes() - backend.allocator.cachedBytes();
        backend.fusedReduce(square, again, sum, out);
        assertNotSame(first.getLast(), backend.launched.getLast(), "other views: planned again");
        assertEquals(inUse, backend.allocator.allocatedBytes() - backend.allocator.cachedBytes(),
                "the replaced scratch went back to the allocator: " + backend.allocator.describe());
        backend.close();
    }

    /**
     * A capture records the launches its calls issue between its begin and end; a split reduction's scratch stays with
     * the capture (not given back, not kept by the prepared launches) until the capture is closed; status words waiting
     * to be read are read before it begins (reading waits); a call whose kernel reports through a status word (integer
     * division) is refused, naming it, and the capture is ended, giving its scratch back. A device without graphs
     * refuses with its reason.
     */
    @Test
    void aCaptureRecordsTheLaunchesAndKeepsTheirScratchUntilClosed() {
        Recording backend = new Recording();
        UnsupportedOperationException none = assertThrows(UnsupportedOperationException.class,
                () -> backend.capture(() -> { }));
        assertTrue(none.getMessage().startsWith("recording: capture: the recording backend runs each call as it is "
                + "made"), none.getMessage());
        backend.captures = true;
        DType f32 = DType.FLOAT32;
        FusedElementwise square = new FusedElementwise(List.of(f32), List.of(
                new FusedElementwise.Step(Primitive.MUL, new int[] {0, 0}, f32)), new int[] {1});
        int n = 1 << 20;
        StridedView[] in = {new StridedView(backend.allocate(f32, n), new int[] {1, n, 1}, new long[] {n, 1, 1}, 0)};
        StridedView[] out = {StridedView.contiguous(backend.allocate(f32, 1), 1, 1)};
        DeviceBuffer ints = backend.allocate(DType.INT32, 3);
        StridedView intView = StridedView.contiguous(ints, 3);
        backend.binary(Primitive.DIV, intView, intView, intView);   // a status word waiting to be read
        backend.events.clear();
        backend.capture(() -> { }).close();
        assertEquals(List.of("enter capture", "wait capture", "begin capture", "end capture, keeping 0 scratch"),
                backend.events, "the waiting status word is read first");
        backend.events.clear();
        long inUse = backend.allocator.allocatedBytes() - backend.allocator.cachedBytes();
        CapturedWork work = backend.capture(() -> backend.fusedReduce(square, in, new Primitive[] {Primitive.SUM},
                out));
        assertEquals(List.of("begin capture", "launch reduce_axis", "launch reduce_axis",
                "end capture, keeping 1 scratch"), backend.events.stream().filter(event -> !event.startsWith("wait")
                && !event.startsWith("allocate") && !event.startsWith("enter") && !event.startsWith("the status"))
                .toList(), backend.events.toString());
        long held = backend.allocator.allocatedBytes() - backend.allocator.cachedBytes();
        assertTrue(held > inUse, "the scratch is held by the capture: " + backend.allocator.describe());
        work.launch();
        assertEquals("launch graph", backend.events.getLast());
        work.close();
        assertEquals(inUse, backend.allocator.allocatedBytes() - backend.allocator.cachedBytes(),
                "closing the capture gives its scratch back: " + backend.allocator.describe());
        backend.events.clear();
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> backend.capture(() -> {
            backend.fusedReduce(square, in, new Primitive[] {Primitive.SUM}, out);
            backend.binary(Primitive.DIV, intView, intView, intView);
        }));
        assertTrue(refused.getMessage().startsWith("div int32 (3,) <- int32 (3,) int32 (3,) reports errors through a "
                + "status word"), refused.getMessage());
        assertEquals("abort capture", backend.events.getLast(), backend.events.toString());
        assertEquals(inUse, backend.allocator.allocatedBytes() - backend.allocator.cachedBytes(),
                "a failed capture gives its scratch back: " + backend.allocator.describe());
        backend.close();
    }

    @Test
    void recentOpsNameTheLaunchesSinceTheLastWait() {
        Recording backend = new Recording();
        DeviceBuffer ints = backend.allocate(DType.INT32, 5);
        StridedView view = StridedView.contiguous(ints, 5);
        backend.unary(Primitive.NEG, view, view);
        backend.binary(Primitive.ADD, view, view, view);
        assertEquals("; ops launched since the last wait: neg int32 (5,) <- int32 (5,), "
                + "add int32 (5,) <- int32 (5,) int32 (5,)", backend.recentOpsText());
        assertEquals("", backend.recentOpsText(), "formatting forgets them");
    }

    @Test
    void aDivisionByZeroFailsItsOwnResultAndWhatIsComputedFromItEveryTimeAndNothingElse() {
        Recording backend = new Recording();
        DeviceBuffer a = backend.allocate(DType.INT32, 3);
        DeviceBuffer quotient = backend.allocate(DType.INT32, 3);
        DeviceBuffer derived = backend.allocate(DType.INT32, 3);
        DeviceBuffer unrelated = backend.allocate(DType.INT32, 3);
        StridedView av = StridedView.contiguous(a, 3);
        StridedView qv = StridedView.contiguous(quotient, 3);
        backend.binary(Primitive.ADD, av, av, StridedView.contiguous(unrelated, 3));
        backend.divisionStatus = ElementwiseKernels.STATUS_DIVISION_BY_ZERO;
        backend.binary(Primitive.DIV, av, av, qv);
        backend.divisionStatus = 0;
        backend.unary(Primitive.NEG, qv, StridedView.contiguous(derived, 3));
        backend.download(unrelated, 0, 3);   // reads normally, and reads the division's status word on the way
        for (int attempt = 0; attempt < 2; attempt++) {
            ArithmeticException error = assertThrows(ArithmeticException.class,
                    () -> backend.download(quotient, 0, 3));
            assertEquals("div: integer division by zero on recording (H200) in div int32 (3,) <- int32 (3,) "
                    + "int32 (3,); every tensor computed from its result fails the same way", error.getMessage());
            assertThrows(ArithmeticException.class, () -> backend.download(derived, 0, 3));
        }
        backend.binary(Primitive.DIV, av, av, qv);   // overwritten whole by a division that passes: reads again
        backend.download(quotient, 0, 3);
        assertEquals(CachingAllocator.GRANULE, backend.allocator.cachedBytes(),
                "a read status word goes back to the allocator, and the next division reuses it: "
                        + backend.allocator.describe());
        assertTrue(backend.allocator.describe().contains("1 reuses"), backend.allocator.describe());
    }

    @Test
    void aGatherIndexOutOfRangeIsReadWithItsDetailsAndNamesTheIndex() {
        Recording backend = new Recording();
        DeviceBuffer params = backend.allocate(DType.FLOAT32, 15);
        DeviceBuffer indices = backend.allocate(DType.INT64, 4);
        DeviceBuffer out = backend.allocate(DType.FLOAT32, 12);
        backend.divisionStatus = LaunchPlanner.STATUS_INDEX_OUT_OF_RANGE;
        backend.statusDetails = new long[] {2, 7, 5};
        backend.gather(StridedView.contiguous(params, 1, 5, 3), StridedView.contiguous(indices, 4),
                StridedView.contiguous(out, 1, 4, 3));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> backend.download(out, 0, 12));
        assertEquals("gather: indices[2] = 7 is out of range [0, 5) on recording (H200) in gather float32 (1, 4, 3) "
                + "<- float32 (1, 5, 3) int64 (4,); every tensor computed from its result fails the same way",
                error.getMessage());
        assertTrue(backend.events.stream().anyMatch(e -> e.startsWith("the status details of gather")
                && e.endsWith("from byte 8")), backend.events.toString());
    }

    @Test
    void anOpWithoutADivisionGetsNoStatusWord() {
        Recording backend = new Recording();
        DeviceBuffer ints = backend.allocate(DType.INT32, 5);
        StridedView view = StridedView.contiguous(ints, 5);
        long before = backend.allocator.allocatedBytes();
        backend.binary(Primitive.ADD, view, view, view);
        backend.binary(Primitive.DIV, StridedView.contiguous(backend.allocate(DType.FLOAT32, 5), 5),
                StridedView.contiguous(backend.allocate(DType.FLOAT32, 5), 5),
                StridedView.contiguous(backend.allocate(DType.FLOAT32, 5), 5));
        assertEquals(before + 3 * CachingAllocator.GRANULE, backend.allocator.allocatedBytes(),
                "float division follows IEEE and needs no word; only the three float buffers were allocated");
    }

    @Test
    void aBufferOfAnotherBackendIsRefusedNamingTheOp() {
        Recording backend = new Recording();
        DeviceBuffer foreign = new Recording().allocate(DType.FLOAT32, 2);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> backend.download(foreign, 0, 2));
        assertEquals("recording: download got a buffer of another backend (PooledBuffer)", error.getMessage());
        DeviceBuffer mine = backend.allocate(DType.INT32, 4);
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> backend.download(mine, 2, 3));
        assertEquals("recording: download of [2, 5) is outside a int32 buffer of 4 elements", outside.getMessage());
        assertTrue(backend.download(mine, 1, 3) instanceof int[] values && values.length == 3);
        assertTrue(backend.download(backend.upload(new boolean[] {true}), 0, 1) instanceof boolean[]);
        assertTrue(backend.events.contains("upload of 1 bool") && backend.events.contains("download of 3 int32 from "
                + "byte 4"), backend.events.toString());
        assertEquals(2, backend.transfers().downloads());
        assertEquals(1, backend.transfers().uploadBytes());
        assertEquals(13, backend.transfers().downloadBytes());
        backend.close();
        backend.close();   // idempotent
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> backend.synchronize());
        assertEquals("recording: synchronize on a closed backend", closed.getMessage());
    }

    /** (x / y, x + y) over int32: one launch, no allocation but its status word. */
    private static final FusedElementwise QUOTIENT_AND_SUM = new FusedElementwise(List.of(DType.INT32, DType.INT32),
            List.of(new FusedElementwise.Step(Primitive.DIV, new int[] {0, 1}, DType.INT32),
                    new FusedElementwise.Step(Primitive.ADD, new int[] {0, 1}, DType.INT32)), new int[] {2, 3});

    @Test
    void aFusedChainIsOneLaunchAndADivisionByZeroFailsOnlyTheOutputsComputedFromIt() {
        Recording backend = new Recording();
        assertTrue(backend.runsFusedKernels());
        StridedView x = StridedView.contiguous(backend.allocate(DType.INT32, 6), 2, 3);
        StridedView y = StridedView.contiguous(backend.allocate(DType.INT32, 6), 2, 3);
        DeviceBuffer quotient = backend.allocate(DType.INT32, 6);
        DeviceBuffer sum = backend.allocate(DType.INT32, 6);
        backend.events.clear();
        long allocated = backend.allocator.allocatedBytes();
        backend.divisionStatus = ElementwiseKernels.STATUS_DIVISION_BY_ZERO;
        backend.fused(QUOTIENT_AND_SUM, new StridedView[] {x, y}, new StridedView[] {
                StridedView.contiguous(quotient, 2, 3), StridedView.contiguous(sum, 2, 3)});
        assertEquals(List.of("enter fused", "launch " + FusedKernels.programName(QUOTIENT_AND_SUM, 0) + "_c"),
                backend.events.stream().filter(event -> !event.startsWith("allocate ")).toList());
        assertEquals(allocated + CachingAllocator.GRANULE, backend.allocator.allocatedBytes(), "only a status word");
        backend.download(sum, 0, 6);   // x + y does not depend on the division
        ArithmeticException error = assertThrows(ArithmeticException.class, () -> backend.download(quotient, 0, 6));
        assertEquals("div: integer division by zero on recording (H200) in " + QUOTIENT_AND_SUM + " int32 (2, 3) "
                + "int32 (2, 3) <- int32 (2, 3) int32 (2, 3); every tensor computed from its result fails the same "
                + "way", error.getMessage());
    }

    @Test
    void aLongFusedReductionRunsTheChainInItsFirstStageAndReducesThePartialsInItsSecond() {
        Recording backend = new Recording();
        int n = 1 << 20;
        StridedView x = StridedView.contiguous(backend.allocate(DType.INT32, n), 1, n, 1);
        StridedView y = StridedView.contiguous(backend.allocate(DType.INT32, n), 1, n, 1);
        FusedElementwise sum = new FusedElementwise(List.of(DType.INT32, DType.INT32), List.of(
                new FusedElementwise.Step(Primitive.ADD, new int[] {0, 1}, DType.INT32)), new int[] {2});
        Primitive[] max = {Primitive.MAX};
        List<Launch> plan = backend.planner.fusedReduce(sum, new StridedView[] {x, y}, max, new StridedView[] {
                StridedView.contiguous(backend.allocate(DType.INT32, 1), 1, 1)}, new DeviceBuffer[] {
                backend.allocate(DType.INT32, backend.planner.reduceScratchLength(x))});
        assertEquals(2, plan.size());
        assertEquals(FusedKernels.programName(sum, 0) + "_max", plan.get(0).source().name());
        // the second stage is the same template over the partials: a chain of no steps, whose output is its input
        FusedElementwise partials = new FusedElementwise(List.of(DType.INT32), List.of(), new int[] {0});
        assertEquals(FusedKernels.programName(partials, 0) + "_max", plan.get(1).source().name());
        assertEquals("reduce_axis", plan.get(1).kernel());
        StridedView out = StridedView.contiguous(backend.allocate(DType.INT32, 1), 1, 1);
        backend.events.clear();
        backend.fusedReduce(sum, new StridedView[] {x, y}, max, new StridedView[] {out});
        assertEquals(List.of("enter fused max", "launch reduce_axis", "launch reduce_axis"),
                List.of(backend.events.get(0), backend.events.get(2), backend.events.get(3)));
        assertTrue(backend.events.get(1).startsWith("allocate "), "the partials' scratch: " + backend.events);
    }

    /**
     * q = x / y, s = x + y and -z over int32: sum(s), max(q), q and -z written. One launch sequence for all four
     * outputs (the stages of one reduction, never one per output), a scratch per reduction when split. Each output
     * depends on what it would alone: a division by zero in the chain fails max(q) and q, an earlier one that made z
     * fails -z, and sum(s) stays readable.
     */
    @Test
    void siblingReductionsAndWrittenOutputsAreTheLaunchesOfOneReduction() {
        DType i32 = DType.INT32;
        FusedElementwise kernel = new FusedElementwise(List.of(i32, i32, i32), List.of(
                new FusedElementwise.Step(Primitive.DIV, new int[] {0, 1}, i32),
                new FusedElementwise.Step(Primitive.ADD, new int[] {0, 1}, i32),
                new FusedElementwise.Step(Primitive.NEG, new int[] {2}, i32)), new int[] {4, 3, 3, 5});
        Primitive[] reductions = {Primitive.SUM, Primitive.MAX};
        for (int n : new int[] {1 << 20, 5}) {
            Recording backend = new Recording();
            StridedView x = StridedView.contiguous(backend.allocate(i32, n), 1, n, 1);
            StridedView y = StridedView.contiguous(backend.allocate(i32, n), 1, n, 1);
            StridedView z = StridedView.contiguous(backend.allocate(i32, n), 1, n, 1);
            backend.divisionStatus = ElementwiseKernels.STATUS_DIVISION_BY_ZERO;
            backend.binary(Primitive.DIV, x, y, z);
            DeviceBuffer sum = backend.allocate(i32, 1);
            DeviceBuffer max = backend.allocate(i32, 1);
            DeviceBuffer quotient = backend.allocate(i32, n);
            DeviceBuffer negated = backend.allocate(i32, n);
            StridedView[] outputs = {StridedView.contiguous(sum, 1, 1), StridedView.contiguous(max, 1, 1),
                    StridedView.contiguous(quotient, 1, n, 1), StridedView.contiguous(negated, 1, n, 1)};
            backend.events.clear();
            backend.fusedReduce(kernel, new StridedView[] {x, y, z}, reductions, outputs);
            backend.divisionStatus = 0;
            boolean split = n > 5;
            assertEquals(split ? List.of("launch reduce_axis", "launch reduce_axis") : List.of("launch reduce_axis"),
                    backend.events.stream().filter(event -> event.startsWith("launch ")).toList());
            assertEquals("enter fused sum,max", backend.events.getFirst());
            // a status word; when split, a scratch for each reduction's partials
            assertEquals(split ? 3 : 1, backend.events.stream().filter(e -> e.startsWith("allocate ")).count(),
                    backend.events.toString());
            backend.download(sum, 0, 1);
            for (DeviceBuffer fromQuotient : List.of(max, quotient)) {
                ArithmeticException error = assertThrows(ArithmeticException.class,
                        () -> backend.download(fromQuotient, 0, 1));
                assertTrue(error.getMessage().startsWith("div: integer division by zero on recording (H200) in sum, "
                        + "max of " + kernel), error.getMessage());
            }
            ArithmeticException fromZ = assertThrows(ArithmeticException.class, () -> backend.download(negated, 0, 1));
            assertTrue(fromZ.getMessage().startsWith("div: integer division by zero on recording (H200) in div int32 "),
                    fromZ.getMessage());
        }
    }

    @Test
    void siblingReductionsBeyondTheLimitsAreRefusedNamingThem() {
        Recording backend = new Recording();
        StridedView x = StridedView.contiguous(backend.allocate(DType.FLOAT32, 6), 1, 6, 1);
        int many = LaunchPlanner.MAX_FUSED_REDUCE_OUTPUTS + 1;
        int[] registers = new int[many];
        Primitive[] sums = new Primitive[many];
        StridedView[] outputs = new StridedView[many];
        for (int j = 0; j < many; j++) {
            sums[j] = Primitive.SUM;
            outputs[j] = StridedView.contiguous(backend.allocate(DType.FLOAT32, 1), 1, 1);
        }
        FusedElementwise kernel = new FusedElementwise(List.of(DType.FLOAT32), List.of(), registers);
        Primitive[] tooManySums = java.util.Arrays.copyOf(sums, LaunchPlanner.MAX_REDUCED_OUTPUTS + 1);
        StridedView[] written = outputs.clone();
        for (int j = tooManySums.length; j < many; j++) {
            written[j] = StridedView.contiguous(backend.allocate(DType.FLOAT32, 6), 1, 6, 1);
        }
        IllegalArgumentException reductions = assertThrows(IllegalArgumentException.class,
                () -> backend.fusedReduce(kernel, new StridedView[] {x}, tooManySums, written));
        assertTrue(reductions.getMessage().startsWith("fusedReduce: " + kernel + " has 9 reductions and 17 outputs; "
                + "a planned kernel takes at most 8 reductions (LaunchPlanner.MAX_REDUCED_OUTPUTS"),
                reductions.getMessage());
        Primitive[] oneSum = {Primitive.SUM};
        StridedView[] oneReduced = written.clone();
        for (int j = 1; j < many; j++) {
            oneReduced[j] = StridedView.contiguous(backend.allocate(DType.FLOAT32, 6), 1, 6, 1);
        }
        IllegalArgumentException outputCount = assertThrows(IllegalArgumentException.class,
                () -> backend.fusedReduce(kernel, new StridedView[] {x}, oneSum, oneReduced));
        assertTrue(outputCount.getMessage().contains("and 16 outputs (LaunchPlanner.MAX_FUSED_REDUCE_OUTPUTS"),
                outputCount.getMessage());
    }

    /**
     * A drawn input is generated in the one kernel that reads it: the seed, the stream counter, the stream element of
     * the view's element 0 past the counter and the recipe's parameters are arguments, so a draw from another position
     * (or seed) launches the same program, and a moved counter the same arguments; the outputs carry no deferred check
     * from it; a non-contiguous drawn view of a reduction, and a counter of another backend, are refused.
     */
    @Test
    void aDrawnInputIsGeneratedInOneLaunchWhoseProgramDoesNotDependOnThePosition() {
        Recording backend = new Recording();
        assertTrue(backend.fusesDraws());
        DType f32 = DType.FLOAT32;
        // (x * y) summed and written, x drawn from normal(0.5, 2) and y in memory
        FusedElementwise product = new FusedElementwise(List.of(f32, f32), List.of(
                new FusedElementwise.Step(Primitive.MUL, new int[] {0, 1}, f32)), new int[] {2, 2});
        DeviceBuffer counter = backend.allocate(DType.INT64, 1);
        Drawn draw = new Drawn(RandomDistribution.NORMAL, 42, counter, 5, 0.5, 2, f32, 67);
        StridedView y = StridedView.contiguous(backend.allocate(f32, 64), 1, 64, 1);
        StridedView sum = StridedView.contiguous(backend.allocate(f32, 1), 1, 1);
        StridedView written = StridedView.contiguous(backend.allocate(f32, 64), 1, 64, 1);
        List<List<Launch>> replays = new ArrayList<>();
        for (Drawn replay : List.of(draw, new Drawn(draw.distribution(), 42, counter, 1 << 20, 0.5, 2, f32, 67),
                new Drawn(draw.distribution(), 7, counter, 99, 0.5, 2, f32, 67))) {
            StridedView x = new StridedView(replay, new int[] {1, 64, 1}, new long[] {64, 1, 1}, 3);
            replays.add(backend.planner.fusedReduce(product, new StridedView[] {x, y}, new Primitive[] {Primitive.SUM},
                    new StridedView[] {sum, written}, new DeviceBuffer[0]));
        }
        List<Launch> plan = replays.getFirst();
        assertEquals(1, plan.size());
        assertEquals(FusedKernels.programName(product, 0, new DrawnInputs(0, 0b1)) + "_sum",
                plan.getFirst().source().name());
        assertTrue(plan.getFirst().source().name().contains("_d0n"), plan.getFirst().source().name());
        assertEquals("1", plan.getFirst().source().defines().get("NORMAL24"));
        // sizes, then x: seed, counter, element 5 + 3 past it, (float) second, (float) first; then y's buffer
        assertEquals(List.of(new KernelArg.I64(42), new KernelArg.Buffer(counter), new KernelArg.I64(8),
                new KernelArg.F32(2f), new KernelArg.F32(0.5f), new KernelArg.Buffer(y.buffer())),
                plan.getFirst().args().subList(3, 9));
        for (List<Launch> replay : replays) {
            assertEquals(plan.getFirst().source(), replay.getFirst().source());
        }
        assertEquals(List.of(new KernelArg.I64(42), new KernelArg.Buffer(counter), new KernelArg.I64((1 << 20) + 3)),
                replays.get(1).getFirst().args().subList(3, 6));
        assertEquals(List.of(new KernelArg.I64(7), new KernelArg.Buffer(counter), new KernelArg.I64(102)),
                replays.get(2).getFirst().args().subList(3, 6));
        // the elementwise kernel: one launch, the same program from another position
        StridedView x = new StridedView(draw, new int[] {64}, new long[] {1}, 3);
        StridedView out = StridedView.contiguous(backend.allocate(f32, 64), 64);
        StridedView[] outs = {out, StridedView.contiguous(backend.allocate(f32, 64), 64)};
        StridedView flatY = StridedView.contiguous(y.buffer(), 64);
        List<Launch> elementwise = backend.planner.fused(product, new StridedView[] {x, flatY}, outs);
        assertEquals(1, elementwise.size());
        assertEquals(backend.planner.fused(product, new StridedView[] {new StridedView(new Drawn(
                draw.distribution(), 42, counter, 77, 0.5, 2, f32, 67), new int[] {64}, new long[] {1}, 3), flatY},
                outs).getFirst().source(), elementwise.getFirst().source());
        assertTrue(elementwise.getFirst().source().body().contains(
                "q_philox_normal24(in0_seed, (q_u64) (in0_counter[0] + at0)"), elementwise.getFirst().source().body());
        backend.events.clear();
        backend.fused(product, new StridedView[] {x, flatY}, outs);
        assertEquals(List.of("enter fused", "launch " + elementwise.getFirst().kernel()), backend.events);
        backend.download(out.buffer(), 0, 64);   // a draw carries no deferred error
        StridedView everyOther = new StridedView(draw, new int[] {1, 32, 1}, new long[] {64, 2, 1}, 0);
        IllegalArgumentException strided = assertThrows(IllegalArgumentException.class, () -> backend.fusedReduce(
                product, new StridedView[] {everyOther, StridedView.contiguous(y.buffer(), 1, 32, 1)},
                new Primitive[] {Primitive.SUM}, new StridedView[] {sum, StridedView.contiguous(written.buffer(), 1,
                        32, 1)}));
        assertTrue(strided.getMessage().contains("input 0 of " + product + " is " + everyOther + ", a view of a drawn "
                + "buffer that is not contiguous"), strided.getMessage());
        IllegalArgumentException copy = assertThrows(IllegalArgumentException.class,
                () -> backend.copy(x, out));
        assertTrue(copy.getMessage().startsWith("recording: copy got a drawn buffer (" + draw + ")"),
                copy.getMessage());
        DeviceBuffer foreign = new Recording().allocate(DType.INT64, 1);
        StridedView alien = new StridedView(new Drawn(draw.distribution(), 42, foreign, 5, 0.5, 2, f32, 67),
                new int[] {64}, new long[] {1}, 3);
        backend.events.clear();
        IllegalArgumentException otherCounter = assertThrows(IllegalArgumentException.class,
                () -> backend.fused(product, new StridedView[] {alien, flatY}, outs));
        assertTrue(otherCounter.getMessage().contains("fused (the stream counter of drawn input 0) got a buffer of "
                + "another backend"), otherCounter.getMessage());
        assertEquals(List.of(), backend.events, "refused before anything ran");
    }

    @Test
    void aFusedKernelOfManyStridedOperandsLoopsMoreDimensionsOnTheHostToStayWithinTheArgumentLimit() {
        Recording backend = new Recording();
        int operands = 12;
        int[] shape = {2, 2, 2, 2, 2, 2};
        long[] strides = {1, 2, 4, 8, 16, 32};   // column-major: no dimension merges
        StridedView[] inputs = new StridedView[operands];
        List<DType> types = new ArrayList<>();
        List<FusedElementwise.Step> steps = new ArrayList<>();
        for (int i = 0; i < operands; i++) {
            inputs[i] = new StridedView(backend.allocate(DType.FLOAT32, 64), shape, strides, 0);
            types.add(DType.FLOAT32);
            steps.add(new FusedElementwise.Step(Primitive.ADD, new int[] {i == 0 ? 0 : operands + i - 1, i},
                    DType.FLOAT32));
        }
        FusedElementwise kernel = new FusedElementwise(types, steps, new int[] {2 * operands - 1});
        StridedView out = StridedView.contiguous(backend.allocate(DType.FLOAT32, 64), shape);
        List<Launch> plan = backend.planner.fused(kernel, inputs, new StridedView[] {out});
        // 13 operands: 27 fixed arguments, 14 per kernel dimension: 7 dimensions fit, the kernel takes 6; so rank
        // 6 in one launch. At 24 operands of the same walk, fewer dimensions fit.
        assertEquals(1, plan.size());
        assertTrue(plan.getFirst().args().size() <= LaunchPlanner.MAX_KERNEL_ARGUMENTS);
        StridedView[] many = new StridedView[24];
        List<DType> manyTypes = new ArrayList<>();
        List<FusedElementwise.Step> manySteps = new ArrayList<>();
        for (int i = 0; i < many.length; i++) {
            many[i] = inputs[i % operands];
            manyTypes.add(DType.FLOAT32);
            manySteps.add(new FusedElementwise.Step(Primitive.ADD, new int[] {i == 0 ? 0 : many.length + i - 1, i},
                    DType.FLOAT32));
        }
        FusedElementwise wide = new FusedElementwise(manyTypes, manySteps, new int[] {2 * many.length - 1});
        List<Launch> slices = backend.planner.fused(wide, many, new StridedView[] {out});
        // 25 operands: 51 fixed, 26 per dimension: 3 dimensions in the kernel, 3 looped here (8 launches)
        assertEquals(8, slices.size());
        assertTrue(slices.getFirst().kernel().endsWith("_s3"), slices.getFirst().kernel());
        assertTrue(slices.stream().allMatch(launch -> launch.args().size() <= LaunchPlanner.MAX_KERNEL_ARGUMENTS));
    }

    @Test
    void hostArraysAreTypedAndBoolsTravelAsBytes() {
        assertEquals(DType.FLOAT64, PlannedBackend.dtypeOf(new double[1], "cuda"));
        assertEquals(DType.BOOL, PlannedBackend.dtypeOf(new boolean[1], "cuda"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> PlannedBackend.dtypeOf(new short[1], "cuda"));
        assertEquals("cuda: upload takes float[], double[], int[], long[] or boolean[], not short[]",
                error.getMessage());
        assertArrayEquals(new byte[] {1, 0, 1}, PlannedBackend.toBytes(new boolean[] {true, false, true}));
        assertArrayEquals(new boolean[] {true, false, true}, PlannedBackend.toBooleans(new byte[] {7, 0, 1}));
    }
}
