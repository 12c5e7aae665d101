package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Shared helpers: backends at every SIMD width, typed buffers from doubles, host-side gathers and comparisons. */
final class TestSupport {
    /** Lengths that leave every kind of tail at 128/256/512-bit widths. */
    static final int[] LENGTHS = {0, 1, 7, 15, 17, 31, 33, 1000, 4099};

    /** The scalar twin backend (SIMD off). */
    static final CpuBackend SCALAR = new CpuBackend(0, 1);
    /** One backend per SIMD width this CPU supports, one thread each. */
    static final List<CpuBackend> SIMD = simdBackends();
    /** Scalar first, then every SIMD width. */
    static final List<CpuBackend> ALL = all();

    private TestSupport() {
    }

    private static List<CpuBackend> simdBackends() {
        List<CpuBackend> list = new ArrayList<>();
        for (int bits : new int[] {128, 256, 512}) {
            if (bits <= CpuBackend.hardwareSimdBits()) {
                list.add(new CpuBackend(bits, 1));
            }
        }
        return list;
    }

    private static List<CpuBackend> all() {
        List<CpuBackend> list = new ArrayList<>();
        list.add(SCALAR);
        list.addAll(SIMD);
        return list;
    }

    static String name(CpuBackend backend) {
        return backend.simdBits() == 0 ? "scalar" : "simd" + backend.simdBits();
    }

    /** A buffer of {@code type} holding {@code values} converted like a cast (bool: != 0). */
    static CpuBuffer buffer(DType type, double[] values) {
        CpuBuffer buffer = CpuBuffer.allocate(type, values.length);
        Object array = buffer.array();
        for (int i = 0; i < values.length; i++) {
            switch (type) {
                case FLOAT32 -> ((float[]) array)[i] = (float) values[i];
                case FLOAT64 -> ((double[]) array)[i] = values[i];
                case INT32 -> ((int[]) array)[i] = (int) values[i];
                case INT64 -> ((long[]) array)[i] = (long) values[i];
                case BOOL -> ((boolean[]) array)[i] = values[i] != 0;
            }
        }
        return buffer;
    }

    /** The buffer's elements as doubles (bool as 0/1). */
    static double[] values(DeviceBuffer buffer) {
        CpuBuffer cpu = (CpuBuffer) buffer;
        double[] out = new double[(int) cpu.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ScalarKernels.readDouble(cpu.dtype(), cpu.array(), i);
        }
        return out;
    }

    static StridedView contiguous(DeviceBuffer buffer, int... shape) {
        return StridedView.contiguous(buffer, shape);
    }

    /** Random values in {@code [low, high)}, never exactly 0; integral dtypes get integers. */
    static double[] random(Random random, int n, DType type, double low, double high) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            double v;
            do {
                v = low + (high - low) * random.nextDouble();
                if (!type.isFloating()) {
                    v = Math.floor(v);
                }
                if (type == DType.FLOAT32) {
                    v = (float) v;
                }
            } while (v == 0);
            values[i] = v;
        }
        return values;
    }

    /** The elements a view addresses, in row-major order of its shape. */
    static double[] gather(double[] data, StridedView view) {
        int size = (int) view.size();
        double[] out = new double[size];
        int[] shape = view.shape();
        int[] index = new int[shape.length];
        for (int flat = 0; flat < size; flat++) {
            long at = view.offset();
            for (int d = 0; d < shape.length; d++) {
                at += index[d] * view.strides()[d];
            }
            out[flat] = data[(int) at];
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out;
    }

    /** Rounds a double to what {@code type} holds (float32 rounding, integer truncation, bool 0/1). */
    static double round(DType type, double v) {
        return switch (type) {
            case FLOAT32 -> (float) v;
            case FLOAT64 -> v;
            case INT32 -> (int) v;
            case INT64 -> (long) v;
            case BOOL -> v != 0 ? 1 : 0;
        };
    }

    /** Elementwise {@code |a - e| <= atol + rtol * |e|}, NaN matching NaN, same infinities. */
    static void assertClose(double[] expected, double[] actual, double rtol, double atol, String context) {
        if (expected.length != actual.length) {
            fail(context + ": length " + actual.length + " instead of " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (Double.isNaN(e) || Double.isNaN(a)) {
                if (Double.isNaN(e) != Double.isNaN(a)) {
                    fail(context + ": element " + i + " is " + a + ", expected " + e);
                }
                continue;
            }
            if (e == a) {
                continue;
            }
            if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
                fail(context + ": element " + i + " is " + a + ", expected " + e + " (diff " + Math.abs(a - e) + ")");
            }
        }
    }
}
