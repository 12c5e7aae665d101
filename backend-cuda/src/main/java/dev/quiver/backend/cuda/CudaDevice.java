package dev.quiver.backend.cuda;

import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetCount;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetName;
import static org.bytedeco.cuda.global.cudart.cuDeviceTotalMem;

import dev.quiver.kernels.DeviceLimits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * One CUDA GPU as the driver reports it, and the rule that picks one: {@value #DEVICE_PROPERTY} (an index), else
 * device 0.
 *
 * <pre>{@code
 * for (CudaDevice device : CudaDevice.all()) {
 *     System.out.println(device);   // #0 NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB)
 * }
 * }</pre>
 *
 * @param index              the driver's ordinal
 * @param name               the product name
 * @param major              compute capability major
 * @param minor              compute capability minor
 * @param multiprocessors    streaming multiprocessors
 * @param maxThreadsPerBlock the largest block
 * @param totalMemory        device memory in bytes
 */
public record CudaDevice(int index, String name, int major, int minor, int multiprocessors, int maxThreadsPerBlock,
                         long totalMemory) {
    /** System property: the GPU to use, by index (counting from 0 as {@code nvidia-smi} does by default). */
    public static final String DEVICE_PROPERTY = "quiver.cuda.device";

    /** Every GPU the driver sees. Needs bytedeco's presets loaded and {@code cuInit} done. */
    static List<CudaDevice> all() {
        int[] count = new int[1];
        CudaCheck.check(cuDeviceGetCount(count), "cuDeviceGetCount");
        List<CudaDevice> devices = new ArrayList<>();
        for (int ordinal = 0; ordinal < count[0]; ordinal++) {
            int[] device = new int[1];
            CudaCheck.check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
            byte[] name = new byte[256];
            CudaCheck.check(cuDeviceGetName(name, name.length, device[0]), "cuDeviceGetName");
            try (SizeTPointer total = new SizeTPointer(1)) {
                CudaCheck.check(cuDeviceTotalMem(total, device[0]), "cuDeviceTotalMem");
                devices.add(new CudaDevice(ordinal, cString(name),
                        attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device[0]),
                        attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device[0]),
                        attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device[0]),
                        attribute(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, device[0]), total.get()));
            }
        }
        return devices;
    }

    /** The outcome of {@link #choose}: a device, or why there is none. */
    record Choice(CudaDevice device, String reason) {
    }

    /** Picks the device {@code wanted} names by index (blank: the first), or says why none fits. */
    static Choice choose(List<CudaDevice> devices, String wanted) {
        if (devices.isEmpty()) {
            return new Choice(null, "the driver reports no CUDA device");
        }
        String index = wanted == null ? "" : wanted.trim();
        if (index.isEmpty()) {
            return new Choice(devices.get(0), "the first GPU");
        }
        if (!index.chars().allMatch(Character::isDigit) || Long.parseLong(index) >= devices.size()) {
            return new Choice(null, DEVICE_PROPERTY + "='" + index + "' is not the index of one of " + devices);
        }
        return new Choice(devices.get(Integer.parseInt(index)), "named by " + DEVICE_PROPERTY);
    }

    /** The architecture as {@code 10 * major + minor} ({@code 90} for sm_90). */
    public int arch() {
        return 10 * major + minor;
    }

    /** What the launch planner needs: block size, SM count, float64 (always), not a CPU. */
    DeviceLimits limits() {
        return new DeviceLimits(maxThreadsPerBlock, multiprocessors, true, false);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "#%d %s (sm_%d, %d SMs, %.1f GiB)", index, name, arch(), multiprocessors,
                totalMemory / (double) (1L << 30));
    }

    private static int attribute(int attribute, int device) {
        int[] value = new int[1];
        CudaCheck.check(cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
        return value[0];
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8).trim();
    }
}
