package dev.quiver.spi;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the JVM's signal handlers in place while a backend loads a native runtime that installs its own.
 *
 * <p>HotSpot needs its handlers: SIGSEGV for safepoint polls and implicit null checks, SIGFPE for integer division,
 * SIGBUS, SIGILL, SIGUSR2 (thread suspension), SIGINT/SIGTERM/SIGHUP (shutdown hooks), SIGQUIT (thread dumps).
 * Some native runtimes replace them when they start: PoCL (OpenCL on the CPU) takes SIGFPE, and the LLVM inside it
 * takes SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT and SIGUSR2 with {@code SA_RESETHAND}, on platform start and again
 * on every program build. After that, compiled {@code int / 0} stops throwing, and two threads that hit a safepoint
 * poll together kill the JVM (exit 139, no hs_err file).
 *
 * <p>This class reads and writes handlers with the C library's own {@code sigaction} (looked up in
 * {@code libc.so.6}, so the JDK's signal-chaining library {@code libjsig}, when preloaded, does not hide the real
 * handler), names each handler's library with {@code dladdr}, and sets environment variables with {@code setenv}
 * before a runtime reads them. It is Linux-only (x86-64 and AArch64, glibc's {@code struct sigaction} of 152
 * bytes); elsewhere {@link #supported()} is false and every method does nothing.
 *
 * <p>The JVM's handlers are saved by the first call of {@link #saveJvmHandlers()}, which a backend makes before it
 * loads its native library; {@link #restoreJvmHandlers(String)} then puts back every handler the JVM owned that
 * something else replaced, and logs loudly (with the fix) when it cannot.
 *
 * <pre>{@code
 * SignalHandlers.setEnvironmentIfUnset("POCL_SIGFPE_HANDLER", "0");   // before libOpenCL loads
 * SignalHandlers.saveJvmHandlers();
 * startTheRuntime();                                                 // may install its own handlers
 * SignalHandlers.restoreJvmHandlers("opencl platform start");        // the JVM's are back
 * System.out.println(SignalHandlers.read(SignalHandlers.SIGSEGV));   // SIGSEGV -> libjvm.so (SA_SIGINFO|...)
 * }</pre>
 */
public final class SignalHandlers {
    /** Illegal instruction. */
    public static final int SIGILL = 4;
    /** Bus error. */
    public static final int SIGBUS = 7;
    /** Arithmetic error: HotSpot turns it into {@link ArithmeticException} for integer division by zero. */
    public static final int SIGFPE = 8;
    /** Segmentation fault: HotSpot's safepoint polls and implicit null checks. */
    public static final int SIGSEGV = 11;

    /** The signals HotSpot cannot lose: a replaced one that cannot be restored is logged as a warning. */
    private static final List<Integer> CRITICAL = List.of(SIGSEGV, SIGBUS, SIGILL, SIGFPE);
    private static final String[] NAMES = {null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
        "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
        "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
        "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};
    /** The fix to print when a handler stays replaced. */
    public static final String FIX = "run the JVM with signal chaining, LD_PRELOAD=" + jsigPath()
            + " (the quiver launcher, the test and the benchmark JVMs do), and POCL_SIGFPE_HANDLER=0 in the "
            + "environment for PoCL";

    private static final System.Logger LOG = System.getLogger("dev.quiver.signals");
    // glibc's struct sigaction on 64-bit Linux: handler(8), sa_mask(128), sa_flags(4), padding(4), sa_restorer(8)
    private static final long SIGACTION_SIZE = 152;
    private static final long FLAGS_OFFSET = 136;
    // Dl_info: dli_fname, dli_fbase, dli_sname, dli_saddr
    private static final long DL_INFO_SIZE = 32;
    private static final int SA_ONSTACK = 0x08000000;
    private static final int SA_RESTART = 0x10000000;
    private static final int SA_NODEFER = 0x40000000;
    private static final int SA_RESETHAND = 0x80000000;
    private static final int SA_SIGINFO = 4;

    // the JVM's handlers by signal, as saved by the first saveJvmHandlers(); null until then
    private static Map<Integer, MemorySegment> jvmHandlers;
    private static final List<Integer> warned = new ArrayList<>();

    private SignalHandlers() {
    }

    /**
     * One signal's handler as {@code sigaction} reports it.
     *
     * @param signal  the signal number
     * @param address the handler function ({@code 0} = default action, {@code 1} = ignored)
     * @param flags   {@code sa_flags}
     * @param library the file of the library that holds the handler ({@code dladdr}), or {@code default},
     *                {@code ignored}, {@code unknown}
     */
    public record Handler(int signal, long address, int flags, String library) {
        /** The signal's name, e.g. {@code SIGSEGV}. */
        public String name() {
            return signalName(signal);
        }

        /** True when the handler is in HotSpot ({@code libjvm.so}). */
        public boolean ownedByJvm() {
            return library.endsWith("/libjvm.so") || library.equals("libjvm.so");
        }

        /** {@code SIGSEGV -> libjvm.so (SA_SIGINFO|SA_ONSTACK|SA_RESTART)}. */
        @Override
        public String toString() {
            return name() + " -> " + Path.of(library).getFileName() + " (" + flagNames(flags) + ")";
        }
    }

    /** True on Linux x86-64 and AArch64, where this class knows the C library's {@code struct sigaction}. */
    public static boolean supported() {
        return Native.FAILURE == null;
    }

    /** The name of signal {@code number}, e.g. {@code SIGFPE}. */
    public static String signalName(int number) {
        return number > 0 && number < NAMES.length ? NAMES[number] : "signal " + number;
    }

    /** The current handler of {@code signal}; empty when {@link #supported()} is false. */
    public static synchronized Optional<Handler> read(int signal) {
        if (!supported()) {
            return Optional.empty();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment action = readAction(signal, arena);
            long address = action.get(ValueLayout.JAVA_LONG, 0);
            return Optional.of(new Handler(signal, address, action.get(ValueLayout.JAVA_INT, FLAGS_OFFSET),
                    library(address, arena)));
        }
    }

    /** The handlers of SIGSEGV, SIGBUS, SIGILL and SIGFPE, the ones HotSpot cannot run without. */
    public static List<Handler> readCritical() {
        List<Handler> handlers = new ArrayList<>();
        for (int signal : CRITICAL) {
            read(signal).ifPresent(handlers::add);
        }
        return handlers;
    }

    /**
     * Saves the handlers the JVM owns now (those in {@code libjvm.so}), once: later calls keep the first copy, so
     * call it before anything native that might replace them is loaded. Logs a warning, with {@link #FIX}, when
     * SIGSEGV, SIGBUS, SIGILL or SIGFPE is already someone else's.
     */
    public static synchronized void saveJvmHandlers() {
        if (jvmHandlers != null || !supported()) {
            return;
        }
        Map<Integer, MemorySegment> saved = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            for (int signal = 1; signal < NAMES.length; signal++) {
                if (signal == 9 || signal == 19) { // SIGKILL and SIGSTOP cannot be caught
                    continue;
                }
                MemorySegment action = readAction(signal, arena);
                long address = action.get(ValueLayout.JAVA_LONG, 0);
                Handler handler = new Handler(signal, address, action.get(ValueLayout.JAVA_INT, FLAGS_OFFSET),
                        library(address, arena));
                if (handler.ownedByJvm()) {
                    saved.put(signal, Arena.global().allocate(SIGACTION_SIZE, 8).copyFrom(action));
                } else if (CRITICAL.contains(signal)) {
                    warnOnce(signal, "the JVM's " + handler.name() + " handler was already replaced before Quiver "
                            + "could save it: " + handler + ". Java code may crash or stop throwing "
                            + "ArithmeticException; " + FIX);
                }
            }
        }
        jvmHandlers = saved;
    }

    /**
     * Puts back every handler that {@link #saveJvmHandlers()} saved and that something has replaced since, and
     * returns what it found, e.g. {@code [SIGSEGV -> libLLVM-15.so.1 (SA_RESETHAND|...)]}; empty when nothing was
     * replaced. Call it after each native step that may install handlers ({@code after} names that step in the
     * log). Saves the handlers first if nobody did. A handler it cannot restore is logged as a warning with
     * {@link #FIX}.
     */
    public static synchronized List<Handler> restoreJvmHandlers(String after) {
        if (!supported()) {
            return List.of();
        }
        saveJvmHandlers();
        List<Handler> replaced = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (Map.Entry<Integer, MemorySegment> entry : jvmHandlers.entrySet()) {
                int signal = entry.getKey();
                MemorySegment current = readAction(signal, arena);
                long address = current.get(ValueLayout.JAVA_LONG, 0);
                if (address == entry.getValue().get(ValueLayout.JAVA_LONG, 0)) {
                    continue;
                }
                Handler foreign = new Handler(signal, address, current.get(ValueLayout.JAVA_INT, FLAGS_OFFSET),
                        library(address, arena));
                replaced.add(foreign);
                int result = (int) Native.SIGACTION.invokeExact(signal, entry.getValue(), MemorySegment.NULL);
                if (result != 0) {
                    warnOnce(signal, after + " replaced the JVM's " + foreign + " and sigaction could not put it back; "
                            + FIX);
                } else {
                    LOG.log(System.Logger.Level.DEBUG, () -> after + " replaced the JVM's handler: " + foreign
                            + "; restored the JVM's");
                }
            }
        } catch (Throwable impossible) { // invokeExact declares Throwable; sigaction itself cannot throw
            throw new IllegalStateException("signals: sigaction failed after " + after, impossible);
        }
        return replaced;
    }

    /**
     * Sets environment variable {@code name} of this process (C's {@code setenv}, which native libraries read) to
     * {@code value}, unless it is set already: the user's own setting wins. Java's {@link System#getenv} keeps
     * its start-up copy and does not see the change.
     *
     * @return true when the variable now has {@code value} (set here or already by the user)
     */
    public static synchronized boolean setEnvironmentIfUnset(String name, String value) {
        if (!supported()) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            int result = (int) Native.SETENV.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0);
            MemorySegment now = (MemorySegment) Native.GETENV.invokeExact(arena.allocateFrom(name));
            return result == 0 && !now.equals(MemorySegment.NULL)
                    && now.reinterpret(4096).getString(0).equals(value);
        } catch (Throwable impossible) {
            throw new IllegalStateException("signals: setenv " + name + " failed", impossible);
        }
    }

    /** True when the JDK's signal-chaining library {@code libjsig} is loaded into this process (LD_PRELOAD). */
    public static boolean chainingLoaded() {
        try {
            return Files.readString(Path.of("/proc/self/maps")).contains("/libjsig.so");
        } catch (IOException | RuntimeException unreadable) { // no /proc: not Linux
            return false;
        }
    }

    /** The JDK's signal-chaining library of the running JVM: {@code <java.home>/lib/libjsig.so}. */
    public static String jsigPath() {
        return Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toString();
    }

    private static MemorySegment readAction(int signal, Arena arena) {
        MemorySegment action = arena.allocate(SIGACTION_SIZE, 8);
        try {
            int result = (int) Native.SIGACTION.invokeExact(signal, MemorySegment.NULL, action);
            if (result != 0) {
                throw new IllegalStateException("signals: sigaction could not read " + signalName(signal));
            }
        } catch (RuntimeException | Error failure) {
            throw failure;
        } catch (Throwable impossible) {
            throw new IllegalStateException("signals: sigaction failed for " + signalName(signal), impossible);
        }
        return action;
    }

    private static String library(long address, Arena arena) {
        if (address == 0) {
            return "default";
        }
        if (address == 1) {
            return "ignored";
        }
        if (Native.DLADDR == null) {
            return "unknown";
        }
        MemorySegment info = arena.allocate(DL_INFO_SIZE, 8);
        try {
            int found = (int) Native.DLADDR.invokeExact(MemorySegment.ofAddress(address), info);
            MemorySegment file = info.get(ValueLayout.ADDRESS, 0);
            if (found == 0 || file.equals(MemorySegment.NULL)) {
                return "unknown";
            }
            return file.reinterpret(4096).getString(0);
        } catch (Throwable impossible) {
            return "unknown";
        }
    }

    private static String flagNames(int flags) {
        StringBuilder names = new StringBuilder();
        int[] bits = {SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND};
        String[] labels = {"SA_SIGINFO", "SA_ONSTACK", "SA_RESTART", "SA_NODEFER", "SA_RESETHAND"};
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                names.append(names.isEmpty() ? "" : "|").append(labels[i]);
            }
        }
        return names.isEmpty() ? "no flags" : names.toString();
    }

    private static void warnOnce(int signal, String message) {
        if (!warned.contains(signal)) {
            warned.add(signal);
            LOG.log(System.Logger.Level.WARNING, "Quiver: " + message);
        }
    }

    /** The C functions, looked up once; {@link #FAILURE} says why when this platform is not supported. */
    private static final class Native {
        static final MethodHandle SIGACTION;
        static final MethodHandle SETENV;
        static final MethodHandle GETENV;
        static final MethodHandle DLADDR;
        static final String FAILURE;

        static {
            MethodHandle sigaction = null;
            MethodHandle setenv = null;
            MethodHandle getenv = null;
            MethodHandle dladdr = null;
            String failure = null;
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("aarch64"))) {
                failure = "signal handlers are only checked on Linux x86-64 and AArch64, not " + os + " " + arch;
            } else {
                try {
                    Linker linker = Linker.nativeLinker();
                    // libc's own symbols, not the process-wide ones that a preloaded libjsig interposes
                    SymbolLookup libc = SymbolLookup.libraryLookup("libc.so.6", Arena.global());
                    sigaction = linker.downcallHandle(libc.findOrThrow("sigaction"), FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
                    setenv = linker.downcallHandle(libc.findOrThrow("setenv"), FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
                    getenv = linker.downcallHandle(libc.findOrThrow("getenv"),
                            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
                    // glibc 2.34+ has dladdr in libc; older ones in libdl
                    Optional<MemorySegment> dladdrSymbol = libc.find("dladdr");
                    if (dladdrSymbol.isEmpty()) {
                        dladdrSymbol = SymbolLookup.libraryLookup("libdl.so.2", Arena.global()).find("dladdr");
                    }
                    if (dladdrSymbol.isPresent()) {
                        dladdr = linker.downcallHandle(dladdrSymbol.get(), FunctionDescriptor.of(
                                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
                    }
                } catch (RuntimeException | UnsatisfiedLinkError missing) {
                    failure = "libc.so.6 could not be bound: " + missing;
                }
            }
            SIGACTION = sigaction;
            SETENV = setenv;
            GETENV = getenv;
            DLADDR = dladdr;
            FAILURE = failure;
        }
    }
}
