package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ExampleArgsTest {
    @Test
    void defaultsLeaveTheBackendToQuiver() {
        ExampleArgs args = ExampleArgs.parse();
        assertNull(args.backend());
        assertEquals(42, args.seed());
        assertEquals(Path.of("quiver-plots"), args.plotDirectory());
        assertTrue(args.plots());
    }

    @Test
    void parsesEveryOptionInBothForms() {
        ExampleArgs args = ExampleArgs.parse("--backend", "cpu", "--seed=7", "--plots", "out", "--no-plots");
        assertEquals("cpu", args.backend());
        assertEquals(7, args.seed());
        assertEquals(Path.of("out"), args.plotDirectory());
        assertFalse(args.plots());
        assertEquals("auto", ExampleArgs.parse("--backend=auto").backend());
    }

    @Test
    void compiledAndNoFusionChooseHowTheStepsRun() {
        assertEquals(ExampleArgs.Execution.EAGER, ExampleArgs.parse().execution());
        assertEquals(ExampleArgs.Execution.COMPILED, ExampleArgs.parse("--compiled").execution());
        assertEquals(ExampleArgs.Execution.COMPILED_UNFUSED,
                ExampleArgs.parse("--no-fusion", "--seed", "3", "--compiled").execution());
        // the with... copies keep it
        assertEquals(ExampleArgs.Execution.COMPILED,
                ExampleArgs.parse("--compiled").withSeed(1).withBackend("cpu").withoutPlots().execution());
        IllegalArgumentException alone = assertThrows(IllegalArgumentException.class,
                () -> ExampleArgs.parse("--no-fusion"));
        assertTrue(alone.getMessage().startsWith("--no-fusion only applies to --compiled"), alone.getMessage());
        IllegalArgumentException valued = assertThrows(IllegalArgumentException.class,
                () -> ExampleArgs.parse("--compiled=no"));
        assertTrue(valued.getMessage().startsWith("--compiled takes no value"), valued.getMessage());
    }

    @Test
    void badOptionsAreErrorsWithTheUsage() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ExampleArgs.parse("--sed", "3"));
        assertTrue(unknown.getMessage().contains("unknown option '--sed'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("--no-plots"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExampleArgs.parse("--seed", "many"));
        assertThrows(IllegalArgumentException.class, () -> ExampleArgs.parse("--backend"));
    }
}
