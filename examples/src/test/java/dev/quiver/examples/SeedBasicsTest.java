package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SeedBasicsTest {
    private static SeedBasics.Result result;
    private static String printed;

    @BeforeAll
    static void runOnce() {
        Capture capture = new Capture();
        result = SeedBasics.run(ExampleArgs.defaults().withoutPlots(), capture.out);
        printed = capture.text();
    }

    @Test
    void printsTheBackendFirst() {
        assertTrue(printed.startsWith("Backend: "), printed);
    }

    @Test
    void constantsKeepTheirJavaTypeAndShape() {
        assertArrayEquals(new int[] {1, 3}, result.constantShape());
        assertEquals(DType.INT32, result.constantDType());
        assertTrue(printed.contains("Tensor([[10 20 30]], shape=(1, 3), dtype=int32)"), printed);
        assertTrue(printed.contains("Tensor([1.0 2.0 3.0], shape=(3,), dtype=float32)"), printed);
    }

    @Test
    void variablesAndMatmul() {
        assertArrayEquals(new float[][] {{4, 5}, {6, 7}}, result.variableAfterUpdates());
        assertArrayEquals(new float[][] {{19, 22}, {43, 50}}, result.matmul());
    }

    @Test
    void firstAndSecondDerivativesOfXCubed() {
        assertEquals(27.0f, result.gradient());
        assertEquals(18.0f, result.secondOrderGradient());
        assertTrue(printed.contains("gradient at x=3.0 is 27.0\n"), printed);
        assertTrue(printed.contains("2nd order gradient at x=3.0 is 18.0\n"), printed);
    }

    @Test
    void constantsAreWatchedOnlyWhenAsked() {
        assertEquals(6.0f, result.watchedConstantGradient());
        assertTrue(result.unwatchedGradientIsNull());
        assertTrue(printed.contains("gradient of an unwatched constant: null\n"), printed);
    }

    @Test
    void persistentTapeAnswersSeveralGradients() {
        assertEquals(54.0f, result.dzDx());
        assertEquals(27.0f, result.dyDx());
        assertEquals(2.0f, result.dzDy());
        assertTrue(printed.contains("dz_dx = 54.0\ndy_dx = 27.0\n"), printed);
    }

    @Test
    void gradientsForAListOfVariables() {
        assertArrayEquals(new float[] {28, 14}, result.listGradients());
    }

    @Test
    void theAutogradArticleExample() {
        assertEquals(3.6f, result.x());
        assertEquals(7.2f, result.xSquaredGradient());
        assertTrue(printed.contains("x=3.6\nTensor(7.2, shape=(), dtype=float32)\n"), printed);
    }

    @Test
    void nonPersistentTapeRefusesASecondCallClearly() {
        assertTrue(result.nonPersistentError().contains("only be called once on a non-persistent tape"),
                result.nonPersistentError());
    }

    @Test
    void stopGradientAndJacobian() {
        assertEquals(3.0f, result.stopGradientGradient());
        assertArrayEquals(new float[][] {{2, 0, 0}, {0, 4, 0}, {0, 0, 6}}, result.jacobian());
    }
}
