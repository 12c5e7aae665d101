package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiver.Quiver;
import dev.quiver.conformance.BackendConformance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The four tutorials print the same numbers on the OpenCL backend as on the CPU backend, and the regression loops
 * stay on the device there too. On CI the OpenCL device is PoCL and this test must run (it fails rather than skip).
 */
class BackendAgreementTest {
    private static final ExampleArgs CPU = ExampleArgs.defaults().withoutPlots().withBackend("cpu");
    private static final ExampleArgs OPENCL = CPU.withBackend("opencl");

    @BeforeAll
    static void requireOpenCl() {
        BackendConformance.assumeRunnable("opencl", true);   // on CI: PoCL, and a failure rather than a skip
    }

    @AfterAll
    static void backToCpu() {
        Quiver.use("cpu");
    }

    @Test
    void seedBasicsPrintsTheSameLines() {
        Capture cpu = new Capture();
        SeedBasics.run(CPU, cpu.out);
        Capture opencl = new Capture();
        SeedBasics.run(OPENCL, opencl.out);
        assertEquals(BackendComparison.numbers(cpu.text()), BackendComparison.numbers(opencl.text()));
    }

    @Test
    void linearRegressionAgreesAndMakesNoTransfersPerStep() {
        Capture cpuText = new Capture();
        LinearRegression.Result cpu = LinearRegression.run(CPU, cpuText.out);
        Capture openclText = new Capture();
        LinearRegression.Result opencl = LinearRegression.run(OPENCL, openclText.out);
        assertEquals(cpu.w(), opencl.w(), 1e-5, openclText.text());
        assertEquals(cpu.b(), opencl.b(), 1e-5, openclText.text());
        assertArrayEquals(cpu.wHistory(), opencl.wHistory(), 1e-5f);
        assertEquals(BackendComparison.numbers(cpuText.text()), BackendComparison.numbers(openclText.text()));
        // per step: no uploads at all, and downloads only for the 10 printed (w, b) pairs of 4 bytes each
        int printed = 2 * LinearRegression.ITERATIONS / LinearRegression.PRINT_EVERY;
        assertEquals(0, opencl.loop().transfers().uploads(), opencl.loop().describe());
        assertEquals(0, opencl.loop().transfers().uploadBytes(), opencl.loop().describe());
        assertEquals(printed, opencl.loop().transfers().downloads(), opencl.loop().describe());
        assertEquals(4L * printed, opencl.loop().transfers().downloadBytes(), opencl.loop().describe());
    }

    @Test
    void polynomialRegressionAgreesAndStaysOnTheDevice() {
        Capture cpuText = new Capture();
        PolynomialRegression.Result cpu = PolynomialRegression.run(CPU, cpuText.out);
        Capture openclText = new Capture();
        PolynomialRegression.Result opencl = PolynomialRegression.run(OPENCL, openclText.out);
        assertArrayEquals(cpu.initialCoefficients(), opencl.initialCoefficients(), openclText.text());
        assertArrayEquals(cpu.coefficients(), opencl.coefficients(), 1e-4f, openclText.text());
        int printed = PolynomialRegression.STEPS / PolynomialRegression.PRINT_EVERY;
        assertEquals(0, opencl.loop().transfers().uploads(), opencl.loop().describe());
        assertEquals(printed, opencl.loop().transfers().downloads(), opencl.loop().describe());
        assertEquals(4L * printed, opencl.loop().transfers().downloadBytes(), opencl.loop().describe());
    }

    @Test
    void equationPuzzleAgreesWithNoTransfersAtAll() {
        EquationPuzzle.Result cpu = EquationPuzzle.run(CPU, new Capture().out);
        Capture openclText = new Capture();
        EquationPuzzle.Result opencl = EquationPuzzle.run(OPENCL, openclText.out);
        assertEquals(cpu.a(), opencl.a(), 1e-4, openclText.text());
        assertEquals(cpu.b(), opencl.b(), 1e-4, openclText.text());
        assertEquals(cpu.c(), opencl.c(), 1e-4, openclText.text());
        assertEquals(cpu.d(), opencl.d(), 1e-4, openclText.text());
        assertEquals(0, opencl.loop().transfers().uploads() + opencl.loop().transfers().downloads(),
                opencl.loop().describe());
    }
}
