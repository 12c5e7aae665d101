package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.Quiver;
import dev.quiver.Tensor;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM whose CPU backend runs scalar kernels says so once, with the reason and the remedy, and still computes the
 * right numbers. Each case runs in a child JVM: whether the Vector API module is loaded is fixed when a JVM starts.
 */
class SimdStateTest {
    private static final String WARNING = "WARNING: Quiver CPU backend: the Vector API module jdk.incubator.vector "
            + "is not loaded, so every kernel runs its scalar twin, " + CpuBackend.SCALAR_SLOWDOWN
            + ". Add the JVM option --add-modules jdk.incubator.vector";
    private static final String INFO = "INFO: Quiver CPU backend: SIMD switched off with -Dquiver.cpu.simd=0, so every "
            + "kernel runs its scalar twin";
    private static final String SWITCHED_OFF_TEXT = "SIMD off on purpose (quiver.cpu.simd=0)";

    @Test
    void withoutTheVectorApiModuleTheFirstBackendWarnsOnceAndStillComputes() throws Exception {
        String output = runChild(List.of());
        assertEquals(1, occurrences(output, WARNING), output);
        assertEquals(1, occurrences(output, "Quiver CPU backend:"), output);
        assertTrue(output.contains("matmul [[19.0, 22.0], [43.0, 50.0]]"), output);
        assertTrue(output.contains("sum of exp 2.0"), output);
        // diagnose shows the state too: the JVM line and the cpu backend's own line
        assertTrue(output.contains("Vector API (jdk.incubator.vector): NOT loaded"), output);
        assertTrue(output.contains("SIMD off: jdk.incubator.vector not loaded, scalar kernels "
                + CpuBackend.SCALAR_SLOWDOWN + " (add --add-modules jdk.incubator.vector)"), output);
    }

    @Test
    void simdSwitchedOffByThePropertyIsAnnouncedOnceAsInformation() throws Exception {
        String output = runChild(List.of("--add-modules", "jdk.incubator.vector", "-Dquiver.cpu.simd=0"));
        assertEquals(1, occurrences(output, INFO), output);
        assertEquals(1, occurrences(output, "Quiver CPU backend:"), output);
        assertTrue(output.contains(SWITCHED_OFF_TEXT + ": scalar kernels"), output);
        assertTrue(output.contains("matmul [[19.0, 22.0], [43.0, 50.0]]"), output);
        assertTrue(output.contains("Vector API (jdk.incubator.vector): loaded"), output);
    }

    @Test
    void withTheModuleAndNoSettingNothingIsAnnounced() throws Exception {
        String output = runChild(List.of("--add-modules", "jdk.incubator.vector"));
        assertFalse(output.contains("Quiver CPU backend:"), output);
        assertTrue(output.contains("SIMD " + CpuBackend.hardwareSimdBits() + "-bit"), output);
        assertTrue(output.contains("matmul [[19.0, 22.0], [43.0, 50.0]]"), output);
    }

    /** The explicit constructor asked for a width of 0 in code: the description says so, without blaming the JVM. */
    @Test
    void aWidthOfZeroInCodeIsDescribedAsOnPurpose() {
        try (CpuBackend off = new CpuBackend(0, 1)) {
            assertTrue(off.deviceDescription().contains(SWITCHED_OFF_TEXT), off.deviceDescription());
        }
    }

    private static String runChild(List<String> jvmOptions) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(Arrays.asList("-cp", System.getProperty("java.class.path"), ScalarProbe.class.getName()));
        ProcessBuilder child = new ProcessBuilder(command);
        child.redirectErrorStream(true);
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    /** Makes the CPU backend three times (as a program that switches backends would) and computes; a child JVM. */
    public static final class ScalarProbe {
        public static void main(String[] args) {
            Quiver.use("cpu");
            Tensor a = Tensor.constant(new float[][] {{1, 2}, {3, 4}});
            Tensor b = Tensor.constant(new float[][] {{5, 6}, {7, 8}});
            System.out.println("matmul " + Arrays.deepToString((float[][]) a.matmul(b).toArray()));
            try (CpuBackend again = new CpuBackend(); CpuBackend wide = new CpuBackend(512, 1)) {
                System.out.println("second backend: " + again.deviceDescription() + " / " + wide.simdBits());
            }
            System.out.println("sum of exp " + Tensor.zeros(2).exp().sum().floatValue());
            System.out.print(Quiver.diagnose());
        }
    }
}
