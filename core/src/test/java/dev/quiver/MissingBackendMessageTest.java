package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Core's own tests run with no backend module on the class path: exactly a user's project that forgot to add one.
 * The error must name the artifact to add, not only say that no provider was found.
 */
class MissingBackendMessageTest {
    @Test
    void namingABackendThatIsNotOnTheClassPathNamesItsArtifact() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Quiver.use("cpu"));
        assertTrue(error.getMessage().contains("unknown backend 'cpu'"), error.getMessage());
        assertTrue(error.getMessage().contains("dev.quiver:quiver-backend-cpu"), error.getMessage());
    }

    @Test
    void autoWithNoBackendOnTheClassPathNamesTheArtifacts() {
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Quiver.use("auto"));
        assertTrue(error.getMessage().contains("none is on the class path"), error.getMessage());
        assertTrue(error.getMessage().contains("dev.quiver:quiver-backend-cpu"), error.getMessage());
        assertTrue(error.getMessage().contains("dev.quiver:quiver-backend-opencl"), error.getMessage());
        assertTrue(error.getMessage().contains("dev.quiver:quiver-backend-cuda"), error.getMessage());
    }
}
