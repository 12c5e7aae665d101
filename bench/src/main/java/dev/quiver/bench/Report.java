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
        md.append("- Machine: ").append(BenchMain.Machine.describe()).append('\n');
        md.append("- Command: `bench/run ").append(command).append("`\n");
        md.append("- JMH 1.37, one fork per (benchmark, parameters); every result checked against a reference in `@Setup`.\n");
        md.append("- Ratios are Quiver ÷ peer from this same run (above 1: Quiver is faster); ns/op ratios are peer ÷ Quiver.\n");
        skipped.forEach((engine, reason) -> md.append("- Skipped engine `").append(engine).append("`: ").append(reason).append('\n'));
        md.append('\n');
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
        List<String> order = List.of("cpu", "cpu-1t", "cpu-scalar", "opencl", "cuda", "java", "nd4j", "nd4j-1t");
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
