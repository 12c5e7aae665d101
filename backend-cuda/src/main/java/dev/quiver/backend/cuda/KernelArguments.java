package dev.quiver.backend.cuda;

import dev.quiver.kernels.KernelArg;
import dev.quiver.kernels.Launch;
import dev.quiver.spi.DeviceBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Packs a launch's arguments the way {@code cuLaunchKernel} takes them: an array of pointers, one per parameter,
 * each to the parameter's value. Every value gets its own 8-byte slot in one native block whose slot addresses are
 * written into the pointer array once, so a launch only rewrites the slots. The driver reads as many bytes from a
 * slot as the kernel's parameter has (4 for {@code q_f32}, 8 for a pointer), in the machine's byte order.
 * The grid and block sizes are checked against CUDA's limits here too.
 *
 * <pre>{@code
 * int count = KernelArguments.pack(launch.args(), slots, buffer -> pointerOf(buffer), statusPointer);
 * int[] shape = KernelArguments.shape(launch, 1024);   // grid x, y, z, block x, y, z
 * }</pre>
 */
final class KernelArguments {
    /** Bytes per argument slot: the largest parameter type (a pointer, q_i64, q_f64). */
    static final int SLOT = 8;
    /** CUDA's grid limit on its first axis and on its second and third axes. */
    static final long MAX_GRID_X = Integer.MAX_VALUE;
    static final long MAX_GRID_YZ = 65_535;

    private KernelArguments() {
    }

    /**
     * Writes {@code args} into consecutive slots of {@code slots} (from position 0, native order) and returns how many
     * were written.
     *
     * @param devicePointer the device address of a buffer (of this backend)
     * @param statusPointer the device address of the op's own status word (0 when the op has none)
     */
    static int pack(List<KernelArg> args, ByteBuffer slots, ToLongFunction<DeviceBuffer> devicePointer,
                    long statusPointer) {
        if ((long) args.size() * SLOT > slots.capacity()) {
            throw new IllegalArgumentException("cuda: " + args.size() + " kernel arguments exceed the "
                    + slots.capacity() / SLOT + " slots");
        }
        ByteBuffer out = slots.duplicate().order(ByteOrder.nativeOrder());
        for (int i = 0; i < args.size(); i++) {
            int at = i * SLOT;
            out.putLong(at, 0);   // a 4-byte value leaves no stale bytes from an earlier launch
            switch (args.get(i)) {
                case KernelArg.Buffer(DeviceBuffer buffer) -> out.putLong(at, devicePointer.applyAsLong(buffer));
                case KernelArg.I64(long value) -> out.putLong(at, value);
                case KernelArg.F64(double value) -> out.putDouble(at, value);
                case KernelArg.F32(float value) -> out.putFloat(at, value);
                case KernelArg.I32(int value) -> out.putInt(at, value);
                case KernelArg.U8(byte value) -> out.put(at, value);
                case KernelArg.StatusWord() -> out.putLong(at, statusPointer);
            }
        }
        return args.size();
    }

    /**
     * The launch's grid and block as {@code cuLaunchKernel} takes them: {@code {gridX, gridY, gridZ, blockX, blockY,
     * blockZ}}, missing axes 1. A planner's launch uses OpenCL's terms (groups of work-items), which are CUDA's
     * blocks of threads.
     *
     * @throws IllegalArgumentException when the launch exceeds CUDA's limits or the device's threads per block
     */
    static int[] shape(Launch launch, int maxThreadsPerBlock) {
        int[] shape = {1, 1, 1, 1, 1, 1};
        long threads = 1;
        for (int d = 0; d < launch.groups().length; d++) {
            long groups = launch.groups()[d];
            long size = launch.groupSize()[d];
            if (groups < 1 || groups > (d == 0 ? MAX_GRID_X : MAX_GRID_YZ) || size < 1) {
                throw new IllegalArgumentException("cuda: launch of " + launch.kernel() + " for "
                        + launch.description() + " has " + groups + " blocks of " + size + " on axis " + d
                        + ", outside CUDA's grid limits");
            }
            shape[d] = (int) groups;
            shape[3 + d] = (int) size;
            threads *= size;
        }
        if (threads > maxThreadsPerBlock) {
            throw new IllegalArgumentException("cuda: launch of " + launch.kernel() + " asks " + threads
                    + " threads per block; the device runs at most " + maxThreadsPerBlock);
        }
        return shape;
    }
}
