package dev.quiver.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The harness without JMH: engines, kernels' agreement at small sizes, metrics and the report. Fast by design. */
class BenchHarnessTest {
    @Test
    void enginesSayWhyTheyCannotRun() {
        assertNull(Engines.unavailableReason("java"));
        assertNull(Engines.unavailableReason("cpu"));
        assertNull(Engines.unavailableReason("cpu-1t"));
        String reason = Engines.unavailableReason("no-such-backend");
        assertNotNull(reason);
        assertTrue(reason.contains("no-such-backend") && reason.contains("cpu"), reason);
        assertEquals("cpu", Engines.backendName("cpu-scalar"));
        assertTrue(Engines.isPeer("nd4j-1t") && Engines.isPeer("java") && Engines.isQuiver("opencl"));
    }

    @Test
    void quiverAndJavaKernelsAgreeAtOddSizes() {
        Kernels.prepare("cpu");
        float[] a = Data.floats(1031, 1);
        float[] b = Data.floats(1031, 2);
        float[] c = Data.floats(1031, 3);
        for (String engine : List.of("cpu", "java")) {
            Kernel add = Kernels.add(engine, a, b);
            Kernel mulAdd = Kernels.mulAdd(engine, a, b, c);
            Kernel sum = Kernels.sum(engine, a, false);
            double[] sums = add.read(add.run());
            double[] fused = mulAdd.read(mulAdd.run());
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i] + b[i], sums[i], 0.0, engine);
                assertEquals(a[i] * b[i] + c[i], fused[i], 1e-6, engine);
            }
            double exact = 0;
            for (float v : a) {
                exact += v;
            }
            assertEquals(exact, sum.read(sum.run())[0], 1e-3, engine);
        }
        // MatmulBench's own sampled check, on both engines and both dtypes, batched and not
        for (String engine : List.of("cpu", "java")) {
            for (String dtype : List.of("float32", "float64")) {
                assertNotNull(MatmulBench.create(engine, dtype, 0, 37));
                assertNotNull(MatmulBench.create(engine, dtype, 3, 19));
            }
        }
    }

    @Test
    void agreementCheckRejectsAWrongKernel() {
        AssertionError error = assertThrows(AssertionError.class,
                () -> Data.check("add on fast-but-wrong", new double[] {1, 2}, new double[] {1, 2.5}, 1e-6));
        assertTrue(error.getMessage().contains("fast-but-wrong") && error.getMessage().contains("element 1"));
    }

    @Test
    void trainingStepsConvergeOnBothEngines() {
        Kernels.prepare("cpu");
        for (TrainingBench.Step step : List.of(TrainingBench.quiverLinear(64), TrainingBench.javaLinear(64))) {
            for (int i = 0; i < TrainingBench.LINEAR_CHECK_STEPS; i++) {
                step.run();
            }
            Data.check("linear", new double[] {7, 4}, step.parameters(), 0.25);
        }
        TrainingBench.Step polynomial = TrainingBench.javaPolynomial();
        for (int i = 0; i < 2000; i++) {
            polynomial.run();
        }
        Data.check("polynomial", new double[] {1, 2, 3}, polynomial.parameters(), 0.05);
    }

    @Test
    void metricsAndReportRatios() {
        assertEquals(2 * 1024.0 * 1024 * 1024 * 10 / 1e9,
                Metric.of("MatmulBench.matmul").value(Map.of("size", "1024"), 10), 1e-9);
        assertEquals(500.0, Metric.of("TinyOpBench.add").value(Map.of(), 2e6), 1e-9);
        List<Report.Row> rows = List.of(
                new Report.Row("MatmulBench.matmul", Map.of("dtype", "float32", "size", "1024"), "cpu", 200, 1),
                new Report.Row("MatmulBench.matmul", Map.of("dtype", "float32", "size", "1024"), "nd4j", 100, 1),
                new Report.Row("MatmulBench.matmul", Map.of("dtype", "float32", "size", "1024"), "cpu-1t", 90, 1),
                new Report.Row("MatmulBench.matmul", Map.of("dtype", "float32", "size", "1024"), "nd4j-1t", 100, 1));
        String md = new Report("test", rows, Map.of("cuda", "no driver"), List.of(), "--set test", true).markdown();
        assertTrue(md.contains("| cpu ÷ nd4j | cpu-1t ÷ nd4j-1t |"), md);
        assertTrue(md.contains("| 2.00× | 0.90× |"), md);
        assertTrue(md.contains("cpu-1t ÷ nd4j-1t | 193.3 vs 214.7 GFLOP/s | 0.90 | ≥ 1.00 | **missed** |"), md);
        assertTrue(md.contains("Skipped engine `cuda`: no driver"), md);
        assertTrue(Report.comparable("cpu-1t", "java") && !Report.comparable("cpu-scalar", "nd4j")
                && !Report.comparable("cpu", "nd4j-1t"));
    }

    @Test
    void plansAnchorBenchmarkNames() {
        Plan full = Plan.named("full");
        assertTrue(full.runs().stream().anyMatch(r -> r.include().equals("\\.MatmulBench\\.")));
        assertTrue(java.util.regex.Pattern.compile("\\.MatmulBench\\.").matcher("dev.quiver.bench.BatchedMatmulBench.matmul")
                .find() == false);
        assertThrows(IllegalArgumentException.class, () -> Plan.named("nope"));
    }
}
