package dev.quiver.backend.opencl;

import static org.jocl.CL.CL_DEVICE_EXTENSIONS;
import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_DRIVER_VERSION;
import static org.jocl.CL.CL_PLATFORM_NAME;
import static org.jocl.CL.clGetDeviceIDs;
import static org.jocl.CL.clGetDeviceInfo;
import static org.jocl.CL.clGetPlatformIDs;
import static org.jocl.CL.clGetPlatformInfo;

import dev.quiver.kernels.DeviceLimits;
import dev.quiver.spi.SignalHandlers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device as the runtime reports it, and the rule that picks one: GPUs first; a CPU device (PoCL) only
 * when the caller names OpenCL explicitly or a device property picks it.
 *
 * <p>Properties: {@value #PLATFORM_PROPERTY} and {@value #DEVICE_PROPERTY}, each an index (counting from 0 in
 * {@link #all()}'s order) or a case-insensitive part of the name.
 *
 * <pre>{@code
 * for (OpenClDevice device : OpenClDevice.all()) {
 *     System.out.println(device);   // Portable Computing Language / pthread-... (CPU, OpenCL 3.0, 2 compute units, fp64)
 * }
 * }</pre>
 */
public record OpenClDevice(cl_platform_id platform, cl_device_id device, int index, String platformName, String name,
                           boolean gpu, String version, String driver, int computeUnits, int maxGroupSize,
                           boolean float64, long globalMemoryBytes, long maxBufferBytes) {
    /** System property: the platform to use, by index or part of its name. */
    public static final String PLATFORM_PROPERTY = "quiver.opencl.platform";
    /** System property: the device to use, by index or part of its name (a CPU device is then allowed). */
    public static final String DEVICE_PROPERTY = "quiver.opencl.device";

    /** {@code CL_PLATFORM_NOT_FOUND_KHR}: what the ICD loader answers when no platform is installed. */
    private static final int PLATFORM_NOT_FOUND = -1001;

    /**
     * PoCL reads this when it starts: {@code 0} leaves SIGFPE with the JVM, whose compiled {@code int / 0} then
     * keeps throwing. Quiver sets it in the process environment unless the user set it.
     */
    static final String POCL_SIGNAL_VARIABLE = "POCL_SIGFPE_HANDLER";

    /**
     * Loads JOCL and the ICD loader ({@code libOpenCL.so.1}) without starting any platform: no driver is loaded.
     * Throws NoClassDefFoundError without JOCL, UnsatisfiedLinkError without the loader. Before the loader can
     * load a driver, it sets {@value #POCL_SIGNAL_VARIABLE}{@code =0} and saves the JVM's signal handlers.
     */
    static void loadLibrary() {
        SignalHandlers.setEnvironmentIfUnset(POCL_SIGNAL_VARIABLE, "0");
        SignalHandlers.saveJvmHandlers();
        CL.setExceptionsEnabled(true);
    }

    /**
     * Every device of every platform. Throws (UnsatisfiedLinkError, CLException) when no runtime can be loaded.
     * Starting the platforms loads their drivers, which may replace the JVM's signal handlers (PoCL's LLVM does):
     * they are put back before this returns ({@link SignalHandlers#restoreJvmHandlers}).
     */
    public static List<OpenClDevice> all() {
        loadLibrary();
        try {
            return listDevices();
        } finally {
            SignalHandlers.restoreJvmHandlers("opencl: starting the platforms");
        }
    }

    private static List<OpenClDevice> listDevices() {
        int[] count = new int[1];
        try {
            clGetPlatformIDs(0, null, count);
        } catch (org.jocl.CLException none) {
            if (none.getStatus() == PLATFORM_NOT_FOUND) { // the ICD loader found no installed platform
                return List.of();
            }
            throw none;
        }
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        if (platforms.length > 0) {
            clGetPlatformIDs(platforms.length, platforms, null);
        }
        List<OpenClDevice> devices = new ArrayList<>();
        for (cl_platform_id platform : platforms) {
            String platformName = platformString(platform, CL_PLATFORM_NAME);
            int[] deviceCount = new int[1];
            try {
                clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, deviceCount);
            } catch (org.jocl.CLException noDevices) { // CL_DEVICE_NOT_FOUND: a platform without devices
                continue;
            }
            cl_device_id[] ids = new cl_device_id[deviceCount[0]];
            clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
            for (cl_device_id id : ids) {
                long[] type = new long[1];
                clGetDeviceInfo(id, CL_DEVICE_TYPE, Sizeof.cl_long, Pointer.to(type), null);
                int[] units = new int[1];
                clGetDeviceInfo(id, CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_uint, Pointer.to(units), null);
                long[] groupSize = new long[1];
                clGetDeviceInfo(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(groupSize), null);
                String extensions = deviceString(id, CL_DEVICE_EXTENSIONS);
                long[] globalMemory = new long[1];
                clGetDeviceInfo(id, CL_DEVICE_GLOBAL_MEM_SIZE, Sizeof.cl_ulong, Pointer.to(globalMemory), null);
                long[] maxBuffer = new long[1];
                clGetDeviceInfo(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, Sizeof.cl_ulong, Pointer.to(maxBuffer), null);
                devices.add(new OpenClDevice(platform, id, devices.size(), platformName,
                        deviceString(id, CL_DEVICE_NAME), (type[0] & CL_DEVICE_TYPE_GPU) != 0,
                        deviceString(id, CL_DEVICE_VERSION), deviceString(id, CL_DRIVER_VERSION), units[0],
                        (int) Math.min(Integer.MAX_VALUE, groupSize[0]), extensions.contains("cl_khr_fp64"),
                        globalMemory[0], maxBuffer[0]));
            }
        }
        return devices;
    }

    /** The outcome of {@link #choose}: a device, or why there is none. */
    public record Choice(OpenClDevice device, String reason) {
    }

    /**
     * Picks a device: the properties narrow the list; then the first GPU; else, when {@code allowCpu} (OpenCL was
     * requested by name) or a property named it, the first other device.
     */
    public static Choice choose(List<OpenClDevice> devices, boolean allowCpu) {
        String platformWanted = System.getProperty(PLATFORM_PROPERTY, "").trim();
        String deviceWanted = System.getProperty(DEVICE_PROPERTY, "").trim();
        List<OpenClDevice> candidates = new ArrayList<>();
        for (OpenClDevice device : devices) {
            if (matches(platformWanted, device.index(), device.platformName())
                    && matches(deviceWanted, device.index(), device.name())) {
                candidates.add(device);
            }
        }
        boolean named = !platformWanted.isEmpty() || !deviceWanted.isEmpty();
        if (devices.isEmpty()) {
            return new Choice(null, "the OpenCL loader is installed but reports no platform or device "
                    + "(no ICD under /etc/OpenCL/vendors? e.g. apt-get install pocl-opencl-icd, or a GPU driver)");
        }
        if (candidates.isEmpty()) {
            return new Choice(null, PLATFORM_PROPERTY + "='" + platformWanted + "' " + DEVICE_PROPERTY + "='"
                    + deviceWanted + "' match none of " + devices);
        }
        for (OpenClDevice device : candidates) {
            if (device.gpu()) {
                return new Choice(device, "a GPU");
            }
        }
        if (allowCpu || named) {
            return new Choice(candidates.get(0), named ? "named by property" : "OpenCL requested by name");
        }
        return new Choice(null, "no OpenCL GPU; only CPU devices (" + candidates
                + "), which auto leaves to Quiver's cpu backend");
    }

    private static boolean matches(String wanted, int index, String name) {
        if (wanted.isEmpty()) {
            return true;
        }
        if (wanted.chars().allMatch(Character::isDigit)) {
            return Integer.parseInt(wanted) == index;
        }
        return name.toLowerCase(Locale.ROOT).contains(wanted.toLowerCase(Locale.ROOT));
    }

    /** What the launch planner needs to know. */
    public DeviceLimits limits() {
        return new DeviceLimits(maxGroupSize, computeUnits, float64, !gpu);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "#%d %s / %s (%s, %s, %d compute units%s, %d MiB)", index, platformName,
                name, gpu ? "GPU" : "CPU", version, computeUnits, float64 ? ", fp64" : ", no fp64",
                globalMemoryBytes >> 20);
    }

    private static String platformString(cl_platform_id platform, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(platform, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetPlatformInfo(platform, param, bytes.length, Pointer.to(bytes), null);
        return cString(bytes);
    }

    private static String deviceString(cl_device_id device, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(device, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetDeviceInfo(device, param, bytes.length, Pointer.to(bytes), null);
        return cString(bytes);
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8).trim();
    }
}
