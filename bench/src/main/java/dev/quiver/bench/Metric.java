package dev.quiver.bench;

import java.util.Map;

/**
 * Turns a JMH score (operations per second) into the unit a reader compares: GB/s for memory-bound kernels
 * (the minimum bytes an op must move), GFLOP/s for products, ns/op for dispatch overhead, samples/s for training.
 *
 * <pre>{@code
 * Metric.of("MatmulBench.matmul").value(Map.of("size", "1024"), 50.0);   // 107.4 (GFLOP/s)
 * }</pre>
 *
 * @param unit          what {@link #value} returns
 * @param lowerIsBetter true for ns/op
 */
public record Metric(String unit, boolean lowerIsBetter, Per per) {
    /** The amount of work (bytes, FLOPs, samples) in one operation, from the benchmark's parameters. */
    interface Per {
        double amount(Map<String, String> params);
    }

    /** The metric of a benchmark named {@code Class.method}. */
    public static Metric of(String benchmark) {
        return switch (benchmark) {
            case "ElementwiseBench.add" -> new Metric("GB/s", false, p -> 12.0 * size(p) / 1e9);
            case "ElementwiseBench.mulAdd" -> new Metric("GB/s", false, p -> 16.0 * size(p) / 1e9);
            case "ReductionBench.sum", "ReductionBench.mean" -> new Metric("GB/s", false, p -> 4.0 * size(p) / 1e9);
            case "MatmulBench.matmul" -> new Metric("GFLOP/s", false, p -> 2.0 * cube(size(p)) / 1e9);
            case "BatchedMatmulBench.matmul" -> new Metric("GFLOP/s", false,
                    p -> Double.parseDouble(p.get("batch")) * 2.0 * cube(size(p)) / 1e9);
            case "TinyOpBench.add" -> new Metric("ns/op", true, p -> 1e9);
            case "RandomBench.normal" -> new Metric("ms/op", true, p -> 1e3);
            case "TrainingBench.linearRegressionBatch64" -> new Metric("samples/s", false, p -> 64);
            case "TrainingBench.linearRegressionBatch1M" -> new Metric("samples/s", false, p -> 1 << 20);
            case "TrainingBench.polynomialNadam" -> new Metric("samples/s", false, p -> 20);
            default -> new Metric("ops/s", false, p -> 1);
        };
    }

    /** The metric's value for a score in operations per second. */
    public double value(Map<String, String> params, double opsPerSecond) {
        double amount = per.amount(params);
        return lowerIsBetter ? amount / opsPerSecond : amount * opsPerSecond;
    }

    /** The error of {@link #value} for a score with error {@code error} (first order: lower-is-better inverts). */
    public double error(Map<String, String> params, double opsPerSecond, double error) {
        double amount = per.amount(params);
        return lowerIsBetter ? amount * error / (opsPerSecond * opsPerSecond) : amount * error;
    }

    private static double size(Map<String, String> params) {
        return Double.parseDouble(params.get("size"));
    }

    private static double cube(double n) {
        return n * n * n;
    }
}
