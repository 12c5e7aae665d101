package dev.quiver.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Starts {@link ColdStart} in fresh JVMs (the same java and class path as this one) and keeps the median time from
 * launch to the first result.
 *
 * <pre>{@code
 * ColdStarts.measure(List.of("cpu"), 5).forEach(System.out::println);
 * }</pre>
 */
final class ColdStarts {
    private ColdStarts() {
    }

    /**
     * The cold start of one engine over a few launches.
     *
     * @param engine       the engine
     * @param medianMillis median of launch-to-first-result
     * @param allMillis    every launch's time, in order
     * @param inMainMillis median time spent inside {@code main} (the rest is the JVM starting)
     */
    record Measured(String engine, double medianMillis, double[] allMillis, double inMainMillis) {
    }

    static List<Measured> measure(List<String> engines, int launches) {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        List<Measured> measured = new ArrayList<>();
        for (String engine : engines) {
            double[] total = new double[launches];
            double[] inMain = new double[launches];
            int ok = 0;
            for (int i = 0; i < launches; i++) {
                List<String> command = List.of(javaCommand, "--add-modules", "jdk.incubator.vector",
                        "--enable-native-access=ALL-UNNAMED", "-cp", classPath(engine),
                        ColdStart.class.getName(), engine, Long.toString(System.nanoTime()));
                try {
                    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    int status = process.waitFor();
                    String[] words = output.substring(Math.max(0, output.indexOf("first-result-ms"))).trim().split("\\s+");
                    if (status != 0 || words.length < 4 || !words[0].equals("first-result-ms")) {
                        System.err.println("bench: cold start on " + engine + " failed (exit " + status + "): " + output);
                        continue;
                    }
                    total[ok] = Double.parseDouble(words[1]);
                    inMain[ok] = Double.parseDouble(words[3]);
                    ok++;
                } catch (IOException e) {
                    System.err.println("bench: cannot start a JVM for the cold start: " + e);
                    return measured;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return measured;
                }
            }
            if (ok > 0) {
                double[] times = Arrays.copyOf(total, ok);
                measured.add(new Measured(engine, median(times), times, median(Arrays.copyOf(inMain, ok))));
                System.out.printf(Locale.ROOT, "bench: cold start %s: median %.1f ms %s%n", engine,
                        median(times), Arrays.toString(times));
            }
        }
        return measured;
    }

    /**
     * The class path a program using {@code engine} would have: for a Quiver engine the bench's own classes,
     * Quiver's jars and the native bindings its device backends load (JOCL; bytedeco's for CUDA). The bench's full class path (JMH, XChart, ND4J's 90 MB jar...) costs a Quiver program
     * about 60 ms it would never pay, because the backend lookup (ServiceLoader) opens every jar on the path.
     */
    static String classPath(String engine) {
        String full = System.getProperty("java.class.path");
        if (!Engines.isQuiver(engine)) {
            return full;
        }
        List<String> kept = new ArrayList<>();
        for (String entry : full.split(java.io.File.pathSeparator)) {
            String name = java.nio.file.Path.of(entry).getFileName().toString();
            if (!entry.endsWith(".jar") || name.startsWith("quiver-") || name.startsWith("jocl-")
                    || name.startsWith("javacpp-") || name.startsWith("cuda-")) {
                kept.add(entry);
            }
        }
        return String.join(java.io.File.pathSeparator, kept);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
