package dev.quiver.backend.cpu;

import dev.quiver.spi.Backend;
import dev.quiver.spi.BackendProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Registers the CPU backend with {@link java.util.ServiceLoader} under the name {@code cpu}. It is always
 * available (it needs only the JVM) and has the lowest priority, so {@code auto} prefers a GPU when one runs.
 *
 * <pre>{@code
 * BackendProvider cpu = new CpuBackendProvider();
 * cpu.availability();   // available: Intel(R) Xeon(R) ..., 2 threads, SIMD 512-bit (16 float32 lanes)
 * Backend backend = cpu.create();
 * }</pre>
 */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public Availability availability() {
        try {
            int simd = CpuBackend.simdBitsFromProperty();
            int threads = CpuBackend.threadsFromProperty();
            return Availability.yes(CpuBackend.describe(simd, threads));
        } catch (RuntimeException | LinkageError e) {
            // a malformed setting still leaves a usable CPU: say so rather than hide the backend
            return Availability.yes(cpuName() + " (settings problem: " + e.getMessage() + ")");
        }
    }

    @Override
    public Backend create() {
        return new CpuBackend();
    }

    /** The processor's model name from {@code /proc/cpuinfo}, or the architecture where there is none. */
    static String cpuName() {
        // a plain reader loop, not Files.lines with lambdas: this runs before a program's first op (cold start)
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try (BufferedReader reader = Files.newBufferedReader(cpuinfo)) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.startsWith("model name")) {
                        String name = line.substring(line.indexOf(':') + 1).trim();
                        if (!name.isEmpty()) {
                            return name;
                        }
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // fall through to the architecture
            }
        }
        return System.getProperty("os.arch", "unknown") + " CPU";
    }
}
