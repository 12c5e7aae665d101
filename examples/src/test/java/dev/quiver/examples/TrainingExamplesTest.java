package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class TrainingExamplesTest {
    private static final ExampleArgs NO_PLOTS = ExampleArgs.defaults().withoutPlots();

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {42, 1, 7})
    void linearRegressionFindsSevenAndFour(long seed) {
        Capture capture = new Capture();
        LinearRegression.Result result = LinearRegression.run(NO_PLOTS.withSeed(seed), capture.out);
        assertEquals(7.0, result.w(), 0.2, capture.text());
        assertEquals(4.0, result.b(), 0.2, capture.text());
        // history: the start, then one value after every iteration; the last entry is the final value
        assertEquals(LinearRegression.ITERATIONS + 1, result.wHistory().length);
        assertEquals(10.0f, result.wHistory()[0]);
        assertEquals(1.0f, result.bHistory()[0]);
        assertEquals(result.w(), result.wHistory()[LinearRegression.ITERATIONS]);
        assertTrue(capture.text().contains("At iter 0, w=10.000, b=1.000\n"), capture.text());
        assertTrue(capture.text().contains("At iter 90, "), capture.text());
        assertTrue(result.plots().isEmpty());
        // the loop keeps everything on the backend: only the 10 printed (w, b) pairs come back
        assertEquals(0, result.loop().transfers().uploads(), result.loop().transfers().toString());
        assertEquals(2 * LinearRegression.ITERATIONS / LinearRegression.PRINT_EVERY,
                result.loop().transfers().downloads(), result.loop().transfers().toString());
    }

    @Test
    void linearRegressionIsReproducibleFromItsSeed() {
        LinearRegression.Result first = LinearRegression.run(NO_PLOTS.withSeed(5), new Capture().out);
        LinearRegression.Result second = LinearRegression.run(NO_PLOTS.withSeed(5), new Capture().out);
        assertEquals(first.w(), second.w());
        assertEquals(first.b(), second.b());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {42, 3})
    void polynomialRegressionRecoversOneTwoThree(long seed) {
        Capture capture = new Capture();
        PolynomialRegression.Result result = PolynomialRegression.run(NO_PLOTS.withSeed(seed), capture.out);
        float[] coefficients = result.coefficients();
        for (int i = 0; i < 3; i++) {
            assertEquals(PolynomialRegression.TRUE_COEFFICIENTS[i], coefficients[i], 0.05, capture.text());
        }
        assertTrue(capture.text().contains("Initial coefficients: "), capture.text());
        assertTrue(capture.text().contains("Final coefficients: "), capture.text());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {42, 1, 2})
    void equationPuzzleResidualVanishes(long seed) {
        Capture capture = new Capture();
        EquationPuzzle.Result result = EquationPuzzle.run(NO_PLOTS.withSeed(seed), capture.out);
        assertTrue(result.maxResidual() < 1e-3, capture.text());
        // the printed values themselves satisfy the equations, not just the loss on the backend
        assertEquals(9, result.a() + result.b(), 1e-3);
        assertEquals(1, result.c() - result.d(), 1e-3);
        assertEquals(8, result.a() + result.c(), 1e-3);
        assertEquals(2, result.b() - result.d(), 1e-3);
        assertEquals(EquationPuzzle.STEPS, result.lossHistory().length);
        assertEquals(0, result.loop().transfers().uploads(), result.loop().transfers().toString());
        assertEquals(0, result.loop().transfers().downloads(), result.loop().transfers().toString());
    }

    @Test
    void compiledTutorialsPrintTheEagerNumbersExactlyUnfusedAndWithinRoundingFused() {
        CompiledAgreement.assertTutorialsAgree(NO_PLOTS.withSeed(3));
    }

    @Test
    void everyMicrosecondFigureSaysWhetherItIsColdOrWarm() {
        TrainingLoop.Meter first = TrainingLoop.start("a tutorial of this test");
        TrainingLoop cold = first.finish(10);
        TrainingLoop warm = TrainingLoop.start("a tutorial of this test").finish(10);
        assertTrue(cold.cold() && !warm.cold());
        assertTrue(cold.describe().contains(" µs/step cold (first run in this JVM: JIT compilation included; "
                + "./quiver compare reports the warm median)"), cold.describe());
        assertTrue(warm.describe().contains(" µs/step warm (run 2 in this JVM)"), warm.describe());

        Capture capture = new Capture();
        EquationPuzzle.Result puzzle = EquationPuzzle.run(NO_PLOTS, capture.out);
        String loopLine = capture.text().lines().filter(line -> line.startsWith("Training loop: ")).findFirst()
                .orElseThrow();
        assertTrue(loopLine.contains("µs/step " + (puzzle.loop().cold() ? "cold" : "warm")), loopLine);
        // off a terminal there is no progress line: no carriage returns, no extra downloads
        assertFalse(capture.text().contains("\r"), capture.text());
        assertEquals(0, puzzle.loop().progressReads());
    }

    /** Compiled, the plots are drawn from the history the step kept on the device. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ExampleArgs.Execution.class, names = {"EAGER", "COMPILED"})
    void plotsAreWrittenAsNonEmptyPngFiles(ExampleArgs.Execution execution, @TempDir Path directory)
            throws IOException {
        ExampleArgs withPlots = ExampleArgs.defaults().withPlots(directory).withExecution(execution);
        List<Path> plots = new ArrayList<>();
        Capture linear = new Capture();
        plots.addAll(LinearRegression.run(withPlots, linear.out).plots());
        // each plot is printed with its absolute path, so it is found wherever the program ran from
        assertTrue(linear.text().contains("Plot: " + directory.toAbsolutePath().resolve("linear-regression-data.png")
                + "\n"), linear.text());
        plots.addAll(PolynomialRegression.run(withPlots, new Capture().out).plots());
        plots.addAll(EquationPuzzle.run(withPlots, new Capture().out).plots());
        assertEquals(List.of(directory.resolve("linear-regression-data.png"),
                directory.resolve("linear-regression-parameters.png"),
                directory.resolve("polynomial-regression.png"),
                directory.resolve("equation-puzzle-loss.png")), plots);
        byte[] pngSignature = {(byte) 0x89, 'P', 'N', 'G'};
        for (Path plot : plots) {
            assertTrue(Files.size(plot) > 1000, plot + " is too small to be a plot");
            byte[] head = new byte[4];
            System.arraycopy(Files.readAllBytes(plot), 0, head, 0, 4);
            assertEquals(new String(pngSignature, java.nio.charset.StandardCharsets.ISO_8859_1),
                    new String(head, java.nio.charset.StandardCharsets.ISO_8859_1), plot + " is not a PNG");
        }
    }
}
