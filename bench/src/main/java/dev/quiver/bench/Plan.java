package dev.quiver.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which benchmarks a run covers, with which parameter values: a list of JMH runs, each an include pattern and
 * parameter overrides. The engine lists here are the wanted ones; engines that cannot run on this machine are
 * dropped (and named) by {@link BenchMain} before JMH starts.
 *
 * <pre>{@code
 * Plan plan = Plan.named("full");
 * plan.runs().forEach(run -> System.out.println(run.include() + " " + run.params()));
 * }</pre>
 *
 * @param name      the set's name ({@code full}, {@code quick}, ...)
 * @param runs      the JMH runs, in order
 * @param warmups   warmup iterations per fork
 * @param measures  measurement iterations per fork
 * @param seconds   seconds per iteration
 * @param forks     JMH forks (fresh JVMs) per benchmark and parameters
 */
public record Plan(String name, List<Run> runs, int warmups, int measures, double seconds, int forks) {
    /** A plan with one fork per benchmark and parameters. */
    public Plan(String name, List<Run> runs, int warmups, int measures, double seconds) {
        this(name, runs, warmups, measures, seconds, 1);
    }

    /** All engines a set may use; the GPU names are skipped (with their reason) where no GPU backend runs. */
    static final List<String> QUIVER_ENGINES = List.of("cpu", "opencl", "cuda");
    static final List<String> ELEMENTWISE_ENGINES = List.of("cpu", "cpu-1t", "cpu-scalar", "opencl", "cuda", "java", "nd4j");
    static final List<String> REDUCTION_ENGINES = List.of("cpu", "cpu-1t", "opencl", "cuda", "java", "nd4j");
    static final List<String> TINY_ENGINES = List.of("cpu", "cpu-scalar", "opencl", "cuda", "java", "nd4j");
    static final List<String> MATMUL_ENGINES = List.of("cpu", "cpu-1t", "opencl", "cuda", "nd4j", "nd4j-1t");
    /** Every engine name the bench knows, for {@code --only} runs. */
    static final List<String> ALL_ENGINES = List.of("cpu", "cpu-1t", "cpu-scalar", "opencl", "cuda", "java", "nd4j",
            "nd4j-1t", "torch", "torch-1t", "tf", "tf-1t");

    /**
     * One JMH run: benchmarks matching {@code include} with these parameter values.
     *
     * @param include a regular expression over {@code Class.method}
     * @param params  parameter name to values
     */
    public record Run(String include, Map<String, List<String>> params) {
        Run with(String param, List<String> values) {
            Map<String, List<String>> copy = new LinkedHashMap<>(params);
            copy.put(param, values);
            return new Run(include, copy);
        }
    }

    /** The sets {@code bench/run --set NAME} knows. */
    public static List<String> names() {
        return List.of("full", "quick", "matmul", "elementwise", "tiny", "training", "peers", "compiled");
    }

    public static Plan named(String name) {
        return switch (name) {
            case "full" -> new Plan(name, full(), 2, 3, 1);
            case "quick" -> new Plan(name, quick(), 1, 2, 0.5);
            case "matmul" -> new Plan(name, full().stream().filter(r -> r.include().contains("Matmul")).toList(), 2, 3, 1);
            case "elementwise" -> new Plan(name, full().stream()
                    .filter(r -> r.include().contains("Elementwise") || r.include().contains("Reduction")).toList(), 2, 3, 1);
            case "tiny" -> new Plan(name, full().stream().filter(r -> r.include().contains("TinyOp")).toList(), 2, 3, 1);
            case "training" -> new Plan(name, full().stream().filter(r -> r.include().contains("Training")).toList(), 2, 3, 1);
            // 28 configurations x 2 forks: 15-20 minutes on 2 cores (needs a -Ppeers build: bench/run --peers)
            case "peers" -> new Plan(name, peers(), 3, 5, 1, 2);
            // issue 11's table: compiled steps beside the eager ones and the peers' (needs --peers for torch and tf)
            // 10 warm-up seconds: the CPU's SIMD random fill is warmed on a thread of its own once a JVM has drawn 65,536
            // values (a batch-64 step's 512th step), which takes 4 s on an idle core and longer beside the benchmark
            case "compiled" -> new Plan(name, compiled(), 10, 5, 1, 1);
            default -> throw new IllegalArgumentException("unknown set '" + name + "'; known: " + names());
        };
    }

    /** A single JMH run over {@code include} with the benchmarks' own parameter lists (the engines filtered). */
    public static Plan only(String include, Map<String, List<String>> params, int warmups, int measures, double seconds) {
        return new Plan("only " + include, List.of(new Run(include, params)), warmups, measures, seconds);
    }

    private static List<Run> full() {
        List<Run> runs = new ArrayList<>();
        runs.add(run("ElementwiseBench", "engine", ELEMENTWISE_ENGINES,
                "size", List.of("1024", "16384", "262144", "4194304", "16777216")));
        runs.add(run("ReductionBench", "engine", REDUCTION_ENGINES,
                "size", List.of("1024", "65536", "1048576", "16777216")));
        runs.add(run("MatmulBench", "engine", MATMUL_ENGINES, "dtype", List.of("float32", "float64"),
                "size", List.of("64", "128", "256", "512", "1024", "2048")));
        // the plain loop runs at a few GFLOP/s: 2048^3 would take seconds per operation
        runs.add(run("MatmulBench", "engine", List.of("java"), "dtype", List.of("float32", "float64"),
                "size", List.of("64", "128", "256", "512")));
        runs.add(run("BatchedMatmulBench", "engine", with(MATMUL_ENGINES, "java")));
        runs.add(run("TinyOpBench", "engine", TINY_ENGINES));
        runs.add(run("TrainingBench", "engine", List.of("cpu", "cpu-scalar", "opencl", "cuda", "java")));
        runs.add(run("CompiledTrainingBench", "engine", List.of("cpu", "opencl", "cuda")));
        return runs;
    }

    /**
     * Issue 11's table: the tutorials' steps compiled ({@link CompiledTrainingBench}) beside the same steps eager
     * ({@link TrainingBench}) and libtorch eager / TF-Java graph on the linear regression.
     */
    private static List<Run> compiled() {
        List<Run> runs = new ArrayList<>();
        runs.add(run("CompiledTrainingBench", "engine", List.of("cpu")));
        runs.add(run("TrainingBench.linearRegressionBatch1M", "engine", List.of("cpu", "torch", "tf")));
        runs.add(run("TrainingBench.linearRegressionBatch64", "engine", List.of("cpu", "torch", "tf")));
        runs.add(run("TrainingBench.polynomialNadam", "engine", List.of("cpu")));
        // the batch-2^20 step's bound: its 2M normals drawn by the SIMD fill on one thread, then split over the cores
        runs.add(run("RandomBench", "engine", List.of("cpu-1t"), "dtype", List.of("float32")));
        // launch-bound on a device: the same step as a few fused kernels (PoCL here, a GPU where one is present)
        runs.add(run("CompiledTrainingBench.linearRegressionBatch64", "engine", List.of("opencl")));
        runs.add(run("TrainingBench.linearRegressionBatch64", "engine", List.of("opencl")));
        return runs;
    }

    private static List<Run> quick() {
        List<Run> runs = new ArrayList<>();
        runs.add(run("ElementwiseBench", "engine", ELEMENTWISE_ENGINES, "size", List.of("1024", "16777216")));
        runs.add(run("ReductionBench.sum", "engine", REDUCTION_ENGINES, "size", List.of("16777216")));
        runs.add(run("MatmulBench", "engine", with(MATMUL_ENGINES, "java"), "dtype", List.of("float32"),
                "size", List.of("256")));
        runs.add(run("TinyOpBench", "engine", TINY_ENGINES));
        runs.add(run("TrainingBench.linearRegressionBatch64", "engine", List.of("cpu", "java")));
        return runs;
    }

    /**
     * Issue 9's peer table and nothing else: Quiver beside TensorFlow Java ({@code tf}) and libtorch
     * ({@code torch}), each row with the thread setting the issue names ({@code -1t}: one thread; else all cores,
     * two on the machine it was written for). {@link Report} prints it as Quiver ÷ peer ratios.
     */
    private static List<Run> peers() {
        List<Run> runs = new ArrayList<>();
        runs.add(run("MatmulBench", "engine", List.of("cpu-1t", "tf-1t"), "dtype", List.of("float32"),
                "size", List.of("512", "1024", "2048")));
        runs.add(run("MatmulBench", "engine", List.of("cpu", "tf"), "dtype", List.of("float32"),
                "size", List.of("1024", "2048")));
        runs.add(run("MatmulBench", "engine", List.of("cpu-1t", "torch-1t", "tf-1t"), "dtype", List.of("float64"),
                "size", List.of("1024")));
        runs.add(run("ElementwiseBench.add", "engine", List.of("cpu", "tf", "torch"), "size", List.of("16777216")));
        runs.add(run("ReductionBench.sum", "engine", List.of("cpu-1t", "torch-1t", "cpu", "torch"),
                "size", List.of("16777216")));
        runs.add(run("RandomBench.normal", "engine", List.of("cpu-1t", "torch-1t"), "dtype", List.of("float32"),
                "size", List.of("1048576")));
        runs.add(run("TrainingBench.linearRegressionBatch1M", "engine", List.of("cpu", "torch", "tf")));
        runs.add(run("TrainingBench.linearRegressionBatch64", "engine", List.of("cpu", "torch", "tf")));
        return runs;
    }

    private static List<String> with(List<String> engines, String extra) {
        List<String> all = new ArrayList<>(engines);
        all.add(extra);
        return all;
    }

    private static Run run(String benchmark, Object... params) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> values = (List<String>) params[i + 1];
            map.put((String) params[i], values);
        }
        // anchored on the class name so that "MatmulBench" does not also select "BatchedMatmulBench"
        String include = benchmark.contains(".") ? "\\." + benchmark.replace(".", "\\.") + "$"
                : "\\." + benchmark + "\\.";
        return new Run(include, map);
    }
}
