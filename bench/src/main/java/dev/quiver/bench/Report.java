package dev.quiver.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;

/**
 * The markdown report of one run: per benchmark a table of every engine's value in the benchmark's unit and the
 * ratios of each Quiver engine against the peers of the same run (above 1: Quiver is faster), then the issue's
 * targets with their measured ratios, and cold start.
 *
 * <pre>{@code
 * String markdown = new Report("full", results, Map.of(), List.of(), "--set full").markdown();
 * }</pre>
 */
final class Report {
    private final String set;
    private final List<Row> rows;
    private final Map<String, String> skipped;
    private final List<ColdStarts.Measured> coldStarts;
    private final String command;
    private String machine;

    /** One result: benchmark {@code Class.method}, its parameters without the engine, the engine, the score. */
    record Row(String benchmark, Map<String, String> params, String engine, double score, double error) {
        String key() {
            return benchmark + " " + params;
        }
    }

    Report(String set, List<RunResult> results, Map<String, String> skipped, List<ColdStarts.Measured> coldStarts,
           String command) {
        this.set = set;
        this.skipped = skipped;
        this.coldStarts = coldStarts;
        this.command = command;
        this.rows = new ArrayList<>();
        for (RunResult result : results) {
            var params = result.getParams();
            String full = params.getBenchmark();
            String[] parts = full.split("\\.");
            String benchmark = parts[parts.length - 2] + "." + parts[parts.length - 1];
            Map<String, String> values = new TreeMap<>();
            for (String key : params.getParamsKeys()) {
                if (!key.equals("engine")) {
                    values.put(key, params.getParam(key));
                }
            }
            rows.add(new Row(benchmark, values, params.getParam("engine"), result.getPrimaryResult().getScore(),
                    result.getPrimaryResult().getScoreError()));
        }
    }

    /** Package-private for tests: a report over rows already extracted. */
    Report(String set, List<Row> rows, Map<String, String> skipped, List<ColdStarts.Measured> coldStarts, String command,
           boolean fromRows) {
        this.set = set;
        this.rows = rows;
        this.skipped = skipped;
        this.coldStarts = coldStarts;
        this.command = command;
    }

    /** The machine the results were measured on, when that is not this one (a report printed again from a file). */
    Report machine(String description) {
        this.machine = description;
        return this;
    }

    /** Expected (include, engine) pairs that produced no result. */
    List<String> missing(List<String> expected) {
        List<String> missing = new ArrayList<>();
        for (String entry : expected) {
            int at = entry.lastIndexOf(" engine=");
            Pattern include = Pattern.compile(entry.substring(0, at));
            String engine = entry.substring(at + " engine=".length());
            boolean found = rows.stream().anyMatch(r -> r.engine().equals(engine)
                    && include.matcher("dev.quiver.bench." + r.benchmark()).find());
            if (!found) {
                missing.add(entry);
            }
        }
        return missing;
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Quiver benchmarks: set `").append(set).append("`\n\n");
        md.append("- Machine: ").append(machine != null ? machine : BenchMain.Machine.describe()).append('\n');
        md.append("- Command: `bench/run ").append(command).append("`\n");
        md.append("- JMH 1.37, fresh JVM forks per (benchmark, parameters); every result checked against a reference in `@Setup`.\n");
        md.append("- Ratios are Quiver ÷ peer from this same run (above 1: Quiver is faster); ns/op ratios are peer ÷ Quiver.\n");
        skipped.forEach((engine, reason) -> md.append("- Skipped engine `").append(engine).append("`: ").append(reason).append('\n'));
        md.append('\n');
        peerTable(md);
        compiledTable(md);
        targets(md);
        coldStart(md);
        Map<String, List<Row>> byBenchmark = new LinkedHashMap<>();
        rows.stream().sorted(Comparator.comparing(Row::benchmark))
                .forEach(r -> byBenchmark.computeIfAbsent(r.benchmark(), k -> new ArrayList<>()).add(r));
        byBenchmark.forEach((benchmark, list) -> table(md, benchmark, list));
        return md.toString();
    }

    private void table(StringBuilder md, String benchmark, List<Row> list) {
        Metric metric = Metric.of(benchmark);
        Set<String> engines = new LinkedHashSet<>();
        list.stream().map(Row::engine).sorted(Comparator.comparing(Report::engineOrder)).forEach(engines::add);
        List<String[]> ratios = new ArrayList<>();
        for (String quiver : engines) {
            for (String peer : engines) {
                if (Engines.isQuiver(quiver) && Engines.isPeer(peer) && comparable(quiver, peer)) {
                    ratios.add(new String[] {quiver, peer});
                }
            }
        }
        Map<String, Map<String, Row>> byParams = new LinkedHashMap<>();
        list.stream().sorted(Comparator.comparing(r -> sortKey(r.params())))
                .forEach(r -> byParams.computeIfAbsent(r.params().toString(), k -> new LinkedHashMap<>()).put(r.engine(), r));
        Set<String> paramNames = list.getFirst().params().keySet();
        md.append("## ").append(benchmark).append(" (").append(metric.unit()).append(")\n\n|");
        paramNames.forEach(p -> md.append(' ').append(p).append(" |"));
        engines.forEach(e -> md.append(' ').append(e).append(" |"));
        ratios.forEach(r -> md.append(' ').append(r[0]).append(" ÷ ").append(r[1]).append(" |"));
        md.append("\n|");
        md.append("---|".repeat(paramNames.size() + engines.size() + ratios.size()));
        md.append('\n');
        for (Map<String, Row> cells : byParams.values()) {
            Map<String, String> params = cells.values().iterator().next().params();
            md.append('|');
            paramNames.forEach(p -> md.append(' ').append(params.get(p)).append(" |"));
            for (String engine : engines) {
                Row row = cells.get(engine);
                md.append(' ').append(row == null ? "–" : format(metric.value(params, row.score()))).append(" |");
            }
            for (String[] pair : ratios) {
                Row quiver = cells.get(pair[0]);
                Row peer = cells.get(pair[1]);
                md.append(' ').append(quiver == null || peer == null ? "–"
                        : String.format(Locale.ROOT, "%.2f×", quiver.score() / peer.score())).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    /** Same thread setting (cpu with nd4j, cpu-1t with nd4j-1t); the plain-Java peer with every Quiver engine. */
    static boolean comparable(String quiver, String peer) {
        if (peer.equals(Engines.JAVA)) {
            return true;
        }
        return !quiver.contains("scalar") && suffix(quiver).equals(suffix(peer));
    }

    private static String suffix(String engine) {
        int dash = engine.indexOf('-');
        return dash < 0 ? "" : engine.substring(dash + 1);
    }

    private static int engineOrder(String engine) {
        List<String> order = Plan.ALL_ENGINES;
        int at = order.indexOf(engine);
        return at < 0 ? order.size() : at;
    }

    private static String sortKey(Map<String, String> params) {
        StringBuilder key = new StringBuilder();
        params.forEach((name, value) -> key.append(name).append('=')
                .append(value.matches("\\d+") ? String.format("%012d", Long.parseLong(value)) : value).append(';'));
        return key.toString();
    }

    static String format(double value) {
        if (value >= 1e6) {
            return String.format(Locale.ROOT, "%.3g M", value / 1e6);
        }
        if (value >= 1000) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        return String.format(Locale.ROOT, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value);
    }

    // ---------------------------------------------------------------- issue 9's peer table

    private Row row(String benchmark, String engine, Map<String, String> params) {
        for (Row row : rows) {
            if (row.benchmark().equals(benchmark) && row.engine().equals(engine) && row.params().equals(params)) {
                return row;
            }
        }
        return null;
    }

    /** One line of the peer table: Quiver's engine against one peer, or against the best of several. */
    private record PeerLine(String work, String benchmark, Map<String, String> params, String quiver, List<String> peers) {
    }

    private static String peerName(String engine) {
        return engine.startsWith("torch") ? "libtorch" : engine.startsWith("tf") ? "TF-Java" : engine;
    }

    /**
     * Issue 9's table: each line Quiver ÷ peer (speed; above 1: Quiver is faster) with its error bar (JMH's 99.9%
     * intervals of both scores, combined in quadrature), printed when the run has libtorch or TF-Java results.
     */
    private void peerTable(StringBuilder md) {
        if (rows.stream().noneMatch(r -> Peer.library(r.engine()) != null && !r.engine().startsWith("nd4j"))) {
            return;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        String all = cores + " threads";
        List<PeerLine> lines = new ArrayList<>();
        for (String size : List.of("512", "1024", "2048")) {
            lines.add(new PeerLine("sgemm " + size + ", 1 thread", "MatmulBench.matmul",
                    Map.of("dtype", "float32", "size", size), "cpu-1t", List.of("tf-1t")));
        }
        for (String size : List.of("1024", "2048")) {
            lines.add(new PeerLine("sgemm " + size + ", " + all, "MatmulBench.matmul",
                    Map.of("dtype", "float32", "size", size), "cpu", List.of("tf")));
        }
        Map<String, String> dgemm = Map.of("dtype", "float64", "size", "1024");
        lines.add(new PeerLine("dgemm 1024, 1 thread", "MatmulBench.matmul", dgemm, "cpu-1t", List.of("torch-1t")));
        lines.add(new PeerLine("dgemm 1024, 1 thread", "MatmulBench.matmul", dgemm, "cpu-1t", List.of("tf-1t")));
        lines.add(new PeerLine("dgemm 1024, 1 thread", "MatmulBench.matmul", dgemm, "cpu-1t", List.of("torch-1t", "tf-1t")));
        Map<String, String> big = Map.of("size", "16777216");
        lines.add(new PeerLine("float32 a+b 16M, " + all, "ElementwiseBench.add", big, "cpu", List.of("tf")));
        lines.add(new PeerLine("float32 a+b 16M, " + all, "ElementwiseBench.add", big, "cpu", List.of("torch")));
        lines.add(new PeerLine("float32 sum 16M, 1 thread", "ReductionBench.sum", big, "cpu-1t", List.of("torch-1t")));
        lines.add(new PeerLine("float32 sum 16M, " + all, "ReductionBench.sum", big, "cpu", List.of("torch")));
        lines.add(new PeerLine("float32 normal draw of 1M, 1 thread", "RandomBench.normal",
                Map.of("dtype", "float32", "size", "1048576"), "cpu-1t", List.of("torch-1t")));
        for (String[] batch : List.of(new String[] {"1M", "2^20"}, new String[] {"64", "64"})) {
            for (String peer : List.of("torch", "tf")) {
                lines.add(new PeerLine("linear-regression step, batch " + batch[1] + ", " + all
                        + (peer.equals("torch") ? " (libtorch eager)" : " (TF-Java: one graph run)"),
                        "TrainingBench.linearRegressionBatch" + batch[0], Map.of(), "cpu", List.of(peer)));
            }
        }
        md.append("## Quiver beside libtorch and TF-Java (issue 9)\n\n")
                .append("Quiver ÷ peer in speed (above 1: Quiver is faster), ± JMH's 99.9% error of both scores combined. ")
                .append("Training steps in time per step.\n\n")
                .append("| work | Quiver | peer | Quiver ÷ peer | goal | |\n|---|---|---|---|---|---|\n");
        for (PeerLine line : lines) {
            Row quiver = row(line.benchmark(), line.quiver(), line.params());
            Row peer = null;
            for (String engine : line.peers()) {
                Row candidate = row(line.benchmark(), engine, line.params());
                if (candidate != null && (peer == null || candidate.score() > peer.score())) {
                    peer = candidate;
                }
            }
            String against = line.peers().size() > 1
                    ? "best peer (" + (peer == null ? "none" : peerName(peer.engine())) + ")" : peerName(line.peers().getFirst());
            md.append("| ").append(line.work()).append(", ÷ ").append(against).append(" | ");
            if (quiver == null || peer == null) {
                md.append(quiver == null ? "–" : shown(quiver)).append(" | ").append(peer == null ? "–" : shown(peer))
                        .append(" | not measured | ≥ 1.00 | |\n");
                continue;
            }
            double ratio = quiver.score() / peer.score();
            double error = ratio * Math.hypot(quiver.error() / quiver.score(), peer.error() / peer.score());
            String verdict = ratio >= 1 ? "met" : "**missed**";
            if (Math.abs(ratio - 1) <= error) {
                verdict += " (within error)";
            }
            md.append(shown(quiver)).append(" | ").append(shown(peer)).append(" | ")
                    .append(String.format(Locale.ROOT, "%.2f ± %s", ratio, Double.isNaN(error) ? "?"
                            : String.format(Locale.ROOT, "%.2f", error)))
                    .append(" | ≥ 1.00 | ").append(verdict).append(" |\n");
        }
        md.append('\n');
    }

    // ---------------------------------------------------------------- issue 11's compiled steps

    /** Batch of each of the K independent regressions of {@code CompiledTrainingBench.batchedRegression10k}. */
    private static final int PROBLEM_BATCH = 64;

    /**
     * Issue 11's table: compiled steps ({@link CompiledTrainingBench}, engine cpu) against the goals, beside
     * the same step eager ({@link TrainingBench}) and libtorch / TF-Java from the same run. Printed when the run has a
     * compiled cpu result.
     */
    private void compiledTable(StringBuilder md) {
        Map<String, String> none = Map.of();
        Double batch64 = score("CompiledTrainingBench.linearRegressionBatch64", "cpu", none);
        Double batch1M = score("CompiledTrainingBench.linearRegressionBatch1M", "cpu", none);
        Double nadam = score("CompiledTrainingBench.polynomialNadam", "cpu", none);
        Double batched = score("CompiledTrainingBench.batchedRegression10k", "cpu", none);
        if (batch64 == null && batch1M == null && nadam == null && batched == null) {
            return;
        }
        List<String[]> lines = new ArrayList<>();
        if (batch64 != null) {
            double us = 1e6 / batch64;
            lines.add(target("linear-regression step, batch 64, compiled (goal ≤ 1.5 µs)", 1.5 / us, 1.0,
                    String.format(Locale.ROOT, "%.2f µs/step%s", us, beside("TrainingBench.linearRegressionBatch64",
                            1e6, "µs"))));
        }
        if (batch1M != null) {
            Double torch = score("TrainingBench.linearRegressionBatch1M", "torch", none);
            String measured = String.format(Locale.ROOT, "%.2f ms/step%s", 1e3 / batch1M,
                    beside("TrainingBench.linearRegressionBatch1M", 1e3, "ms"));
            lines.add(torch == null ? new String[] {"linear-regression step, batch 2^20, compiled ÷ libtorch eager",
                    measured, "not measured", "≥ 5.00", ""}
                    : target("linear-regression step, batch 2^20, compiled ÷ libtorch eager", batch1M / torch, 5.0,
                    measured));
        }
        Double normals = score("RandomBench.normal", "cpu-1t", Map.of("dtype", "float32", "size", "1048576"));
        if (batch1M != null && normals != null) {
            // the step draws 2 x 2^20 normals; the ideal split over the cores halves the one-thread time
            int cores = Runtime.getRuntime().availableProcessors();
            double boundMs = 1e3 * 2 / normals / cores;
            lines.add(target("linear-regression step, batch 2^20, compiled: its bound ÷ its time", boundMs
                    * batch1M / 1e3, 1 / 1.5, String.format(Locale.ROOT, "%.2f ms/step; bound %.2f ms (2 × 2^20 "
                    + "float32 normals at the SIMD fill's one-thread rate, split over %d cores)", 1e3 / batch1M,
                    boundMs, cores)));
        }
        if (nadam != null) {
            double us = 1e6 / nadam;
            lines.add(target("polynomial Nadam step, compiled (goal ≤ 1.5 µs)", 1.5 / us, 1.0,
                    String.format(Locale.ROOT, "%.2f µs/step%s", us, beside("TrainingBench.polynomialNadam", 1e6,
                            "µs"))));
        }
        if (batched != null) {
            Double eager = score("TrainingBench.linearRegressionBatch64", "cpu", none);
            int problems = CompiledTrainingBench.PROBLEMS;
            String measured = String.format(Locale.ROOT, "%.2f ms/step, %s samples/s", 1e3 / batched,
                    format(batched * problems * PROBLEM_BATCH));
            lines.add(eager == null ? new String[] {"K = 10,000 regressions × batch 64, one compiled step ÷ a loop of "
                    + "K eager steps", measured, "not measured", "≥ 20.00", ""}
                    : target("K = 10,000 regressions × batch 64, one compiled step ÷ a loop of K eager steps",
                    batched * problems / eager, 20.0, measured + String.format(Locale.ROOT,
                            " (eager loop %.1f ms)", 1e3 * problems / eager)));
        }
        md.append("## Compiled training steps (issue 11)\n\n")
                .append("Quiver's cpu engine; eager, libtorch (eager) and TF-Java (one graph run) from the same run.\n\n")
                .append("| target | measured | ratio | goal | |\n|---|---|---|---|---|\n");
        lines.forEach(l -> md.append("| ").append(String.join(" | ", l)).append(" |\n"));
        md.append('\n');
    }

    /** " (eager …, libtorch …, TF-Java …)": the same step's other results in this run, in {@code unit}. */
    private String beside(String benchmark, double scale, String unit) {
        List<String> parts = new ArrayList<>();
        for (String[] engine : List.of(new String[] {"cpu", "eager"}, new String[] {"torch", "libtorch"},
                new String[] {"tf", "TF-Java"})) {
            Double score = score(benchmark, engine[0], Map.of());
            if (score != null) {
                parts.add(String.format(Locale.ROOT, "%s %.2f %s", engine[1], scale / score, unit));
            }
        }
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }

    /** A score with its error, in the benchmark's unit; training steps as time per step. */
    static String shown(Row row) {
        double score = row.score();
        double error = row.error();
        String unit;
        double value;
        double spread;
        if (row.benchmark().startsWith("TrainingBench.")) {
            double scale = row.benchmark().endsWith("Batch64") ? 1e6 : 1e3;
            unit = scale == 1e6 ? "µs/step" : "ms/step";
            value = scale / score;
            spread = scale * error / (score * score);
        } else {
            Metric metric = Metric.of(row.benchmark());
            unit = metric.unit();
            value = metric.value(row.params(), score);
            spread = metric.error(row.params(), score, error);
        }
        return format(value) + " ± " + (Double.isNaN(spread) ? "?" : format(spread)) + " " + unit;
    }

    // ---------------------------------------------------------------- the targets

    private Double score(String benchmark, String engine, Map<String, String> params) {
        for (Row row : rows) {
            if (row.benchmark().equals(benchmark) && row.engine().equals(engine) && row.params().equals(params)) {
                return row.score();
            }
        }
        return null;
    }

    private void targets(StringBuilder md) {
        List<String[]> lines = new ArrayList<>();
        for (String dtype : List.of("float32", "float64")) {
            double goal = dtype.equals("float32") ? 1.0 : 0.95;
            for (String[] pair : List.of(new String[] {"cpu", "nd4j"}, new String[] {"cpu-1t", "nd4j-1t"})) {
                for (String size : List.of("512", "1024", "2048")) {
                    Map<String, String> p = Map.of("dtype", dtype, "size", size);
                    Double q = score("MatmulBench.matmul", pair[0], p);
                    Double n = score("MatmulBench.matmul", pair[1], p);
                    if (q != null && n != null) {
                        lines.add(target("matmul " + dtype + " " + size + "³, " + pair[0] + " ÷ " + pair[1],
                                q / n, goal, String.format(Locale.ROOT, "%.1f vs %.1f GFLOP/s",
                                        Metric.of("MatmulBench.matmul").value(p, q), Metric.of("MatmulBench.matmul").value(p, n))));
                    }
                }
            }
        }
        Map<String, String> big = Map.of("size", "16777216");
        Double triad = score("ElementwiseBench.add", "java", big);
        if (triad != null) {
            double triadGbs = Metric.of("ElementwiseBench.add").value(big, triad);
            for (String[] t : List.of(new String[] {"ElementwiseBench.add", "0.9"}, new String[] {"ElementwiseBench.mulAdd", "0.9"},
                    new String[] {"ReductionBench.sum", "0.8"}, new String[] {"ReductionBench.mean", "0.8"})) {
                for (String engine : List.of("cpu", "cpu-1t")) {
                    Double q = score(t[0], engine, big);
                    if (q != null) {
                        double gbs = Metric.of(t[0]).value(big, q);
                        lines.add(target(t[0] + " float32 16M, " + engine + " GB/s ÷ plain-Java triad GB/s",
                                gbs / triadGbs, Double.parseDouble(t[1]),
                                String.format(Locale.ROOT, "%.1f vs %.1f GB/s", gbs, triadGbs)));
                    }
                }
            }
        }
        Double tiny = score("TinyOpBench.add", "cpu", Map.of());
        if (tiny != null) {
            double ns = 1e9 / tiny;
            lines.add(target("tiny op: cpu 1-element add, ns (goal ≤ 1000 ns)", 1000 / ns, 1.0,
                    String.format(Locale.ROOT, "%.0f ns", ns)));
            Double nd4j = score("TinyOpBench.add", "nd4j", Map.of());
            if (nd4j != null) {
                lines.add(target("tiny op: nd4j ns ÷ cpu ns", tiny / nd4j, 15,
                        String.format(Locale.ROOT, "%.0f vs %.0f ns", ns, 1e9 / nd4j)));
            }
        }
        for (String dtype : List.of("float32", "float64")) {
            for (String size : List.of("64", "128", "256")) {
                Map<String, String> p = Map.of("dtype", dtype, "size", size);
                Double all = score("MatmulBench.matmul", "cpu", p);
                Double one = score("MatmulBench.matmul", "cpu-1t", p);
                if (all != null && one != null) {
                    Metric metric = Metric.of("MatmulBench.matmul");
                    // below the backend's threading threshold both engines run the same one-thread code: the
                    // ratio then shows how noisy the machine is, not a threading cost
                    lines.add(target("no threading loss: matmul " + dtype + " " + size + "³, cpu ÷ cpu-1t", all / one, 0.95,
                            String.format(Locale.ROOT, "%.1f vs %.1f GFLOP/s", metric.value(p, all), metric.value(p, one))));
                }
            }
        }
        for (ColdStarts.Measured cold : coldStarts) {
            if (cold.engine().equals("cpu")) {
                lines.add(target("cold start cpu: JVM launch to first result (goal ≤ 150 ms)", 150 / cold.medianMillis(),
                        1.0, String.format(Locale.ROOT, "%.0f ms", cold.medianMillis())));
            }
        }
        if (lines.isEmpty()) {
            return;
        }
        md.append("## Targets (issue 4)\n\n| target | measured | ratio | goal | |\n|---|---|---|---|---|\n");
        lines.forEach(l -> md.append("| ").append(String.join(" | ", l)).append(" |\n"));
        md.append('\n');
    }

    private static String[] target(String what, double ratio, double goal, String measured) {
        return new String[] {what, measured, String.format(Locale.ROOT, "%.2f", ratio),
                String.format(Locale.ROOT, "≥ %.2f", goal), ratio >= goal ? "met" : "**missed**"};
    }

    private void coldStart(StringBuilder md) {
        if (coldStarts.isEmpty()) {
            return;
        }
        md.append("## Cold start: JVM launch to the first 1-element add read back (median of launches)\n\n")
                .append("| engine | median ms | in main ms | launches (ms) |\n|---|---|---|---|\n");
        for (ColdStarts.Measured cold : coldStarts) {
            StringBuilder all = new StringBuilder();
            for (double t : cold.allMillis()) {
                all.append(all.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", t));
            }
            md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %s |%n", cold.engine(), cold.medianMillis(),
                    cold.inMainMillis(), all));
        }
        md.append('\n');
    }
}
