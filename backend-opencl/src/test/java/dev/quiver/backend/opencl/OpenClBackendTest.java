package dev.quiver.backend.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.conformance.BackendConformance;
import dev.quiver.kernels.KernelSource;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** What the shared conformance suite cannot see: device choice, pooling, build logs, fp64, unavailability. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClBackendTest {
    private OpenClDevice device;
    private OpenClBackend backend;

    @BeforeAll
    void openDevice() {
        BackendConformance.assumeRunnable("opencl", true);
        device = OpenClDevice.choose(OpenClDevice.all(), true).device();
        backend = new OpenClBackend(device);
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static OpenClDevice fake(int index, String name, boolean gpu) {
        return new OpenClDevice(null, null, index, "platform " + index, name, gpu, "OpenCL 3.0", "1", 4, 256, true,
                1L << 30, 1L << 28);
    }

    @Test
    void gpusComeFirstAndCpuDevicesOnlyWhenOpenClIsNamed() {
        OpenClDevice cpu = fake(0, "pthread-cpu", false);
        OpenClDevice gpu = fake(1, "Some GPU", true);
        assertEquals(gpu, OpenClDevice.choose(List.of(cpu, gpu), false).device());
        assertEquals(gpu, OpenClDevice.choose(List.of(cpu, gpu), true).device());
        OpenClDevice.Choice auto = OpenClDevice.choose(List.of(cpu), false);
        assertNull(auto.device(), "auto must not take a CPU OpenCL device");
        assertTrue(auto.reason().contains("cpu backend"), auto.reason());
        assertEquals(cpu, OpenClDevice.choose(List.of(cpu), true).device());
        assertTrue(OpenClDevice.choose(List.of(), true).reason().contains("no platform or device"));
    }

    @Test
    void aDevicePropertyPicksByIndexOrNameAndSaysWhenNothingMatches() {
        OpenClDevice cpu = fake(0, "pthread-cpu", false);
        OpenClDevice gpu = fake(1, "Some GPU", true);
        String before = System.getProperty(OpenClDevice.DEVICE_PROPERTY);
        try {
            System.setProperty(OpenClDevice.DEVICE_PROPERTY, "pthread");
            assertEquals(cpu, OpenClDevice.choose(List.of(cpu, gpu), false).device(), "named: even under auto");
            System.setProperty(OpenClDevice.DEVICE_PROPERTY, "1");
            assertEquals(gpu, OpenClDevice.choose(List.of(cpu, gpu), false).device());
            System.setProperty(OpenClDevice.DEVICE_PROPERTY, "tpu");
            OpenClDevice.Choice none = OpenClDevice.choose(List.of(cpu, gpu), true);
            assertNull(none.device());
            assertTrue(none.reason().contains("tpu") && none.reason().contains("pthread-cpu"), none.reason());
        } finally {
            if (before == null) {
                System.clearProperty(OpenClDevice.DEVICE_PROPERTY);
            } else {
                System.setProperty(OpenClDevice.DEVICE_PROPERTY, before);
            }
        }
    }

    @Test
    void releasedBuffersAreReusedFromThePool() {
        String before = backend.statistics();
        DeviceBuffer first = backend.allocate(DType.FLOAT32, 1000);
        first.release();
        DeviceBuffer second = backend.allocate(DType.FLOAT32, 1001);   // same 256-byte size class
        second.release();
        long reusesBefore = reuses(before);
        assertTrue(reuses(backend.statistics()) > reusesBefore, backend.statistics());
        first.release(); // idempotent
    }

    private static long reuses(String statistics) {
        String text = statistics.substring(0, statistics.indexOf(" reuses"));
        return Long.parseLong(text.substring(text.lastIndexOf(' ') + 1));
    }

    @Test
    void opsQueueWithoutWaitingAndADownloadSeesThemAll() {
        DeviceBuffer x = backend.upload(new float[] {1, 2, 3, 4, 5});
        DeviceBuffer y = backend.allocate(DType.FLOAT32, 5);
        StridedView xv = StridedView.contiguous(x, 5);
        StridedView yv = StridedView.contiguous(y, 5);
        backend.copy(xv, yv);
        for (int i = 0; i < 50; i++) {
            backend.binary(Primitive.ADD, yv, xv, yv);   // in place, as assignAdd does
        }
        assertArrayEquals(new float[] {51, 102, 153, 204, 255}, (float[]) backend.download(y, 0, 5));
        assertArrayEquals(new float[] {153, 204}, (float[]) backend.download(y, 2, 2));
    }

    /** Rank 8 after merging exceeds the largest strided kernel (6): the planner loops the outer two on the host. */
    @Test
    void aRankEightPermutationIsCopiedCorrectly() {
        int[] shape = {2, 3, 2, 3, 2, 3, 2, 3};
        int n = 1296;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = i * 0.5f - 100;
        }
        DeviceBuffer in = backend.upload(values);
        // the reversed permutation: view dimension d is source dimension 7 - d
        long[] sourceStrides = StridedView.contiguous(in, shape).strides();
        int[] viewShape = new int[8];
        long[] viewStrides = new long[8];
        for (int d = 0; d < 8; d++) {
            viewShape[d] = shape[7 - d];
            viewStrides[d] = sourceStrides[7 - d];
        }
        DeviceBuffer out = backend.allocate(DType.FLOAT32, n);
        backend.copy(new StridedView(in, viewShape, viewStrides, 0), StridedView.contiguous(out, viewShape));
        float[] actual = (float[]) backend.download(out, 0, n);
        for (int flat = 0; flat < n; flat++) {
            long rest = flat;
            long source = 0;
            for (int d = 7; d >= 0; d--) {
                source += (rest % viewShape[d]) * viewStrides[d];
                rest /= viewShape[d];
            }
            assertEquals(values[(int) source], actual[flat], "element " + flat);
        }
    }

    @Test
    void aBuildFailureShowsTheCompilerLog() {
        ProgramCache programs = new ProgramCache(backend.context(), device);
        KernelSource broken = new KernelSource("broken", "KERNEL void broken(GLOBAL q_f32* out) { out[0] = nope; }",
                Map.of());
        // PoCL's embedded clang also writes "1 error generated." straight to the process's stderr (fd 2), beside
        // the build log that the error carries; PoCL rejects the clang option that would stop it
        // (-fno-caret-diagnostics: "Invalid build option"), so this test points fd 2 at /dev/null for the build.
        IllegalStateException error = withNativeStderrDiscarded(
                () -> assertThrows(IllegalStateException.class, () -> programs.kernel(broken, "broken")));
        assertTrue(error.getMessage().contains("broken") && error.getMessage().contains("nope"), error.getMessage());
        programs.close();
    }

    /** Runs {@code body} with native stderr (fd 2) sent to /dev/null; Java's {@code System.err} is not involved. */
    @SuppressWarnings("restricted") // libc calls through FFM; the tests run with --enable-native-access
    private static <T> T withNativeStderrDiscarded(Supplier<T> body) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle dup = linker.downcallHandle(libc.find("dup").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        MethodHandle dup2 = linker.downcallHandle(libc.find("dup2").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        try (Arena arena = Arena.ofConfined()) {
            int devNull = (int) open.invokeExact(arena.allocateFrom("/dev/null"), 1 /* O_WRONLY */);
            int saved = (int) dup.invokeExact(2);
            assertTrue(devNull >= 0 && saved >= 0, "open(/dev/null) = " + devNull + ", dup(2) = " + saved);
            int redirected = (int) dup2.invokeExact(devNull, 2);
            assertEquals(2, redirected, "dup2(/dev/null, 2)");
            try {
                return body.get();
            } finally {
                int restored = (int) dup2.invokeExact(saved, 2);
                int closedSaved = (int) close.invokeExact(saved);
                int closedNull = (int) close.invokeExact(devNull);
                assertEquals(2, restored, "dup2(saved stderr, 2)");
                assertEquals(0, closedSaved | closedNull, "close");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("native stderr redirect", t);
        }
    }

    @Test
    void float64WithoutFp64IsAClearErrorAndNothingIsAllocated() {
        OpenClDevice noFp64 = new OpenClDevice(device.platform(), device.device(), device.index(), device.platformName(),
                device.name(), device.gpu(), device.version(), device.driver(), device.computeUnits(),
                device.maxGroupSize(), false, device.globalMemoryBytes(), device.maxBufferBytes());
        try (OpenClBackend limited = new OpenClBackend(noFp64)) {
            String before = limited.statistics();
            UnsupportedOperationException error = assertThrows(UnsupportedOperationException.class,
                    () -> limited.upload(new double[] {1, 2}));
            assertTrue(error.getMessage().contains("cl_khr_fp64") && error.getMessage().contains("float64"),
                    error.getMessage());
            assertThrows(UnsupportedOperationException.class, () -> limited.allocate(DType.FLOAT64, 3));
            assertEquals(before, limited.statistics());
            // float32 still works on it
            DeviceBuffer x = limited.upload(new float[] {2});
            assertArrayEquals(new float[] {2}, (float[]) limited.download(x, 0, 1));
        }
    }

    @Test
    void aBufferFromAnotherBackendIsRejectedWithTheOpName() {
        try (OpenClBackend other = new OpenClBackend(device)) {
            DeviceBuffer foreign = other.upload(new float[] {1});
            DeviceBuffer out = backend.allocate(DType.FLOAT32, 1);
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> backend.unary(Primitive.EXP, StridedView.contiguous(foreign, 1), StridedView.contiguous(out, 1)));
            assertTrue(error.getMessage().contains("exp"), error.getMessage());
        }
    }

    /** With no ICD installed the provider reports the reason (in a child JVM, so this JVM keeps its runtime). */
    @Test
    void withoutAnOpenClPlatformTheProviderSaysWhyInsteadOfCrashing() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), ProbeMain.class.getName());
        child.environment().put("OCL_ICD_VENDORS", "/nonexistent-quiver-test");
        child.redirectErrorStream(true);
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("unavailable: "), output);
        assertFalse(output.contains("Exception in thread"), output);
        assertNotNull(output);
    }

    /** Prints the provider's availability; run in a child JVM. */
    public static final class ProbeMain {
        public static void main(String[] args) {
            System.out.println(new OpenClBackendProvider().availability());
        }
    }
}
