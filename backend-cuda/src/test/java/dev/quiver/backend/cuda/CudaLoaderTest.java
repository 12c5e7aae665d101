package dev.quiver.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quiver.Quiver;
import dev.quiver.spi.BackendProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader's reasons as a user reads them. On a machine without an NVIDIA driver (CI) the real probe must say so;
 * the other reasons are produced with stand-in libraries compiled here by gcc: a fake {@code libcuda.so.1} that
 * reports a chosen driver version and {@code cuInit} result, and empty libraries named like the CUDA 13 ones. No
 * bytedeco class is loaded by any of these tests.
 */
class CudaLoaderTest {
    @Test
    void withoutADriverTheBackendSaysSoEverywhereAUserLooks() {
        assumeTrue(!loads("libcuda.so.1"), "this machine has an NVIDIA driver: the no-driver reason cannot show here");
        assumeTrue(System.getProperty(CudaLibraries.LIBRARY_PATH_PROPERTY) == null, "quiver.cuda.libraryPath is set");
        String reason = "no NVIDIA driver (libcuda.so.1 not found)";
        assertEquals(reason, CudaLibraries.probe(List.of()).failure());
        BackendProvider.Availability availability = new CudaBackendProvider().availability();
        assertFalse(availability.available());
        assertEquals(reason, availability.detail());
        assertTrue(Quiver.diagnose().contains("cuda") && Quiver.diagnose().contains("unavailable: " + reason),
                Quiver.diagnose());
        IllegalStateException named = assertThrows(IllegalStateException.class, () -> Quiver.use("cuda"));
        assertEquals("backend 'cuda' (from Quiver.use) cannot run here: " + reason, named.getMessage());
        // "gpu" is the best GPU backend or an error with each backend's reason (only cuda is on this class path)
        IllegalStateException gpu = assertThrows(IllegalStateException.class, () -> Quiver.use("gpu"));
        assertEquals("gpu (from Quiver.use): no GPU backend can run here: cuda: " + reason, gpu.getMessage());
    }

    @Test
    void aDriverWithoutTheCuda13LibrariesNamesEachMissingOneAndTheFix(@TempDir Path dir) throws Exception {
        // which ones are missing depends on the machine (an nvcc install brings libcudart.so.13 but no NVRTC)
        List<String> missing = CudaLibraries.LIBRARIES.entrySet().stream().filter(library -> !loads(library.getKey()))
                .map(java.util.Map.Entry::getValue).toList();
        assumeTrue(!missing.isEmpty(), "every CUDA 13 library is installed here: none can be reported missing");
        Path folder = stubs(dir, "missing", 13_000, 0, false);
        String failure = CudaLibraries.probe(List.of(folder)).failure();
        assertTrue(failure.startsWith("CUDA 13 " + String.join(" / ", missing) + " not found ("), failure);
        assertTrue(failure.contains(" in [" + folder + "] nor on the system library path"), failure);
        assertTrue(failure.endsWith("): add its folder to LD_LIBRARY_PATH or set quiver.cuda.libraryPath"), failure);
    }

    @Test
    void anOldDriverIsNamedWithTheVersionItSupports(@TempDir Path dir) throws Exception {
        Path folder = stubs(dir, "old", 12_040, 0, true);
        CudaLibraries.Probe probe = CudaLibraries.probe(List.of(folder));
        assertEquals("driver too old: it supports CUDA 12.4, the CUDA backend needs CUDA 13.0 or newer "
                + "(NVIDIA driver 580+)", probe.failure());
        assertEquals(12_040, probe.driverVersion());
    }

    @Test
    void aFailingCuInitIsReportedByErrorNameThroughTheProviderAndTheLibraryPathProperty(@TempDir Path dir)
            throws Exception {
        Path folder = stubs(dir, "nodevice", 13_000, 100, true);
        String previous = System.getProperty(CudaLibraries.LIBRARY_PATH_PROPERTY);
        System.setProperty(CudaLibraries.LIBRARY_PATH_PROPERTY, "/nonexistent:" + folder);
        try {
            BackendProvider.Availability availability = new CudaBackendProvider().availability();
            assertFalse(availability.available());
            assertEquals("cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)",
                    availability.detail());
        } finally {
            if (previous == null) {
                System.clearProperty(CudaLibraries.LIBRARY_PATH_PROPERTY);
            } else {
                System.setProperty(CudaLibraries.LIBRARY_PATH_PROPERTY, previous);
            }
        }
    }

    @Test
    void theQuickFileCheckNeverCallsAnInstalledLibraryAbsent(@TempDir Path dir) throws Exception {
        assertFalse(CudaLibraries.certainlyAbsent("libc.so.6", List.of()), "libc is always installed");
        Files.writeString(dir.resolve("libquiver_only_here.so.1"), "");
        assertFalse(CudaLibraries.certainlyAbsent("libquiver_only_here.so.1", List.of(dir)));
        assertTrue(CudaLibraries.certainlyAbsent("libquiver_only_here.so.1", List.of()));
        assertTrue(CudaLibraries.certainlyAbsent("libquiver_nowhere.so.13", List.of(dir)));
    }

    @Test
    void versionsPrintAsCudaPrintsThem() {
        assertEquals("13.0", CudaLibraries.versionText(13_000));
        assertEquals("12.4", CudaLibraries.versionText(12_040));
        assertEquals("13.3", CudaLibraries.versionText(13_030));
    }

    private static boolean loads(String library) {
        try {
            SymbolLookup.libraryLookup(library, Arena.global());
            return true;
        } catch (IllegalArgumentException notFound) {
            return false;
        }
    }

    /**
     * A folder with a fake driver (reporting {@code version}, {@code cuInit} returning {@code init}) and, when
     * {@code runtime}, empty libraries named like the CUDA 13 ones. Each gets a soname of its own, so a later lookup
     * of the real {@code libcuda.so.1} by name never finds a stub.
     */
    private static Path stubs(Path dir, String tag, int version, int init, boolean runtime) throws Exception {
        assumeTrue(gcc(dir, List.of("--version")), "gcc is not installed: cannot build the stand-in libraries");
        Path driver = Files.writeString(dir.resolve("driver.c"), """
                int cuDriverGetVersion(int *version) { *version = VERSION; return 0; }
                int cuInit(unsigned flags) { return INIT; }
                int cuGetErrorName(int status, const char **text) { *text = "CUDA_ERROR_NO_DEVICE"; return 0; }
                int cuGetErrorString(int status, const char **text) {
                    *text = "no CUDA-capable device is detected"; return 0; }
                """);
        Path folder = Files.createDirectories(dir.resolve(tag));
        assertTrue(gcc(dir, List.of("-shared", "-fPIC", "-DVERSION=" + version, "-DINIT=" + init,
                "-Wl,-soname,libquiver_stub_driver_" + tag + ".so", "-o", folder.resolve("libcuda.so.1").toString(),
                driver.toString())), "gcc failed on the stub driver");
        if (runtime) {
            Path empty = Files.writeString(dir.resolve("empty.c"), "int quiver_stub;\n");
            for (String library : CudaLibraries.LIBRARIES.keySet()) {
                assertTrue(gcc(dir, List.of("-shared", "-fPIC", "-Wl,-soname,libquiver_stub_" + tag + "_" + library,
                        "-o", folder.resolve(library).toString(), empty.toString())), "gcc failed on " + library);
            }
        }
        return folder;
    }

    private static boolean gcc(Path dir, List<String> arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("gcc"));
        command.addAll(arguments);
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0 || fail(output);
        } catch (java.io.IOException noGcc) {
            return false;
        }
    }

    private static boolean fail(String output) {
        System.err.println(output);
        return false;
    }
}
