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
    void badOptionsAreErrorsWithTheUsage() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ExampleArgs.parse("--sed", "3"));
        assertTrue(unknown.getMessage().contains("unknown option '--sed'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("--no-plots"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExampleArgs.parse("--seed", "many"));
        assertThrows(IllegalArgumentException.class, () -> ExampleArgs.parse("--backend"));
    }
}
