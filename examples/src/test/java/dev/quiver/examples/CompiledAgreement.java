package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

/**
 * Runs the three training tutorials eagerly and with {@code --compiled} and checks that they give the same results
 * and print the same numbers: exactly without fusion ({@code --no-fusion}), within float rounding with it.
 */
final class CompiledAgreement {
    /** Relative difference a fused sum's other order may make in a tutorial's results. */
    static final double TOLERANCE = 1e-4;

    private CompiledAgreement() {
    }

    /** A tutorial's result with what it printed. */
    record Printed<R>(R result, Capture text) {
    }

    /**
     * The three training tutorials run eagerly with the same options: made once per backend and shared by the tests
     * that need them (on PoCL the eager loops take most of the suite's time).
     */
    record EagerRuns(ExampleArgs args, Printed<LinearRegression.Result> linear,
                     Printed<PolynomialRegression.Result> polynomial, Printed<EquationPuzzle.Result> puzzle) {
        static EagerRuns of(ExampleArgs args) {
            assertTrue(!args.execution().compiled(), args.toString());
            Capture linear = new Capture();
            LinearRegression.Result linearResult = LinearRegression.run(args, linear.out);
            Capture polynomial = new Capture();
            PolynomialRegression.Result polynomialResult = PolynomialRegression.run(args, polynomial.out);
            Capture puzzle = new Capture();
            EquationPuzzle.Result puzzleResult = EquationPuzzle.run(args, puzzle.out);
            return new EagerRuns(args, new Printed<>(linearResult, linear),
                    new Printed<>(polynomialResult, polynomial), new Printed<>(puzzleResult, puzzle));
        }
    }

    /** {@link #assertTutorialsAgree(EagerRuns)} after running the tutorials eagerly with {@code eagerArgs}. */
    static void assertTutorialsAgree(ExampleArgs eagerArgs) {
        assertTutorialsAgree(EagerRuns.of(eagerArgs));
    }

    /**
     * Runs each tutorial with the eager runs' options compiled, without fusion (the eager numbers exactly) and with
     * fusion (the eager numbers within {@link #TOLERANCE}).
     */
    static void assertTutorialsAgree(EagerRuns eagerRuns) {
        ExampleArgs unfused = eagerRuns.args().withExecution(ExampleArgs.Execution.COMPILED_UNFUSED);
        ExampleArgs fused = eagerRuns.args().withExecution(ExampleArgs.Execution.COMPILED);

        Capture eagerText = eagerRuns.linear().text();
        LinearRegression.Result eager = eagerRuns.linear().result();
        assertNull(eager.compiled(), "the eager loop compiles nothing");
        for (ExampleArgs compiledArgs : List.of(unfused, fused)) {
            double tolerance = compiledArgs == unfused ? 0 : TOLERANCE;
            Capture compiledText = new Capture();
            LinearRegression.Result compiled = LinearRegression.run(compiledArgs, compiledText.out);
            assertClose(eager.w(), compiled.w(), tolerance, "linear-regression w");
            assertClose(eager.b(), compiled.b(), tolerance, "linear-regression b");
            assertClose(eager.wHistory(), compiled.wHistory(), tolerance, "linear-regression w per iteration");
            assertClose(eager.bHistory(), compiled.bHistory(), tolerance, "linear-regression b per iteration");
            assertSamePrints(eagerText, compiledText, tolerance);
            assertCompiled(compiled.compiled(), compiled.loop(), LinearRegression.ITERATIONS);
        }

        eagerText = eagerRuns.polynomial().text();
        PolynomialRegression.Result eagerFit = eagerRuns.polynomial().result();
        for (ExampleArgs compiledArgs : List.of(unfused, fused)) {
            double tolerance = compiledArgs == unfused ? 0 : TOLERANCE;
            Capture compiledText = new Capture();
            PolynomialRegression.Result compiledFit = PolynomialRegression.run(compiledArgs, compiledText.out);
            assertArrayEquals(eagerFit.initialCoefficients(), compiledFit.initialCoefficients());
            assertClose(eagerFit.coefficients(), compiledFit.coefficients(), tolerance, "polynomial coefficients");
            assertClose(eagerFit.finalLoss(), compiledFit.finalLoss(), tolerance, "polynomial final loss");
            assertSamePrints(eagerText, compiledText, tolerance);
            assertCompiled(compiledFit.compiled(), compiledFit.loop(), PolynomialRegression.STEPS);
        }

        eagerText = eagerRuns.puzzle().text();
        EquationPuzzle.Result eagerPuzzle = eagerRuns.puzzle().result();
        for (ExampleArgs compiledArgs : List.of(unfused, fused)) {
            double tolerance = compiledArgs == unfused ? 0 : TOLERANCE;
            Capture compiledText = new Capture();
            EquationPuzzle.Result compiledPuzzle = EquationPuzzle.run(compiledArgs, compiledText.out);
            assertClose(new float[] {eagerPuzzle.a(), eagerPuzzle.b(), eagerPuzzle.c(), eagerPuzzle.d()},
                    new float[] {compiledPuzzle.a(), compiledPuzzle.b(), compiledPuzzle.c(), compiledPuzzle.d()},
                    tolerance, "puzzle A, B, C, D");
            assertClose(eagerPuzzle.lossHistory(), compiledPuzzle.lossHistory(), tolerance, "puzzle loss per step");
            assertSamePrints(eagerText, compiledText, tolerance);
            assertCompiled(compiledPuzzle.compiled(), compiledPuzzle.loop(), EquationPuzzle.STEPS);
        }
    }

    /** The compiled run replayed all but its first steps, touching the host not at all, in fewer backend calls. */
    private static void assertCompiled(CompiledTraining.Run compiled, TrainingLoop loop, int steps) {
        assertNotNull(compiled);
        assertEquals(steps, compiled.losses().shape().dims()[0], "a loss per step");
        assertEquals(steps - CompiledTraining.FIRST_STEPS, loop.steps(), loop.describe());
        assertEquals(0, loop.transfers().uploads() + loop.transfers().downloads(), loop.describe());
        assertTrue(compiled.callsPerStep() <= compiled.eagerCallsPerStep(), compiled.describe());
    }

    private static void assertSamePrints(Capture eager, Capture compiled, double tolerance) {
        var eagerLines = BackendComparison.numbers(eager.text());
        var compiledLines = BackendComparison.numbers(compiled.text());
        if (tolerance == 0) {
            assertEquals(eagerLines, compiledLines, compiled.text());
        } else {
            BackendComparison.Agreement agreement = BackendComparison.agreement(eagerLines, compiledLines);
            assertTrue(agreement.withinRounding(), agreement + "\n" + eager.text() + "\n" + compiled.text());
        }
    }

    private static void assertClose(float expected, float actual, double tolerance, String what) {
        assertClose(new float[] {expected}, new float[] {actual}, tolerance, what);
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        if (tolerance == 0) {
            assertArrayEquals(expected, actual, what);
            return;
        }
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double allowed = tolerance * Math.max(Math.abs(expected[i]), Math.abs(actual[i])) + 1e-6;
            assertEquals(expected[i], actual[i], allowed, what + " [" + i + "]");
        }
    }
}
