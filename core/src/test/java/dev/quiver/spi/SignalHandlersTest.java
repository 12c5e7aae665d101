package dev.quiver.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading, restoring and naming signal handlers, and setting the environment native libraries read. */
class SignalHandlersTest {
    private static final int SIGHUP = 1;
    private static final int SIGTERM = 15;

    @Test
    void theJvmOwnsTheSignalsItNeedsAndTheirLibraryIsNamed() {
        assumeTrue(SignalHandlers.supported(), "signal handlers are read on Linux x86-64 and AArch64 only");
        List<SignalHandlers.Handler> critical = SignalHandlers.readCritical();
        assertEquals(4, critical.size());
        for (SignalHandlers.Handler handler : critical) {
            assertTrue(handler.ownedByJvm(), handler.toString());
            assertTrue(handler.toString().startsWith(handler.name() + " -> libjvm.so ("), handler.toString());
        }
        assertEquals("SIGFPE", SignalHandlers.signalName(SignalHandlers.SIGFPE));
    }

    /** A foreign handler on a signal the JVM owns (SIGHUP or SIGTERM: shutdown hooks) is found and replaced. */
    @Test
    void aReplacedJvmHandlerIsFoundAndPutBack() throws Throwable {
        assumeTrue(SignalHandlers.supported(), "signal handlers are read on Linux x86-64 and AArch64 only");
        SignalHandlers.saveJvmHandlers();
        int signal = SignalHandlers.read(SIGHUP).orElseThrow().ownedByJvm() ? SIGHUP : SIGTERM;
        assumeTrue(SignalHandlers.read(signal).orElseThrow().ownedByJvm(), "the JVM owns neither SIGHUP nor SIGTERM");
        MethodHandle sigaction = Linker.nativeLinker().downcallHandle(
                SymbolLookup.libraryLookup("libc.so.6", Arena.global()).findOrThrow("sigaction"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ignore = arena.allocate(152, 8);   // sa_handler = SIG_IGN, empty mask, no flags
            ignore.set(ValueLayout.JAVA_LONG, 0, 1);
            assertEquals(0, (int) sigaction.invokeExact(signal, ignore, MemorySegment.NULL));
        }
        assertEquals("ignored", SignalHandlers.read(signal).orElseThrow().library());
        List<SignalHandlers.Handler> replaced = SignalHandlers.restoreJvmHandlers("the test");
        assertEquals(1, replaced.size(), replaced.toString());
        assertEquals(signal, replaced.get(0).signal());
        assertTrue(SignalHandlers.read(signal).orElseThrow().ownedByJvm());
        assertTrue(SignalHandlers.restoreJvmHandlers("the test again").isEmpty(), "nothing left to restore");
    }

    @Test
    void anEnvironmentVariableIsSetUnlessTheUserSetIt() {
        assumeTrue(SignalHandlers.supported(), "the environment is set on Linux x86-64 and AArch64 only");
        String name = "QUIVER_SIGNAL_HANDLERS_TEST";
        assertTrue(SignalHandlers.setEnvironmentIfUnset(name, "0"));
        assertTrue(SignalHandlers.setEnvironmentIfUnset(name, "0"), "already 0");
        assertFalse(SignalHandlers.setEnvironmentIfUnset(name, "1"), "the first value is kept");
    }
}
