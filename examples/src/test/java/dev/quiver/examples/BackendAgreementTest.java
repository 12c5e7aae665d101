package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiver.Quiver;
import dev.quiver.conformance.BackendConformance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The four tutorials print the same numbers on a device backend (OpenCL here; {@code CudaAgreementTest} runs the same
 * checks on CUDA) as on the CPU backend, and the regression loops stay on the device there too; compiled
 * ({@code --compiled}), they print the device's eager numbers, and batched-regression agrees with the CPU. On CI the OpenCL
 * device is PoCL and this test must run (it fails rather than skip).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendAgreementTest {
    private static final ExampleArgs CPU = ExampleArgs.defaults().withoutPlots().withBackend("cpu");

    /** The device backend compared with the CPU. */
    protected String deviceBackend() {
        return "opencl";
    }

    /** Whether CI must run it rather than skip (OpenCL runs on PoCL there). */
    protected boolean requiredInCi() {
        return true;
    }

    private CompiledAgreement.EagerRuns deviceEager;

    private ExampleArgs device() {
        return CPU.withBackend(deviceBackend());
    }

    /** The eager tutorials on the device, run once for the tests that compare with them (PoCL is slow at them). */
    private CompiledAgreement.EagerRuns deviceEager() {
        if (deviceEager == null) {
            deviceEager = CompiledAgreement.EagerRuns.of(device());
        }
        return deviceEager;
    }

    @BeforeAll
    void requireDevice() {
        BackendConformance.assumeRunnable(deviceBackend(), requiredInCi());
    }

    @AfterAll
    void backToCpu() {
        Quiver.use("cpu");
    }

    @Test
    void seedBasicsPrintsTheSameLines() {
        Capture cpu = new Capture();
        SeedBasics.run(CPU, cpu.out);
        Capture device = new Capture();
        SeedBasics.run(device(), device.out);
        assertEquals(BackendComparison.numbers(cpu.text()), BackendComparison.numbers(device.text()));
    }

    @Test
    void linearRegressionAgreesAndMakesNoTransfersPerStep() {
        Capture cpuText = new Capture();
        LinearRegression.Result cpu = LinearRegression.run(CPU, cpuText.out);
        Capture deviceText = deviceEager().linear().text();
        LinearRegression.Result device = deviceEager().linear().result();
        assertEquals(cpu.w(), device.w(), 1e-5, deviceText.text());
        assertEquals(cpu.b(), device.b(), 1e-5, deviceText.text());
        assertArrayEquals(cpu.wHistory(), device.wHistory(), 1e-5f);
        assertEquals(BackendComparison.numbers(cpuText.text()), BackendComparison.numbers(deviceText.text()));
        // per step: no uploads at all, and downloads only for the 10 printed (w, b) pairs of 4 bytes each
        int printed = 2 * LinearRegression.ITERATIONS / LinearRegression.PRINT_EVERY;
        assertEquals(0, device.loop().transfers().uploads(), device.loop().describe());
        assertEquals(0, device.loop().transfers().uploadBytes(), device.loop().describe());
        assertEquals(printed, device.loop().transfers().downloads(), device.loop().describe());
        assertEquals(4L * printed, device.loop().transfers().downloadBytes(), device.loop().describe());
    }

    @Test
    void polynomialRegressionAgreesAndStaysOnTheDevice() {
        Capture cpuText = new Capture();
        PolynomialRegression.Result cpu = PolynomialRegression.run(CPU, cpuText.out);
        Capture deviceText = deviceEager().polynomial().text();
        PolynomialRegression.Result device = deviceEager().polynomial().result();
        assertArrayEquals(cpu.initialCoefficients(), device.initialCoefficients(), deviceText.text());
        assertArrayEquals(cpu.coefficients(), device.coefficients(), 1e-4f, deviceText.text());
        int printed = PolynomialRegression.STEPS / PolynomialRegression.PRINT_EVERY;
        assertEquals(0, device.loop().transfers().uploads(), device.loop().describe());
        assertEquals(printed, device.loop().transfers().downloads(), device.loop().describe());
        assertEquals(4L * printed, device.loop().transfers().downloadBytes(), device.loop().describe());
    }

    @Test
    void compiledTutorialsPrintTheEagerNumbersExactlyUnfusedAndWithinRoundingFused() {
        CompiledAgreement.assertTutorialsAgree(deviceEager());
    }

    @Test
    void batchedRegressionAgreesWithTheCpu() {
        BatchedRegression.Result cpu = BatchedRegression.run(CPU, new Capture().out, 40, 8);
        Capture deviceText = new Capture();
        BatchedRegression.Result device = BatchedRegression.run(device(), deviceText.out, 40, 8);
        assertArrayEquals(cpu.trueW(), device.trueW(), deviceText.text());
        assertArrayEquals(cpu.w(), device.w(), 1e-5f, deviceText.text());
        assertArrayEquals(cpu.b(), device.b(), 1e-5f, deviceText.text());
        assertArrayEquals(cpu.losses(), device.losses(), 1e-4f * cpu.losses()[0], deviceText.text());
        assertEquals(0, device.loop().transfers().uploads() + device.loop().transfers().downloads(),
                device.loop().describe());
    }

    @Test
    void equationPuzzleAgreesWithNoTransfersAtAll() {
        EquationPuzzle.Result cpu = EquationPuzzle.run(CPU, new Capture().out);
        Capture deviceText = deviceEager().puzzle().text();
        EquationPuzzle.Result device = deviceEager().puzzle().result();
        assertEquals(cpu.a(), device.a(), 1e-4, deviceText.text());
        assertEquals(cpu.b(), device.b(), 1e-4, deviceText.text());
        assertEquals(cpu.c(), device.c(), 1e-4, deviceText.text());
        assertEquals(cpu.d(), device.d(), 1e-4, deviceText.text());
        assertEquals(0, device.loop().transfers().uploads() + device.loop().transfers().downloads(),
                device.loop().describe());
    }
}
