package dev.quiver.spi;

import dev.quiver.DType;

/**
 * A Java number standing where a tensor operand's buffer would be: a dtype and a value, no device memory. Core
 * makes one for the number in {@code x.mul(7.0)} (and for rank-0 tensors such as {@code Tensor.scalar(2.0)}), so
 * that a number reaches the backend as a kernel argument instead of as a one-element buffer that must first be
 * allocated and filled. Every element of any view of it equals {@link #value()}, whatever the view's strides.
 *
 * <p>Only the inputs of {@link Backend#unary}, {@link Backend#binary} and {@link Backend#where} may be views of a
 * host scalar. Core turns it into a real buffer, in one place, before any other backend call needs one (copy,
 * reduce, matmul, variables); reading its values back is answered on the host, with no transfer. Releasing it
 * does nothing: the garbage collector owns it.
 *
 * <pre>{@code
 * HostScalar seven = HostScalar.of(DType.FLOAT32, 7.0);
 * StridedView operand = seven.broadcast(3);          // (3,) with stride 0
 * backend.binary(Primitive.MUL, x, operand, out);    // out = x * 7, the 7 passed by value
 * }</pre>
 */
public final class HostScalar implements DeviceBuffer {
    private final DType dtype;
    private final double value;

    private HostScalar(DType dtype, double value) {
        this.dtype = dtype;
        this.value = value;
    }

    /**
     * {@code value} converted to {@code dtype} exactly as {@link Backend#fill} converts it: float32 rounds, ints
     * truncate toward zero and saturate (NaN gives 0), bool is {@code value != 0}.
     */
    public static HostScalar of(DType dtype, double value) {
        double converted = switch (dtype) {
            case FLOAT32 -> (float) value;
            case FLOAT64 -> value;
            case INT32 -> (int) value;
            case INT64 -> (long) value;
            case BOOL -> value != 0 ? 1 : 0;
        };
        return new HostScalar(dtype, converted);
    }

    /** The value, already converted to {@link #dtype()} (an int dtype holds an integral double). */
    public double value() {
        return value;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    /** One element: any view of a host scalar addresses it. */
    @Override
    public long length() {
        return 1;
    }

    /** Nothing to give back: no device memory was taken. */
    @Override
    public void release() {
    }

    @Override
    public boolean reclaimedByGarbageCollector() {
        return true;
    }

    /** A view of this value with {@code shape}: every stride 0, offset 0. */
    public StridedView broadcast(int... shape) {
        return new StridedView(this, shape, new long[shape.length], 0);
    }

    /**
     * A Java array of the dtype ({@code float[]}, {@code double[]}, {@code int[]}, {@code long[]},
     * {@code boolean[]}) of {@code length} copies of the value: what reading a view of it gives, and how the CPU
     * backend hands it to its row kernels (length 1, stride 0).
     */
    public Object toArray(int length) {
        switch (dtype) {
            case FLOAT32 -> {
                float[] values = new float[length];
                java.util.Arrays.fill(values, (float) value);
                return values;
            }
            case FLOAT64 -> {
                double[] values = new double[length];
                java.util.Arrays.fill(values, value);
                return values;
            }
            case INT32 -> {
                int[] values = new int[length];
                java.util.Arrays.fill(values, (int) value);
                return values;
            }
            case INT64 -> {
                long[] values = new long[length];
                java.util.Arrays.fill(values, (long) value);
                return values;
            }
            default -> {
                boolean[] values = new boolean[length];
                java.util.Arrays.fill(values, value != 0);
                return values;
            }
        }
    }

    @Override
    public String toString() {
        return "HostScalar[" + dtype + " " + value + "]";
    }
}
