package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import dev.quiver.spi.TransferStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlannedBackendTest {

    /** A backend that records what it is asked to launch and allocate, on a GPU-like device. */
    static final class Recording extends PlannedBackend {
        final List<String> events = new ArrayList<>();

        Recording() {
            super(new LaunchPlanner(new DeviceLimits(1024, 132, true, false)));
        }

        @Override
        protected void enter(String op) {
            events.add("enter " + op);
        }

        @Override
        protected void launch(Launch launch) {
            events.add("launch " + launch.kernel());
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
        public DeviceBuffer allocate(DType dtype, long length) {
            events.add("allocate " + length);
            return new DeviceBuffer() {
                @Override
                public DType dtype() {
                    return dtype;
                }

                @Override
                public long length() {
                    return length;
                }

                @Override
                public void release() {
                    events.add("release " + length);
                }
            };
        }

        @Override
        public DeviceBuffer upload(Object hostArray) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object download(DeviceBuffer buffer, long offset, long length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void synchronize() {
        }

        @Override
        public TransferStats transfers() {
            return new TransferStats(0, 0, 0, 0);
        }

        @Override
        public void close() {
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
        assertTrue(backend.events.get(5).startsWith("release "), backend.events.toString());
        assertEquals(2, backend.launches());
    }

    @Test
    void recentOpsNameTheLaunchesSinceTheLastWaitAndStatusSuspectsOnlyDivisions() {
        Recording backend = new Recording();
        DeviceBuffer ints = backend.allocate(DType.INT32, 5);
        StridedView view = StridedView.contiguous(ints, 5);
        backend.unary(Primitive.NEG, view, view);
        assertEquals(Set.of(), backend.takeStatusSuspects(), "no kernel that can divide by zero ran");
        backend.binary(Primitive.DIV, view, view, view);
        assertEquals(Set.of("div int32 (5,) <- int32 (5,) int32 (5,)"), backend.takeStatusSuspects());
        assertEquals(Set.of(), backend.takeStatusSuspects(), "taken once");
        String recent = backend.recentOpsText();
        assertEquals("; ops launched since the last wait: neg int32 (5,) <- int32 (5,), "
                + "div int32 (5,) <- int32 (5,) int32 (5,)", recent);
        assertEquals("", backend.recentOpsText(), "formatting forgets them");
        ArithmeticException error = (ArithmeticException) PlannedBackend.statusError(
                ElementwiseKernels.STATUS_DIVISION_BY_ZERO, "cuda", "H200", Set.of("div a", "div b"));
        assertEquals("div: integer division by zero on cuda (H200) in div a or div b", error.getMessage());
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
