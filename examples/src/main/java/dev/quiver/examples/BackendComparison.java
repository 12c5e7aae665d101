package dev.quiver.examples;

import dev.quiver.Quiver;
import dev.quiver.spi.BackendProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the four tutorials on several backends in one process and reports, side by side, whether they print the
 * same numbers, the time per training step and the host transfers of each training loop. Each training tutorial
 * runs once cold (JIT compilation and kernel builds included: the figure {@code ./quiver all} prints), then
 * {@value #MEASURED_RUNS} times warm; both the cold figure and the warm median are reported. On a terminal a status
 * line says which run is going.
 *
 * <pre>{@code
 * ./quiver compare                          # every backend that can run here
 * ./quiver compare --backend cpu,opencl     # the ones named
 * }</pre>
 */
public final class BackendComparison {
    static final int MEASURED_RUNS = 3;

    private BackendComparison() {
    }

    /**
     * One tutorial on one backend: its printed numbers, its first (cold) training loop and the warm median one
     * (both null for seed-basics).
     */
    record Run(String example, String backend, List<String> lines, TrainingLoop coldLoop, TrainingLoop loop,
               String summary) {
    }

    /**
     * Runs and prints the comparison; returns true when every backend printed the same numbers.
     *
     * @param backends the backends to compare; empty means every backend that can run here
     * @param args     the seed to use (plots are never written here)
     * @param out      where the progress and the table go
     * @return whether every backend printed the same numbers
     * @throws IllegalArgumentException for a backend name no provider has
     * @throws IllegalStateException    for a backend that cannot run here, with its reason
     */
    public static boolean run(List<String> backends, ExampleArgs args, PrintStream out) {
        List<String> names = backends.isEmpty() ? runnableBackends() : backends;
        for (String backend : names) {
            Quiver.use(backend);   // a backend that cannot run fails here, before a minute of work on the others
        }
        ExampleArgs quiet = args.withoutPlots();
        Map<String, List<Run>> byExample = new LinkedHashMap<>();
        try (Progress status = Progress.onTerminal(out, "compare", 0)) {
            for (String backend : names) {
                ExampleArgs on = quiet.withBackend(backend);
                status.println(out, "running the tutorials on " + backend + " ...");
                Tracker tracker = (example, run) -> status.status(backend + ": " + example + ", " + run);
                for (Run run : List.of(
                        runSeedBasics(on, backend),
                        runLinear(on, backend, tracker),
                        runPolynomial(on, backend, tracker),
                        runPuzzle(on, backend, tracker))) {
                    byExample.computeIfAbsent(run.example(), key -> new ArrayList<>()).add(run);
                }
                status.println(out, "  " + Quiver.selection());
            }
        }
        out.printf(Locale.ROOT, "%n%-22s %-8s %-40s %10s %10s  %s%n", "tutorial", "backend", "result", "cold µs",
                "warm µs", "host transfers in the training loop");
        boolean agree = true;
        for (List<Run> runs : byExample.values()) {
            List<String> reference = runs.get(0).lines();
            for (Run run : runs) {
                boolean same = run.lines().equals(reference);
                agree &= same;
                TrainingLoop loop = run.loop();
                out.printf(Locale.ROOT, "%-22s %-8s %-40s %10s %10s  %s%s%n", run.example(), run.backend(),
                        run.summary(), micros(run.coldLoop()), micros(loop),
                        loop == null ? "-" : loop.transfers().uploads() + " uploads, " + loop.transfers().downloads()
                                + " downloads (" + (loop.transfers().uploadBytes() + loop.transfers().downloadBytes())
                                + " bytes) in " + loop.steps() + " steps",
                        same ? "" : "   <-- prints different numbers than " + runs.get(0).backend());
            }
        }
        out.printf(Locale.ROOT, "cold, warm: µs per training step; cold = the first run in this JVM (JIT compilation "
                + "and kernel builds included,%n  as `./quiver all` and a single tutorial print it), warm = the median "
                + "of %d runs after it.%n", MEASURED_RUNS);
        out.println(agree ? "\nAll backends print the same numbers." : "\nThe backends DISAGREE (marked above).");
        return agree;
    }

    private static String micros(TrainingLoop loop) {
        return loop == null ? "-" : String.format(Locale.ROOT, "%.1f", loop.microsPerStep());
    }

    /** Told which run of which tutorial is starting, for the status line. */
    @FunctionalInterface
    private interface Tracker {
        void starting(String example, String run);
    }

    private static Run runSeedBasics(ExampleArgs args, String backend) {
        String text = capture(out -> SeedBasics.run(args, out));
        return new Run("seed-basics", backend, numbers(text), null, null, text.lines().count() + " lines printed");
    }

    private static Run runLinear(ExampleArgs args, String backend, Tracker tracker) {
        Measured<LinearRegression.Result> m = measure("linear-regression", out -> LinearRegression.run(args, out),
                LinearRegression.Result::loop, tracker);
        return new Run("linear-regression", backend, numbers(m.text()), m.coldLoop(), m.result().loop(),
                String.format(Locale.ROOT, "w=%.4f b=%.4f", m.result().w(), m.result().b()));
    }

    private static Run runPolynomial(ExampleArgs args, String backend, Tracker tracker) {
        Measured<PolynomialRegression.Result> m = measure("polynomial-regression",
                out -> PolynomialRegression.run(args, out), PolynomialRegression.Result::loop, tracker);
        return new Run("polynomial-regression", backend, numbers(m.text()), m.coldLoop(), m.result().loop(),
                Arrays.toString(m.result().coefficients()));
    }

    private static Run runPuzzle(ExampleArgs args, String backend, Tracker tracker) {
        Measured<EquationPuzzle.Result> m = measure("equation-puzzle", out -> EquationPuzzle.run(args, out),
                EquationPuzzle.Result::loop, tracker);
        EquationPuzzle.Result r = m.result();
        return new Run("equation-puzzle", backend, numbers(m.text()), m.coldLoop(), r.loop(),
                String.format(Locale.ROOT, "A=%.4f B=%.4f C=%.4f D=%.4f", r.a(), r.b(), r.c(), r.d()));
    }

    /** A tutorial's result and what it printed, with the training loop of its cold first run. */
    private record Measured<R>(R result, String text, TrainingLoop coldLoop) {
    }

    /** One cold run, then {@link #MEASURED_RUNS} warm runs; the one with the median time per step. */
    private static <R> Measured<R> measure(String example, java.util.function.Function<PrintStream, R> tutorial,
                                           java.util.function.Function<R, TrainingLoop> loop, Tracker tracker) {
        tracker.starting(example, "cold run");
        TrainingLoop cold = loop.apply(tutorial.apply(discard()));
        List<Measured<R>> runs = new ArrayList<>();
        for (int i = 0; i < MEASURED_RUNS; i++) {
            tracker.starting(example, "warm run " + (i + 1) + " of " + MEASURED_RUNS);
            Holder<R> result = new Holder<>();
            String text = capture(out -> result.value = tutorial.apply(out));
            runs.add(new Measured<>(result.value, text, cold));
        }
        runs.sort(java.util.Comparator.comparingDouble(run -> loop.apply(run.result()).microsPerStep()));
        return runs.get(runs.size() / 2);
    }

    /** Every backend whose provider says it can run here, in priority order. */
    static List<String> runnableBackends() {
        return Quiver.providers().stream().filter(provider -> provider.availability().available())
                .map(BackendProvider::name).toList();
    }

    /** The printed lines that carry results: not the ones naming the backend or reporting time. */
    static List<String> numbers(String text) {
        return text.lines().filter(line -> !line.startsWith("Backend:") && !line.startsWith("Time:")
                && !line.startsWith("Training loop:")).toList();
    }

    private static final class Holder<T> {
        T value;
    }

    private static String capture(java.util.function.Consumer<PrintStream> body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            body.accept(out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static PrintStream discard() {
        return new PrintStream(java.io.OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
    }

    /** Splits {@code cpu,opencl} into names; {@code null} or blank gives an empty list (every runnable backend). */
    static List<String> parseBackends(String list) {
        if (list == null || list.isBlank()) {
            return List.of();
        }
        return Arrays.stream(list.split(",")).map(String::trim).filter(name -> !name.isEmpty())
                .toList();
    }
}
