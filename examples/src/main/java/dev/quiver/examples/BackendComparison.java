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
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the four tutorials on several backends in one process and reports, side by side, whether they print the
 * same numbers, the time per training step and the host transfers of each training loop. Each training tutorial
 * runs twice per backend: as the eager loop it teaches and {@code --compiled} (the same step traced once and
 * replayed by a {@link dev.quiver.TrainingStep}); the compiled row says whether it printed the eager numbers (exactly,
 * or within float rounding where fusion adds in another order) and how many backend calls (kernel launches on a GPU)
 * one step makes each way. Each run happens once cold (JIT compilation and kernel builds included: the figure
 * {@code ./quiver all} prints), then {@value #MEASURED_RUNS} times warm; both the cold figure and the warm median are
 * reported. On a terminal a status line says which run is going.
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
     * One tutorial on one backend, eager or compiled: its printed numbers, its first (cold) training loop and the warm
     * median one (both null for seed-basics), and the compiled step's figures (null when eager).
     */
    record Run(String example, String backend, ExampleArgs.Execution execution, List<String> lines,
               TrainingLoop coldLoop, TrainingLoop loop, CompiledTraining.Run compiled, String summary) {
    }

    /** A training tutorial as compare runs it: its entry point and where its result keeps what compare shows. */
    private record Tutorial<R>(String name, BiFunction<ExampleArgs, PrintStream, R> run,
                               Function<R, TrainingLoop> loop, Function<R, CompiledTraining.Run> compiled,
                               Function<R, String> summary) {
    }

    private static final List<Tutorial<?>> TUTORIALS = List.of(
            new Tutorial<>("linear-regression", LinearRegression::run, LinearRegression.Result::loop,
                    LinearRegression.Result::compiled,
                    r -> String.format(Locale.ROOT, "w=%.4f b=%.4f", r.w(), r.b())),
            new Tutorial<>("polynomial-regression", PolynomialRegression::run, PolynomialRegression.Result::loop,
                    PolynomialRegression.Result::compiled, r -> Arrays.toString(r.coefficients())),
            new Tutorial<>("equation-puzzle", EquationPuzzle::run, EquationPuzzle.Result::loop,
                    EquationPuzzle.Result::compiled,
                    r -> String.format(Locale.ROOT, "A=%.4f B=%.4f C=%.4f D=%.4f", r.a(), r.b(), r.c(), r.d())));

    /**
     * Runs and prints the comparison; returns true when every backend printed the same numbers, and every compiled
     * run its backend's eager numbers within float rounding.
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
        ExampleArgs quiet = args.withoutPlots().withExecution(ExampleArgs.Execution.EAGER);
        Map<String, List<Run>> byExample = new LinkedHashMap<>();
        try (Progress status = Progress.onTerminal(out, "compare", 0)) {
            for (String backend : names) {
                ExampleArgs on = quiet.withBackend(backend);
                status.println(out, "running the tutorials on " + backend + " ...");
                Tracker tracker = (example, run) -> status.status(backend + ": " + example + ", " + run);
                List<Run> runs = new ArrayList<>(List.of(runSeedBasics(on, backend)));
                for (Tutorial<?> tutorial : TUTORIALS) {
                    runs.add(runTutorial(tutorial, on, backend, tracker));
                    runs.add(runTutorial(tutorial, on.withExecution(ExampleArgs.Execution.COMPILED), backend,
                            tracker));
                }
                runs.forEach(run -> byExample.computeIfAbsent(run.example(), key -> new ArrayList<>()).add(run));
                status.println(out, "  " + Quiver.selection());
            }
        }
        out.printf(Locale.ROOT, "%n%-22s %-8s %-9s %-40s %10s %10s %13s  %s%n", "tutorial", "backend", "mode",
                "result", "cold µs", "warm µs", "calls/step", "host transfers in the training loop");
        boolean agree = true;
        for (List<Run> runs : byExample.values()) {
            List<String> reference = runs.get(0).lines();
            for (Run run : runs) {
                String verdict;
                if (run.compiled() == null) {
                    // backends add in different orders (a reduction's tree), so the last printed digit may differ
                    Agreement across = agreement(reference, run.lines(), ACROSS_BACKENDS_ABSOLUTE);
                    agree &= across.withinRounding();
                    verdict = across.exact() ? ""
                            : across.withinRounding() ? String.format(Locale.ROOT, "   ≈ %s (within float rounding: "
                            + "%.2g)", runs.get(0).backend(), across.largestRelativeDifference())
                            : "   <-- prints different numbers than " + runs.get(0).backend();
                } else {
                    Agreement withEager = agreement(eagerTwin(runs, run).lines(), run.lines());
                    agree &= withEager.withinRounding();
                    verdict = withEager.exact() ? "   = eager"
                            : withEager.withinRounding() ? String.format(Locale.ROOT,
                            "   ≈ eager (within float rounding: %.2g)", withEager.largestRelativeDifference())
                            : "   <-- prints different numbers than eager on " + run.backend();
                }
                TrainingLoop loop = run.loop();
                out.printf(Locale.ROOT, "%-22s %-8s %-9s %-40s %10s %10s %13s  %s%s%n", run.example(), run.backend(),
                        run.execution().label(), run.summary(),
                        micros(run.coldLoop()), micros(loop), calls(runs, run),
                        loop == null ? "-" : loop.transfers().uploads() + " uploads, " + loop.transfers().downloads()
                                + " downloads (" + (loop.transfers().uploadBytes() + loop.transfers().downloadBytes())
                                + " bytes) in " + loop.steps() + " steps",
                        verdict);
            }
        }
        out.printf(Locale.ROOT, "cold, warm: µs per training step; cold = the first run in this JVM (JIT compilation "
                + "and kernel builds included,%n  as `./quiver all` and a single tutorial print it), warm = the median "
                + "of %d runs after it. Compiled: the replayed steps (the%n  first %d, eager then traced, are timed "
                + "apart). calls/step: backend calls (kernel launches on a GPU) per step;%n  compiled: per replay, "
                + "+ the copies that keep the history on the device; * = the backend has no fused kernels yet,%n  so a "
                + "fused call runs its ops one by one.%n", MEASURED_RUNS, CompiledTraining.FIRST_STEPS);
        out.println(agree ? "\nAll backends print the same numbers (to float rounding), compiled as eager."
                : "\nThe runs DISAGREE (marked above).");
        return agree;
    }

    /** The eager run of the same tutorial on the same backend as {@code compiled}. */
    private static Run eagerTwin(List<Run> runs, Run compiled) {
        return runs.stream().filter(run -> run.compiled() == null && run.backend().equals(compiled.backend()))
                .findFirst().orElseThrow();
    }

    /** The backend calls per step: the compiled step's replay, or the eager step it was traced from. */
    private static String calls(List<Run> runs, Run run) {
        if (run.compiled() != null) {
            // * : the fused calls run op by op until the backend has fused kernels (see the footnote)
            return run.compiled().callsPerStep() + (run.compiled().fusedKernels() ? "" : "*")
                    + (run.compiled().captured() ? " in 1 graph" : "") + " (+"
                    + run.compiled().historyCopies() + " hist)";
        }
        return runs.stream().filter(twin -> twin.compiled() != null && twin.backend().equals(run.backend()))
                .map(twin -> String.valueOf(twin.compiled().eagerCallsPerStep())).findFirst().orElse("-");
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
        return new Run("seed-basics", backend, ExampleArgs.Execution.EAGER, numbers(text), null, null, null,
                text.lines().count() + " lines printed");
    }

    private static <R> Run runTutorial(Tutorial<R> tutorial, ExampleArgs args, String backend, Tracker tracker) {
        String label = tutorial.name() + (args.execution().compiled() ? " --compiled" : "");
        Measured<R> m = measure(label, out -> tutorial.run().apply(args, out), tutorial.loop(), tracker);
        return new Run(tutorial.name(), backend, args.execution(), numbers(m.text()), m.coldLoop(),
                tutorial.loop().apply(m.result()), tutorial.compiled().apply(m.result()),
                tutorial.summary().apply(m.result()));
    }

    /** A tutorial's result and what it printed, with the training loop of its cold first run. */
    private record Measured<R>(R result, String text, TrainingLoop coldLoop) {
    }

    /** One cold run, then {@link #MEASURED_RUNS} warm runs; the one with the median time per step. */
    private static <R> Measured<R> measure(String example, Function<PrintStream, R> tutorial,
                                           Function<R, TrainingLoop> loop, Tracker tracker) {
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

    /** The printed lines that carry results: not the ones naming the backend or reporting time or calls. */
    static List<String> numbers(String text) {
        return text.lines().filter(line -> !line.startsWith("Backend:") && !line.startsWith("Time:")
                && !line.startsWith("Training loop:") && !line.startsWith("Compiled step")).toList();
    }

    /** A number as the examples print it: {@code 7}, {@code -0.125}, {@code 1.5e-05}, {@code 2.1E-7}. */
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");

    /**
     * How two printouts of the same program agree.
     *
     * @param exact                     the same text
     * @param withinRounding            the same text apart from numbers, and each number within
     *                                  {@link #RELATIVE_ROUNDING} of the other or one unit of the finer last
     *                                  printed digit of the two (7.013 and 7.012 agree: printed rounding)
     * @param largestRelativeDifference the largest {@code |a - b| / max(|a|, |b|)} over the numbers printed
     */
    record Agreement(boolean exact, boolean withinRounding, double largestRelativeDifference) {
    }

    /**
     * Differences a fused step may make: a fused sum adds in another order, and float32 rounding differences of
     * about {@code 1e-7} grow a little over thousands of optimizer steps.
     */
    static final double RELATIVE_ROUNDING = 1e-4;

    /**
     * What two backends may differ by in absolute terms: they reduce in different orders, so a loss that has
     * converged to float32's rounding floor (the polynomial's ≈ 20 × (100 × 6e-8)² ≈ 1e-10) differs between them by
     * as much as itself; numbers that small are rounding noise, not results.
     */
    static final double ACROSS_BACKENDS_ABSOLUTE = 1e-6;

    /** Compares two printouts line by line, number by number (see {@link Agreement}). */
    static Agreement agreement(List<String> expected, List<String> actual) {
        return agreement(expected, actual, 0);
    }

    /** {@link #agreement(List, List)} also accepting differences up to {@code absolute}. */
    static Agreement agreement(List<String> expected, List<String> actual, double absolute) {
        if (expected.equals(actual)) {
            return new Agreement(true, true, 0);
        }
        if (expected.size() != actual.size()) {
            return new Agreement(false, false, Double.POSITIVE_INFINITY);
        }
        boolean within = true;
        double largest = 0;
        for (int line = 0; line < expected.size(); line++) {
            Matcher a = NUMBER.matcher(expected.get(line));
            Matcher b = NUMBER.matcher(actual.get(line));
            if (!a.replaceAll("#").equals(b.replaceAll("#"))) {
                return new Agreement(false, false, Double.POSITIVE_INFINITY);
            }
            a.reset();
            b.reset();
            while (a.find() && b.find()) {
                double x = Double.parseDouble(a.group());
                double y = Double.parseDouble(b.group());
                double difference = Math.abs(x - y);
                double scale = Math.max(Math.abs(x), Math.abs(y));
                largest = Math.max(largest, scale == 0 ? 0 : difference / scale);
                double allowed = Math.max(Math.max(RELATIVE_ROUNDING * scale, absolute),
                        Math.min(lastDigit(a.group()), lastDigit(b.group())));
                within &= difference <= allowed * (1 + 1e-9);
            }
        }
        return new Agreement(false, within, largest);
    }

    /** One unit of the last digit printed: 0.001 for {@code 7.013}, 1e-7 for {@code 1.25e-05}, 1 for {@code 12}. */
    static double lastDigit(String number) {
        int exponentAt = Math.max(number.indexOf('e'), number.indexOf('E'));
        String mantissa = exponentAt < 0 ? number : number.substring(0, exponentAt);
        int exponent = exponentAt < 0 ? 0 : Integer.parseInt(number.substring(exponentAt + 1));
        int point = mantissa.indexOf('.');
        int decimals = point < 0 ? 0 : mantissa.length() - point - 1;
        return Math.pow(10, exponent - decimals);
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
