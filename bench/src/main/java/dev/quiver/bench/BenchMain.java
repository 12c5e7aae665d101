package dev.quiver.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The one command behind {@code bench/run}: runs a set of benchmarks on every engine that can run here (saying
 * which were skipped and why), measures cold start, and writes {@code jmh.json}, {@code report.md} (values and
 * ratios against the peers of the same run) and PNG charts into one folder named with the date and the machine.
 *
 * <pre>{@code
 * bench/run                                  # the full set, every available engine
 * bench/run --set quick --engines cpu,java   # a two-minute smoke run
 * bench/run --only 'MatmulBench' -p size=1024 -p dtype=float32 --out /tmp/mm
 * }</pre>
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws RunnerException {
        System.setProperty("java.awt.headless", "true");
        Arguments arguments;
        try {
            arguments = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(Arguments.USAGE);
            System.exit(2);
            return;
        }
        if (arguments.help) {
            System.out.println(Arguments.USAGE);
            return;
        }
        if (arguments.report != null) {
            System.out.print(reprint(arguments.report));
            return;
        }
        Plan plan = arguments.plan();
        // the issues' tables go to <date>-peers and <date>-compiled, so that a full run of the same day does not
        // overwrite them
        boolean table = plan.name().equals("peers") || plan.name().equals("compiled");
        Path out = arguments.out != null ? arguments.out : Path.of("bench", "results", LocalDate.now(ZoneOffset.UTC) + "-"
                + (table && arguments.machine == null ? plan.name() : Machine.slug(arguments.machine)));
        String started = Instant.now().truncatedTo(ChronoUnit.SECONDS) + " (load average " + Machine.loadAverage() + ")";

        // Engines that cannot run here are named with their reason and left out; nothing goes missing silently.
        Map<String, String> skipped = new LinkedHashMap<>();
        List<Plan.Run> runs = new ArrayList<>();
        for (Plan.Run run : plan.runs()) {
            List<String> engines = run.params().get("engine");
            if (engines == null) {
                runs.add(run);
                continue;
            }
            List<String> kept = new ArrayList<>();
            for (String engine : engines) {
                if (arguments.engines != null && !arguments.engines.contains(engine)) {
                    continue;
                }
                String reason = skipped.containsKey(engine) ? skipped.get(engine) : Engines.unavailableReason(engine);
                if (reason == null) {
                    kept.add(engine);
                } else {
                    skipped.put(engine, reason);
                }
            }
            if (!kept.isEmpty()) {
                runs.add(run.with("engine", kept));
            }
        }
        System.out.println("bench: set '" + plan.name() + "' on " + Machine.describe());
        skipped.forEach((engine, reason) -> System.out.println("bench: skipping engine " + engine + ": " + reason));
        System.out.println("bench: results go to " + out.toAbsolutePath());

        List<RunResult> results = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (Plan.Run run : runs) {
            Map<String, List<String>> params = new LinkedHashMap<>(run.params());
            arguments.params.forEach(params::put);
            ChainedOptionsBuilder options = new OptionsBuilder()
                    .include(run.include())
                    .forks(arguments.forks > 0 ? arguments.forks : plan.forks())
                    .warmupIterations(arguments.warmups >= 0 ? arguments.warmups : plan.warmups())
                    .warmupTime(TimeValue.milliseconds(Math.round(1000 * (arguments.seconds > 0 ? arguments.seconds : plan.seconds()))))
                    .measurementIterations(arguments.measures >= 0 ? arguments.measures : plan.measures())
                    .measurementTime(TimeValue.milliseconds(Math.round(1000 * (arguments.seconds > 0 ? arguments.seconds : plan.seconds()))))
                    // a failed agreement check must not throw away the other results: it is listed in the report
                    .shouldFailOnError(false);
            params.forEach((name, values) -> options.param(name, values.toArray(String[]::new)));
            for (String engine : params.getOrDefault("engine", List.of("?"))) {
                expected.add(run.include() + " engine=" + engine);
            }
            results.addAll(new Runner(options.build()).run());
        }

        // the peer table has no cold-start line: that set runs exactly the table
        List<ColdStarts.Measured> coldStarts = arguments.coldStart && !table
                ? ColdStarts.measure(coldStartEngines(arguments, skipped), 5) : List.of();
        try {
            Files.createDirectories(out);
            ResultFormatFactory.getInstance(ResultFormatType.JSON, out.resolve("jmh.json").toString()).writeOut(results);
            Report report = new Report(plan.name(), results, skipped, coldStarts, String.join(" ", args));
            Files.writeString(out.resolve("report.md"), report.markdown());
            Files.writeString(out.resolve("machine.txt"), Machine.record(String.join(" ", args), started));
            List<Path> charts = Charts.write(results, out);
            System.out.println("bench: wrote " + out.resolve("jmh.json") + ", " + out.resolve("report.md") + " and "
                    + charts.size() + " charts");
            System.out.println();
            System.out.println(report.markdown());
            List<String> missing = report.missing(expected);
            if (!missing.isEmpty()) {
                System.err.println("bench: " + missing.size() + " benchmark runs gave no result (failed setup or check): "
                        + missing);
                System.exit(1);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The report of a finished run printed again from its {@code jmh.json} alone (the peer table included), with the
     * machine and command that {@code machine.txt} beside it recorded.
     */
    static String reprint(Path json) {
        try {
            List<Report.Row> rows = JmhJson.rows(Files.readString(json));
            Path record = json.resolveSibling("machine.txt");
            String machine = "not recorded (no machine.txt beside " + json + ")";
            String command = "--report " + json;
            if (Files.exists(record)) {
                for (String line : Files.readAllLines(record)) {
                    if (line.startsWith("machine: ")) {
                        machine = line.substring("machine: ".length());
                    } else if (line.startsWith("command: bench/run ")) {
                        command = line.substring("command: bench/run ".length());
                    }
                }
            }
            return new Report("from " + json, rows, Map.of(), List.of(), command, true).machine(machine).markdown();
        } catch (IOException e) {
            throw new UncheckedIOException("bench --report: cannot read " + json, e);
        }
    }

    private static List<String> coldStartEngines(Arguments arguments, Map<String, String> skipped) {
        List<String> engines = new ArrayList<>();
        for (String engine : List.of("cpu", "opencl", "cuda", "nd4j")) {
            boolean wanted = arguments.engines == null || arguments.engines.contains(engine);
            if (wanted && !skipped.containsKey(engine) && Engines.unavailableReason(engine) == null) {
                engines.add(engine);
            }
        }
        return engines;
    }

    /** The command line. */
    static final class Arguments {
        static final String USAGE = """
                usage: bench/run [options]
                  --set NAME          one of %s (default full, ~20 min on 2 cores; quick ~3 min;
                                      peers: issue 9's table beside libtorch and TF-Java, needs --peers, 15-20 min;
                                      compiled: issue 11's compiled steps beside eager and the peers, --peers, ~6 min)
                  --only REGEX        run the JMH benchmarks matching REGEX (e.g. 'MatmulBench') instead of a set
                  -p NAME=V1,V2       override a parameter (size, dtype, engine...) in every run
                  --engines A,B       keep only these engines (cpu, cpu-1t, cpu-scalar, opencl, cuda, java, nd4j, nd4j-1t,
                                      torch, torch-1t, tf, tf-1t)
                  --nd4j              (bench/run only) build with the ND4J peer (Maven profile -Pnd4j)
                  --peers             (bench/run only) build with the libtorch and TF-Java peers (Maven profile -Ppeers)
                  --warmup N --iterations N --time SECONDS --forks N   JMH settings (default from the set);
                                      JMH's own spellings work too: -wi N -i N -r 200ms -f N
                  --out DIR           results folder (default bench/results/DATE-MACHINE)
                  --machine NAME      the machine part of the folder name (default: CPU model and cores)
                  --no-cold-start     skip the cold-start measurement
                  --report FILE       print the report of a finished run again from its jmh.json (runs nothing)
                """.formatted(Plan.names());

        String set = "full";
        String only;
        Map<String, List<String>> params = new LinkedHashMap<>();
        Set<String> engines;
        int warmups = -1;
        int measures = -1;
        double seconds = -1;
        int forks = -1;
        Path out;
        String machine;
        boolean coldStart = true;
        boolean help;
        Path report;

        static Arguments parse(String[] args) {
            Arguments a = new Arguments();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--set" -> a.set = value(args, ++i, arg);
                    case "--only" -> a.only = value(args, ++i, arg);
                    case "-p" -> {
                        String pair = value(args, ++i, arg);
                        int eq = pair.indexOf('=');
                        if (eq <= 0) {
                            throw new IllegalArgumentException("-p expects NAME=V1,V2, got " + pair);
                        }
                        a.params.put(pair.substring(0, eq), Arrays.asList(pair.substring(eq + 1).split(",")));
                    }
                    case "--engines" -> a.engines = new LinkedHashSet<>(Arrays.asList(value(args, ++i, arg).split(",")));
                    case "--warmup", "-wi" -> a.warmups = Integer.parseInt(value(args, ++i, arg));
                    case "--iterations", "-i" -> a.measures = Integer.parseInt(value(args, ++i, arg));
                    case "--time", "-r" -> a.seconds = seconds(value(args, ++i, arg));
                    case "--forks", "-f" -> a.forks = Integer.parseInt(value(args, ++i, arg));
                    case "--out" -> a.out = Path.of(value(args, ++i, arg));
                    case "--machine" -> a.machine = value(args, ++i, arg);
                    case "--no-cold-start" -> a.coldStart = false;
                    case "--report" -> a.report = Path.of(value(args, ++i, arg));
                    case "--nd4j", "--peers" -> { } // handled by bench/run (the build profile)
                    case "-h", "--help" -> a.help = true;
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (a.params.containsKey("engine")) {
                throw new IllegalArgumentException("choose engines with --engines, not -p engine=...");
            }
            return a;
        }

        Plan plan() {
            if (only == null) {
                return Plan.named(set);
            }
            // the benchmarks' own engine lists, before filtering: every engine the bench knows
            Map<String, List<String>> engineParam = new LinkedHashMap<>();
            engineParam.put("engine", Plan.ALL_ENGINES);
            Plan base = Plan.named(set);
            return Plan.only(only, engineParam, base.warmups(), base.measures(), base.seconds());
        }

        /** An iteration time in seconds: {@code 1}, {@code 0.5}, or JMH's {@code 200ms} / {@code 2s}. */
        static double seconds(String value) {
            if (value.endsWith("ms")) {
                return Double.parseDouble(value.substring(0, value.length() - 2)) / 1000;
            }
            return Double.parseDouble(value.endsWith("s") ? value.substring(0, value.length() - 1) : value);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }
    }

    /** What machine this is, for the report and the folder name. */
    static final class Machine {
        private Machine() {
        }

        static String cpuModel() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("model name")) {
                        return line.substring(line.indexOf(':') + 1).trim();
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // not Linux: the architecture below
            }
            return System.getProperty("os.arch");
        }

        /** {@code /proc/loadavg}'s three averages: how busy the machine was (other work skews a measurement). */
        static String loadAverage() {
            try {
                String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
                return parts[0] + " " + parts[1] + " " + parts[2];
            } catch (IOException | RuntimeException e) {
                return "unknown";
            }
        }

        /**
         * What a results folder records of its run: the command, start and end (UTC, with the load average), the
         * JDK, the allocator settings of the environment, and {@code lscpu} (CPU model, cores, caches, flags).
         */
        static String record(String command, String started) {
            StringBuilder text = new StringBuilder();
            text.append("command: bench/run ").append(command).append('\n');
            text.append("started: ").append(started).append('\n');
            text.append("finished: ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(" (load average ")
                    .append(loadAverage()).append(")\n");
            text.append("machine: ").append(describe()).append('\n');
            text.append("jdk: ").append(System.getProperty("java.vm.vendor")).append(' ')
                    .append(System.getProperty("java.vm.name")).append(' ').append(Runtime.version()).append('\n');
            System.getenv().entrySet().stream().filter(e -> e.getKey().startsWith("MALLOC_")
                            || e.getKey().equals("GLIBC_TUNABLES") || e.getKey().equals("LD_PRELOAD")
                            || e.getKey().endsWith("_NUM_THREADS"))
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> text.append("env: ").append(e.getKey()).append('=').append(e.getValue()).append('\n'));
            // the launcher expands bench/run's target/lib/* on the class path: each peer jar is named there
            List<String> libraries = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                String name = Path.of(entry).getFileName().toString();
                if (name.matches("(pytorch|tensorflow|openblas|javacpp|nd4j).*\\.jar")) {
                    libraries.add(name);
                }
            }
            text.append("peer libraries: ").append(libraries.isEmpty() ? "none" : String.join(" ", libraries)).append('\n');
            text.append("\n$ lscpu\n").append(run("lscpu"));
            return text.toString();
        }

        private static String run(String... command) {
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(process.getInputStream().readAllBytes());
                process.waitFor();
                return output;
            } catch (IOException e) {
                return command[0] + " could not run: " + e.getMessage() + "\n";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return command[0] + " was interrupted\n";
            }
        }

        static String describe() {
            return cpuModel() + simdFlags() + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                    + System.getProperty("java.vm.name") + " " + Runtime.version();
        }

        /** The vector extensions that matter here, from /proc/cpuinfo (a VM's model name often hides the CPU). */
        static String simdFlags() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("flags")) {
                        List<String> flags = Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split(" "));
                        List<String> shown = new ArrayList<>();
                        for (String flag : List.of("avx2", "fma", "avx512f", "avx512_fp16", "amx_tile")) {
                            if (flags.contains(flag)) {
                                shown.add(flag);
                            }
                        }
                        return shown.isEmpty() ? "" : " (" + String.join(" ", shown) + ")";
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // not Linux
            }
            return "";
        }

        static String slug(String override) {
            String name = override != null ? override
                    : cpuModel() + " " + Runtime.getRuntime().availableProcessors() + "c";
            return name.toLowerCase(Locale.ROOT).replaceAll("\\((r|tm)\\)", "").replaceAll("[^a-z0-9]+", "-")
                    .replaceAll("(^-|-$)", "");
        }
    }
}
