package dev.quiver.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.Quiver;
import dev.quiver.Tensor;
import dev.quiver.conformance.BackendConformance;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device memory is bounded and reclaimed (a naive loop with no {@code close()} stays flat; a real over-allocation
 * is a Quiver error, and the JVM lives on), and a kernel's deferred error belongs to the op that made it.
 */
class DeviceMemoryAndErrorsTest {
    /** 16 MiB of float32. */
    private static final int ELEMENTS = 4 << 20;
    private static final int STEPS = 150;
    private static final long LIMIT = 256L << 20;

    @Test
    void aNaiveLoopWithoutCloseStaysUnderTheLimitAndAnOverAllocationIsAQuiverError() throws Exception {
        BackendConformance.assumeRunnable("opencl", true);
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder child = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-D" + OpenClBackend.MEMORY_LIMIT_PROPERTY + "=256m",
                "-cp", System.getProperty("java.class.path"), NaiveLoopMain.class.getName());
        child.redirectErrorStream(true);
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), output);
        assertEquals(0, process.exitValue(), output);
        List<String> lines = output.lines().toList();
        long peak = Long.parseLong(value(lines, "peak bytes"));
        assertTrue(peak <= LIMIT && peak >= 32L << 20, "peak " + peak + " must stay within the limit " + LIMIT
                + ":\n" + output);
        assertTrue(Long.parseLong(value(lines, "reclaims")) > 0, output);
        String error = value(lines, "over-allocation");
        for (String fragment : List.of("opencl", "6442450944 bytes", "1610612736 float32", "in use", "limit",
                "CL_DEVICE_MAX_MEM_ALLOC_SIZE")) {
            assertTrue(error.contains(fragment), "'" + fragment + "' missing from: " + error);
        }
        String overLimit = value(lines, "over the limit");
        for (String fragment : List.of("2 kept", "104857600 bytes", "in use", "limit 268435456 bytes",
                "reclaiming")) {
            assertTrue(overLimit.contains(fragment), "'" + fragment + "' missing from: " + overLimit);
        }
        assertEquals("[2.0, 4.0]", value(lines, "alive"));
    }

    private static String value(List<String> lines, String key) {
        return lines.stream().filter(line -> line.startsWith(key + ": ")).map(line -> line.substring(key.length() + 2))
                .findFirst().orElseThrow(() -> new AssertionError("no '" + key + "' in:\n" + String.join("\n", lines)));
    }

    /** Runs in a child JVM with a 256 MiB limit. */
    public static final class NaiveLoopMain {
        public static void main(String[] args) {
            Quiver.use("opencl");
            OpenClBackend backend = (OpenClBackend) Quiver.backend();
            Tensor x = Tensor.ones(ELEMENTS);
            for (int step = 0; step < STEPS; step++) {
                x = x.mul(2.0).add(1.0);   // two 16 MiB results a step, never closed: the Cleaner must free them
            }
            System.out.println("first: " + x.toFloatArray()[0]);
            System.out.println("peak bytes: " + backend.peakMemoryBytes());
            System.out.println("reclaims: " + backend.statistics().replaceAll(".* (\\d+) reclaims.*", "$1"));
            try {
                Tensor.zeros(3, 1 << 29);
                System.out.println("over-allocation: none");
            } catch (IllegalStateException expected) {
                System.out.println("over-allocation: " + expected.getMessage());
            }
            List<Tensor> kept = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    kept.add(Tensor.zeros(25 << 20));   // 100 MiB each, all referenced: nothing to reclaim
                }
                System.out.println("over the limit: none");
            } catch (IllegalStateException expected) {
                System.out.println("over the limit: " + kept.size() + " kept; " + expected.getMessage());
            }
            kept.clear();
            System.out.println("alive: " + java.util.Arrays.toString(Tensor.constant(new float[] {1, 2}).mul(2.0)
                    .toFloatArray()));
        }
    }

    @Test
    void anIntegerDivisionByZeroFailsItsOwnResultAndWhatIsComputedFromItOnly() {
        BackendConformance.assumeRunnable("opencl", true);
        Quiver.use("opencl");
        Tensor a = Tensor.constant(new int[] {6, 7, 8}, DType.INT32);
        Tensor bad = a.floorDiv(Tensor.constant(new int[] {2, 0, 4}, DType.INT32));
        Tensor derived = bad.add(Tensor.constant(new int[] {1, 1, 1}, DType.INT32));
        Tensor unrelated = a.add(a);
        assertArrayEquals(new int[] {12, 14, 16}, unrelated.toIntArray(), "an unrelated tensor reads normally");
        for (int attempt = 0; attempt < 2; attempt++) {   // every time, not once
            ArithmeticException error = assertThrows(ArithmeticException.class, bad::toIntArray);
            assertTrue(error.getMessage().startsWith("floor_div: integer division by zero")
                    && error.getMessage().contains("int32")
                    && error.getMessage().contains("opencl"), error.getMessage());
            assertThrows(ArithmeticException.class, derived::toIntArray);
        }
        assertArrayEquals(new int[] {3, 1, 2}, a.floorDiv(Tensor.constant(new int[] {2, 7, 4}, DType.INT32))
                .toIntArray());
        assertArrayEquals(new int[] {12, 14, 16}, unrelated.toIntArray());
    }

    @Test
    void theMemoryLimitPropertyTakesBytesOrASuffix() {
        OpenClDevice device = new OpenClDevice(null, null, 0, "p", "d", false, "OpenCL 3.0", "1", 1, 64, true,
                5L << 30, 1L << 30);
        String before = System.getProperty(OpenClBackend.MEMORY_LIMIT_PROPERTY);
        try {
            System.clearProperty(OpenClBackend.MEMORY_LIMIT_PROPERTY);
            assertEquals(5L << 30, OpenClBackend.memoryLimit(device), "default: the device's global memory");
            for (Map.Entry<String, Long> entry : Map.of("1048576", 1L << 20, "512m", 512L << 20, "2G", 2L << 30,
                    "64k", 64L << 10).entrySet()) {
                System.setProperty(OpenClBackend.MEMORY_LIMIT_PROPERTY, entry.getKey());
                assertEquals(entry.getValue(), OpenClBackend.memoryLimit(device), entry.getKey());
            }
            System.setProperty(OpenClBackend.MEMORY_LIMIT_PROPERTY, "lots");
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> OpenClBackend.memoryLimit(device));
            assertTrue(error.getMessage().contains(OpenClBackend.MEMORY_LIMIT_PROPERTY), error.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(OpenClBackend.MEMORY_LIMIT_PROPERTY);
            } else {
                System.setProperty(OpenClBackend.MEMORY_LIMIT_PROPERTY, before);
            }
        }
    }

    @Test
    void onlyCpuRuntimesAmongTheInstalledDriversMeanNoGpu(@TempDir Path root) throws Exception {
        Path vendors = Files.createDirectories(root.resolve("vendors"));
        Path lib = Files.createDirectories(root.resolve("lib"));
        Files.createDirectories(lib.resolve("pocl"));
        Files.writeString(lib.resolve("libpocl.so.2"), "");
        Files.writeString(lib.resolve("pocl/libpocl-devices-pthread.so"), "");
        Files.writeString(lib.resolve("pocl/libpocl-devices-basic.so"), "");
        Files.writeString(vendors.resolve("pocl.icd"), "libpocl.so.2\n");
        Map<String, String> environment = Map.of("OCL_ICD_VENDORS", vendors.toString(), "LD_LIBRARY_PATH",
                lib.toString());
        InstalledDrivers pocl = InstalledDrivers.find(environment, "Linux");
        assertTrue(pocl.cpuOnly(), pocl.toString());
        assertTrue(pocl.toString().contains("basic, pthread"), pocl.toString());

        Files.writeString(lib.resolve("pocl/libpocl-devices-cuda.so"), "");   // PoCL that can drive a GPU
        assertTrue(!InstalledDrivers.find(environment, "Linux").cpuOnly());
        Files.delete(lib.resolve("pocl/libpocl-devices-cuda.so"));

        Files.writeString(vendors.resolve("nvidia.icd"), "libnvidia-opencl.so.1\n");
        InstalledDrivers withGpu = InstalledDrivers.find(environment, "Linux");
        assertTrue(!withGpu.cpuOnly() && withGpu.drivers().size() == 2, withGpu.toString());

        InstalledDrivers none = InstalledDrivers.find(Map.of("OCL_ICD_VENDORS", root.resolve("missing").toString()),
                "Linux");
        assertTrue(!none.cpuOnly() && none.drivers().isEmpty(), "no driver is not 'CPU only': " + none);
    }
}
