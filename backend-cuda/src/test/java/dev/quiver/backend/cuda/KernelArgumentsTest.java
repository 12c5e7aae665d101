package dev.quiver.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.kernels.DeviceLimits;
import dev.quiver.kernels.KernelArg;
import dev.quiver.kernels.KernelSource;
import dev.quiver.kernels.Launch;
import dev.quiver.kernels.LaunchPlanner;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KernelArgumentsTest {

    private record Buffer(DType dtype, long length, long address) implements DeviceBuffer {
        @Override
        public void release() {
        }
    }

    @Test
    void eachArgumentFillsItsOwnSlotInNativeOrder() {
        Buffer buffer = new Buffer(DType.FLOAT32, 10, 0x7f00_1234_5600L);
        ByteBuffer slots = ByteBuffer.allocate(8 * KernelArguments.SLOT);
        for (int i = 0; i < slots.capacity(); i++) {
            slots.put(i, (byte) 0xAA);   // stale bytes of an earlier launch
        }
        List<KernelArg> args = List.of(new KernelArg.I64(-5), new KernelArg.Buffer(buffer), new KernelArg.F32(1.5f),
                new KernelArg.F64(-2.25), new KernelArg.I32(7), new KernelArg.U8((byte) 1), new KernelArg.StatusWord());
        int count = KernelArguments.pack(args, slots, b -> ((Buffer) b).address(), 0xBEEF00L);
        assertEquals(7, count);
        ByteBuffer read = slots.duplicate().order(ByteOrder.nativeOrder());
        assertEquals(-5, read.getLong(0));
        assertEquals(0x7f00_1234_5600L, read.getLong(8));
        assertEquals(1.5f, read.getFloat(16));
        assertEquals(0, read.getInt(20), "the upper half of a 4-byte slot is cleared");
        assertEquals(-2.25, read.getDouble(24));
        assertEquals(7, read.getInt(32));
        assertEquals(1, read.get(40));
        assertEquals(0, read.get(41));
        assertEquals(0xBEEF00L, read.getLong(48));
        assertEquals((byte) 0xAA, read.get(56), "slots past the arguments are left alone");
    }

    @Test
    void moreArgumentsThanSlotsIsAnError() {
        List<KernelArg> args = List.of(new KernelArg.I64(1), new KernelArg.I64(2), new KernelArg.I64(3));
        assertThrows(IllegalArgumentException.class,
                () -> KernelArguments.pack(args, ByteBuffer.allocate(2 * KernelArguments.SLOT), b -> 0, 0));
    }

    @Test
    void plannedLaunchesMapToCudaGridsAndBlocks() {
        LaunchPlanner planner = new LaunchPlanner(new DeviceLimits(1024, 132, true, false));
        Buffer buffer = new Buffer(DType.FLOAT32, 1000, 0);
        StridedView view = StridedView.contiguous(buffer, 1000);
        Launch add = planner.binary(Primitive.ADD, view, view, view).get(0);
        assertArrayEquals(new int[] {4, 1, 1, 256, 1, 1}, KernelArguments.shape(add, 1024));
        Buffer matrix = new Buffer(DType.FLOAT32, 3 * 40 * 50, 0);
        Launch matmul = planner.matmul(new StridedView(matrix, new int[] {3, 40, 50}, new long[] {2000, 50, 1}, 0),
                new StridedView(matrix, new int[] {3, 50, 40}, new long[] {2000, 40, 1}, 0),
                new StridedView(matrix, new int[] {3, 40, 40}, new long[] {1600, 40, 1}, 0)).get(0);
        int[] shape = KernelArguments.shape(matmul, 1024);
        assertEquals(3, shape[2], "one grid layer per batch entry");
        assertTrue(shape[3] * shape[4] * shape[5] <= 1024);
        // a launch that asks more threads per block than the device has is refused before the driver sees it
        assertThrows(IllegalArgumentException.class, () -> KernelArguments.shape(add, 128));
    }

    @Test
    void gridsBeyondCudaLimitsAreRefused() {
        KernelSource source = new KernelSource("k", "KERNEL void k() {}", Map.of());
        Launch tooTall = new Launch(source, "k", new long[] {1, 70_000}, new long[] {32, 1}, List.of(), "op", false);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> KernelArguments.shape(tooTall, 1024));
        assertTrue(error.getMessage().contains("70000 blocks") && error.getMessage().contains("axis 1"),
                error.getMessage());
    }
}
