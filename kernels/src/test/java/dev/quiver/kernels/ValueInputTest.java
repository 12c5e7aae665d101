package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A {@link HostScalar} input reaches the kernel as a by-value argument: no buffer, no offset, no strides. */
class ValueInputTest {
    private final LaunchPlanner planner = new LaunchPlanner(new DeviceLimits(1024, 132, true, false));

    @Test
    void aNumberOperandIsAKernelArgumentOfItsOwnProgram() {
        PlannedBackendTest.Recording backend = new PlannedBackendTest.Recording();
        DeviceBuffer x = backend.allocate(DType.FLOAT32, 6);
        DeviceBuffer out = backend.allocate(DType.FLOAT32, 6);
        StridedView seven = HostScalar.of(DType.FLOAT32, 7.0).broadcast(6);
        List<Launch> plan = planner.binary(Primitive.MUL, StridedView.contiguous(x, 6), seven,
                StridedView.contiguous(out, 6));
        assertEquals(1, plan.size());
        Launch launch = plan.getFirst();
        assertEquals("mul_f32_v1_c", launch.kernel(), "the contiguous kernel of the by-value variant");
        assertEquals(List.of(new KernelArg.I64(6), new KernelArg.Buffer(out), new KernelArg.I64(0),
                new KernelArg.Buffer(x), new KernelArg.I64(0), new KernelArg.F32(7f)), launch.args());
        String source = launch.source().body();
        assertTrue(source.contains("q_f32 in1_value") && source.contains("q_f32 x1 = in1_value;"), source);
        assertFalse(source.contains("in1_offset") || source.contains("in1_stride"), source);

        // on the left, in a strided (transposed) layout, and in where: each its own program
        StridedView transposed = new StridedView(x, new int[] {3, 2}, new long[] {1, 3}, 0);
        Launch left = planner.binary(Primitive.SUB, HostScalar.of(DType.FLOAT32, 2).broadcast(3, 2), transposed,
                StridedView.contiguous(out, 3, 2)).getFirst();
        assertEquals("sub_f32_v0_s2", left.kernel());
        assertEquals(new KernelArg.F32(2f), left.args().get(3));
        assertEquals(1 + 2 + 1 + 2 + 1 + 2 * 2, left.args().size(), "n, out + offset, value, x + offset, one dim, strides of out and x");
        DeviceBuffer flags = backend.allocate(DType.BOOL, 6);
        Launch where = planner.where(StridedView.contiguous(flags, 6), HostScalar.of(DType.INT64, 1).broadcast(6),
                HostScalar.of(DType.INT64, -1).broadcast(6), StridedView.contiguous(backend.allocate(DType.INT64, 6), 6))
                .getFirst();
        assertEquals("where_i64_v12_c", where.kernel());
        assertEquals(List.of(new KernelArg.I64(1), new KernelArg.I64(-1)), where.args().subList(5, 7));
        assertEquals("where_f32", ElementwiseKernels.programName(Primitive.WHERE,
                List.of(DType.BOOL, DType.FLOAT32, DType.FLOAT32), 0, DType.FLOAT32));
        assertTrue(ElementwiseKernels.source(Primitive.DIV, List.of(DType.INT32, DType.INT32), 2, DType.INT32, Map.of())
                .body().contains("q_i32 x1 = in1_value;"), "integer division by a number keeps its status word");
    }

    @Test
    void theBackendRunsItWithoutOwningItAndRefusesItWhereABufferIsNeeded() {
        PlannedBackendTest.Recording backend = new PlannedBackendTest.Recording();
        DeviceBuffer x = backend.allocate(DType.FLOAT32, 4);
        StridedView view = StridedView.contiguous(x, 4);
        StridedView three = HostScalar.of(DType.FLOAT32, 3).broadcast(4);
        backend.binary(Primitive.ADD, view, three, view);
        backend.unary(Primitive.EXP, three, view);
        assertEquals(2, backend.launches());
        IllegalArgumentException copy = assertThrows(IllegalArgumentException.class,
                () -> backend.reduce(Primitive.SUM, HostScalar.of(DType.FLOAT32, 3).broadcast(1, 4, 1),
                        StridedView.contiguous(x, 1, 1)));
        assertTrue(copy.getMessage().startsWith("recording: sum got a host scalar (HostScalar[float32 3.0])"),
                copy.getMessage());
    }
}
