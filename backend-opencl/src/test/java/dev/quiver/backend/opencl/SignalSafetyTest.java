package dev.quiver.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.Quiver;
import dev.quiver.Tensor;
import dev.quiver.conformance.BackendConformance;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.SignalHandlers;
import dev.quiver.spi.StridedView;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A JVM that loads Quiver stays a sound JVM with OpenCL (PoCL) installed: choosing the cpu backend starts no
 * OpenCL platform, and starting OpenCL (platform and program builds) leaves SIGSEGV and SIGFPE with HotSpot, so
 * compiled {@code int / 0} throws and two threads at a safepoint do not kill the JVM.
 *
 * <p>Each check runs in a child JVM started without the signal-chaining preload ({@code LD_PRELOAD} of libjsig,
 * which the test JVMs get) and without {@code POCL_SIGFPE_HANDLER}, so it tests Quiver's own handling.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignalSafetyTest {
    /** Calls of a method dividing by zero: enough for C2 to compile it (it did from about 10,000 on). */
    private static final int DIVISIONS = 100_000;
    /** Rounds of (program build, two-thread reductions under forced GCs) in the crash check. */
    private static final int TRIALS = 12;

    @BeforeAll
    void needsOpenCl() {
        BackendConformance.assumeRunnable("opencl", true);
    }

    @Test
    void choosingTheCpuBackendStartsNoOpenClPlatformAndKeepsTheJvmHandlers() throws Exception {
        List<String> lines = runChild("cpu");
        assertLine(lines, "cpu: pocl loaded false");
        assertLine(lines, "auto: pocl loaded false");
        assertJvmOwns(lines, "after use(cpu)");
        assertJvmOwns(lines, "after auto");
        assertLine(lines, "compiled int / 0 threw " + DIVISIONS + " of " + DIVISIONS);
    }

    @Test
    void startingOpenClAndBuildingProgramsKeepsTheJvmHandlers() throws Exception {
        List<String> lines = runChild("opencl");
        assertLine(lines, "opencl: pocl loaded true");
        assertJvmOwns(lines, "after use(opencl)");
        assertJvmOwns(lines, "after a program build");
        assertJvmOwns(lines, "after diagnose");
        assertLine(lines, "compiled int / 0 threw " + DIVISIONS + " of " + DIVISIONS);
    }

    @Test
    void twoThreadReductionsUnderForcedGcsSurviveRepeatedProgramBuilds() throws Exception {
        List<String> lines = runChild("trials");
        assertLine(lines, "survived " + TRIALS + " of " + TRIALS + " trials");
        assertJvmOwns(lines, "after the trials");
    }

    private static void assertLine(List<String> lines, String expected) {
        assertTrue(lines.contains(expected), "expected '" + expected + "' in the child's output:\n"
                + String.join("\n", lines));
    }

    private static void assertJvmOwns(List<String> lines, String when) {
        for (String signal : List.of("SIGSEGV", "SIGFPE", "SIGBUS", "SIGILL")) {
            String prefix = when + ": " + signal + " -> ";
            String line = lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
            assertTrue(line != null && line.startsWith(prefix + "libjvm.so"),
                    signal + " " + when + " must belong to the JVM, was: " + line + "\n" + String.join("\n", lines));
        }
    }

    private static List<String> runChild(String mode) throws IOException, InterruptedException {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder child = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Dquiver.cpu.threads=2", "-cp",
                System.getProperty("java.class.path"), ChildMain.class.getName(), mode);
        child.environment().remove("LD_PRELOAD");            // no signal chaining: Quiver's own fix must hold
        child.environment().remove("POCL_SIGFPE_HANDLER");   // nor the user's setting
        child.environment().remove("QUIVER_BACKEND");
        child.redirectErrorStream(true);
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish:\n" + output);
        assertEquals(0, process.exitValue(), "the child JVM (" + mode + ") died (exit " + process.exitValue()
                + (process.exitValue() == 139 ? ": SIGSEGV" : "") + "):\n" + output);
        return output.lines().toList();
    }

    /** The child JVM: prints what it sees, one fact a line. */
    public static final class ChildMain {
        private static int zero;

        public static void main(String[] args) throws Exception {
            switch (args[0]) {
                case "cpu" -> {
                    Quiver.use("cpu");
                    System.out.println("cpu: pocl loaded " + poclLoaded());
                    printHandlers("after use(cpu)");
                    Quiver.use("auto");
                    System.out.println("auto: pocl loaded " + poclLoaded());
                    printHandlers("after auto");
                    System.out.println(Tensor.ones(3).sum().floatValue());
                    printDivisions();
                }
                case "opencl" -> {
                    Quiver.use("opencl");
                    System.out.println("opencl: pocl loaded " + poclLoaded());
                    printHandlers("after use(opencl)");
                    System.out.println(Tensor.ones(3).exp().sum().floatValue());   // builds programs
                    printHandlers("after a program build");
                    System.out.println(Quiver.diagnose());
                    printHandlers("after diagnose");
                    printDivisions();
                }
                case "trials" -> trials(args.length > 1 ? Integer.parseInt(args[1]) : TRIALS);
                default -> throw new IllegalArgumentException(args[0]);
            }
        }

        /**
         * Two worker threads sum 16M elements without pause while each trial builds an OpenCL program and then forces
         * GCs: at each GC's safepoint both workers take a poll fault (SIGSEGV) at once. Left to PoCL, every build
         * arms LLVM's one-shot handler ({@code SA_RESETHAND}), and the second of two simultaneous faults meets the
         * default action, which kills the JVM (exit 139).
         */
        private static void trials(int count) throws InterruptedException {
            Quiver.use("cpu");
            Tensor x = Tensor.ones(1 << 24);   // 16M float32: the cpu backend sums it on both worker threads
            OpenClDevice device = OpenClDevice.choose(OpenClDevice.all(), true).device();
            build(device, -1);   // the process's first build happens at start, before the other threads run
            AtomicBoolean stop = new AtomicBoolean();
            Thread reducer = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    if (x.sum().floatValue() != 1 << 24) {
                        throw new AssertionError("wrong sum");
                    }
                }
            });
            int survived = 0;
            for (int trial = 0; trial < count; trial++) {
                build(device, trial);
                for (int i = 0; i < 2; i++) {
                    System.gc();
                }
                survived++;
            }
            stop.set(true);
            reducer.join();
            System.out.println("survived " + survived + " of " + count + " trials");
            printHandlers("after the trials");
        }

        /** A fresh backend builds its program again, as PoCL does for every new program. */
        private static void build(OpenClDevice device, int trial) {
            try (OpenClBackend opencl = new OpenClBackend(device)) {
                DeviceBuffer in = opencl.upload(new float[] {trial});
                DeviceBuffer out = opencl.allocate(DType.FLOAT32, 1);
                opencl.unary(Primitive.EXP, StridedView.contiguous(in, 1), StridedView.contiguous(out, 1));
                opencl.download(out, 0, 1);
            }
        }

        private static void printHandlers(String when) {
            for (SignalHandlers.Handler handler : SignalHandlers.readCritical()) {
                System.out.println(when + ": " + handler);
            }
        }

        private static void printDivisions() {
            int threw = 0;
            for (int i = 0; i < DIVISIONS; i++) {
                try {
                    divide(i, zero);
                } catch (ArithmeticException expected) {
                    threw++;
                }
            }
            System.out.println("compiled int / 0 threw " + threw + " of " + DIVISIONS);
        }

        private static int divide(int a, int b) {
            return a / b;
        }

        private static boolean poclLoaded() throws IOException {
            return Files.readString(Path.of("/proc/self/maps")).contains("libpocl");
        }
    }
}
