package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;

/**
 * One argument of a {@link Launch}, in the C type the kernel declares. Backends turn a {@link Buffer} into their
 * device pointer and pass scalars by value.
 *
 * <pre>{@code
 * List<KernelArg> args = List.of(new KernelArg.I64(n), new KernelArg.Buffer(out), new KernelArg.I64(0));
 * }</pre>
 */
public sealed interface KernelArg {
    /** A device buffer ({@code GLOBAL T*}). */
    record Buffer(DeviceBuffer buffer) implements KernelArg {
    }

    /** A {@code q_i64} (or the bits of a {@code q_u64}). */
    record I64(long value) implements KernelArg {
    }

    /** A {@code q_f64}. */
    record F64(double value) implements KernelArg {
    }

    /** A {@code q_f32}. */
    record F32(float value) implements KernelArg {
    }

    /** A {@code q_i32}. */
    record I32(int value) implements KernelArg {
    }

    /** A {@code q_u8} (bool). */
    record U8(byte value) implements KernelArg {
    }

    /** The backend's status word ({@code GLOBAL q_i32*}), where kernels report errors they cannot throw. */
    record StatusWord() implements KernelArg {
    }

    /** A scalar of {@code dtype} holding {@code value} converted as Quiver's casts convert a float64. */
    static KernelArg scalar(DType dtype, double value) {
        return switch (dtype) {
            case FLOAT32 -> new F32((float) value);
            case FLOAT64 -> new F64(value);
            case INT32 -> new I32((int) value);
            case INT64 -> new I64((long) value);
            case BOOL -> new U8((byte) (value != 0 ? 1 : 0));
        };
    }
}
