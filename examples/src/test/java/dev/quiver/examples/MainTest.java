package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.Quiver;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line: each command's --help, and one clear line (no stack trace) for a backend that cannot be used. */
class MainTest {
    @AfterAll
    static void backToCpu() {
        Quiver.use("cpu");
    }

    @ParameterizedTest(name = "{0} --help")
    @ValueSource(strings = {"seed-basics", "linear-regression", "polynomial-regression", "equation-puzzle",
            "batched-regression", "all", "compare", "diagnose"})
    void everyCommandHasItsOwnHelp(String command) {
        Capture out = new Capture();
        Capture err = new Capture();
        assertEquals(0, Main.run(new String[] {command, "--help"}, out.out, err.out), err.text());
        assertTrue(out.text().startsWith("usage: quiver " + command), out.text());
        assertEquals(Main.help(command), out.text());
        assertEquals("", err.text());
        // -h too, and anywhere among the options: nothing runs
        Capture shortForm = new Capture();
        assertEquals(0, Main.run(new String[] {command, "--seed", "3", "-h"}, shortForm.out, err.out));
        assertEquals(out.text(), shortForm.text());
    }

    @Test
    void helpOfATrainingExampleSaysWhatItDoesAndListsTheOptions() {
        String help = Main.help("linear-regression");
        assertTrue(help.contains("y = 7x + 4") && help.contains("--backend NAME") && help.contains("--no-plots"), help);
        assertFalse(Main.help("diagnose").contains("--seed"), Main.help("diagnose"));
    }

    @Test
    void anUnknownBackendIsOneLineWithTheReasonAndExitOne() {
        Capture out = new Capture();
        Capture err = new Capture();
        int status = Main.run(new String[] {"linear-regression", "--backend", "nosuch", "--no-plots"}, out.out,
                err.out);
        assertEquals(Main.BACKEND_UNUSABLE, status);
        assertEquals("", out.text(), "nothing ran");
        assertOneLineWithoutStackTrace(err.text());
        assertTrue(err.text().startsWith("quiver linear-regression: unknown backend 'nosuch' (from --backend); found "),
                err.text());
    }

    @Test
    void compareRefusesAnUnknownBackendBeforeRunningAnything() {
        Capture out = new Capture();
        Capture err = new Capture();
        assertEquals(Main.BACKEND_UNUSABLE, Main.run(new String[] {"compare", "--backend", "cpu,nosuch"}, out.out,
                err.out));
        assertEquals("", out.text());
        assertOneLineWithoutStackTrace(err.text());
        assertTrue(err.text().contains("unknown backend 'nosuch'"), err.text());
    }

    @Test
    void compareLabelsTheColdAndTheWarmFigures() {
        Capture out = new Capture();
        Capture err = new Capture();
        assertEquals(0, Main.run(new String[] {"compare", "--backend", "cpu"}, out.out, err.out), err.text());
        assertTrue(out.text().lines().anyMatch(line -> line.matches(
                "tutorial +backend +mode +result +cold µs +warm µs +calls/step +host transfers in the training loop")),
                out.text());
        // each training tutorial eager and compiled, the compiled row checked against the eager numbers
        for (String tutorial : List.of("linear-regression", "polynomial-regression", "equation-puzzle")) {
            assertTrue(out.text().lines().anyMatch(line -> line.matches(tutorial + " +cpu +eager .*")), out.text());
            assertTrue(out.text().lines().anyMatch(line -> line.matches(tutorial + " +cpu +compiled .*"
                    + "0 uploads, 0 downloads \\(0 bytes\\) in \\d+ steps +(= eager|≈ eager .*)")), out.text());
        }
        assertTrue(out.text().contains("All backends print the same numbers (to float rounding), compiled as eager."), out.text());
        assertTrue(out.text().contains("cold, warm: µs per training step; cold = the first run in this JVM"),
                out.text());
        assertTrue(out.text().contains("warm = the median of 3 runs after it"), out.text());
        assertFalse(out.text().contains("\r"), "no status line off a terminal");
    }

    /** The environment variable is read when the first tensor is made: the error must still be one line. */
    @Test
    void aBackendFromTheEnvironmentThatCannotBeUsedIsOneLine() throws Exception {
        Child child = runMain(Map.of("QUIVER_BACKEND", "gpu"), "linear-regression", "--no-plots");
        assertEquals(Main.BACKEND_UNUSABLE, child.status(), child.err());
        assertOneLineWithoutStackTrace(child.err());
        assertTrue(child.err().startsWith("quiver linear-regression: ") && child.err().contains("QUIVER_BACKEND"),
                child.err());
        assertFalse(child.out().contains("Fitting"), child.out());
    }

    /** An example class run on its own answers like the command of the same name. */
    @Test
    void theExampleClassesOwnMainAnswersHelpToo() throws Exception {
        Child child = runClass(EquationPuzzle.class.getName(), Map.of(), "--help");
        assertEquals(0, child.status(), child.err());
        assertEquals(Main.help("equation-puzzle"), child.out());
    }

    /** A known backend that cannot run here (OpenCL with no driver installed) says why, in one line. */
    @Test
    void aBackendThatCannotRunHereIsOneLineWithItsReason() throws Exception {
        Child child = runMain(Map.of("OCL_ICD_VENDORS", "/nonexistent-quiver-test"), "equation-puzzle", "--backend",
                "opencl", "--no-plots");
        assertEquals(Main.BACKEND_UNUSABLE, child.status(), child.err());
        assertOneLineWithoutStackTrace(child.err());
        assertTrue(child.err().startsWith(
                "quiver equation-puzzle: backend 'opencl' (from --backend) cannot run here: "), child.err());
    }

    private static void assertOneLineWithoutStackTrace(String text) {
        assertEquals(1, text.lines().count(), text);
        assertFalse(text.contains("Exception") || text.contains("\tat "), text);
    }

    private record Child(int status, String out, String err) {
    }

    /** Runs Main in a child JVM (the backend choice is per JVM) with stdout and stderr apart. */
    private static Child runMain(Map<String, String> environment, String... args) throws Exception {
        return runClass(Main.class.getName(), environment, args);
    }

    private static Child runClass(String mainClass, Map<String, String> environment, String... args)
            throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new java.util.ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("QUIVER_BACKEND");
        builder.environment().putAll(environment);
        Process process = builder.start();
        byte[] err = process.getErrorStream().readAllBytes();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        // the JVM's own notice about incubator modules is not ours to judge
        String errText = new String(err, StandardCharsets.UTF_8).lines()
                .filter(line -> !line.startsWith("WARNING: Using incubator modules"))
                .reduce("", (a, b) -> a + b + "\n");
        return new Child(process.exitValue(), new String(out, StandardCharsets.UTF_8), errText);
    }
}
