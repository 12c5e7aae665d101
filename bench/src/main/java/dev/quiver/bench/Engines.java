package dev.quiver.bench;

import dev.quiver.Quiver;
import dev.quiver.spi.Backend;
import dev.quiver.spi.BackendProvider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The engines a benchmark runs on, named by the JMH parameter {@code engine}: Quiver backends and the peers they are
 * compared with in the same run.
 *
 * <ul>
 *   <li>A Quiver backend is its provider's name ({@code cpu}, {@code opencl}, {@code cuda}, ...), optionally with a
 *       variant suffix that sets the backend's properties before it is created: {@code cpu-1t} (one worker
 *       thread), {@code cpu-scalar} (SIMD off: the scalar twins). A name not listed in {@link #VARIANTS} goes to
 *       {@link Quiver#use(String)} as it is, so a new backend needs no code here, only its name.</li>
 *   <li>Peers: {@code java} (a plain-Java loop over arrays, the honest baseline of each kernel), and the libraries
 *       of {@link Peer#LIBRARIES}, each on all cores or with {@code -1t} on one thread: {@code nd4j} (ND4J with
 *       OpenBLAS, built only with {@code -Pnd4j}), {@code torch} (libtorch) and {@code tf} (TensorFlow Java), built
 *       only with {@code -Ppeers}.</li>
 * </ul>
 *
 * <p>Every JMH fork is a fresh JVM, so selecting a backend (and its settings) once per fork is exact.
 *
 * <pre>{@code
 * Engines.availability("opencl");   // "unavailable: no libOpenCL.so.1 ..." on a machine without OpenCL
 * Engines.useQuiver("cpu-1t");      // the CPU backend with one worker thread, for this JVM
 * }</pre>
 */
public final class Engines {
    /** The plain-Java peer. */
    public static final String JAVA = "java";
    /** The ND4J peer (all cores) and its one-thread twin. */
    public static final String ND4J = "nd4j";
    public static final String ND4J_ONE_THREAD = "nd4j-1t";

    /** Quiver engine names that are a backend plus system properties set before the backend is made. */
    static final Map<String, Variant> VARIANTS = new LinkedHashMap<>();

    static {
        VARIANTS.put("cpu-1t", new Variant("cpu", Map.of("quiver.cpu.threads", "1")));
        VARIANTS.put("cpu-scalar", new Variant("cpu", Map.of("quiver.cpu.simd", "0")));
    }

    /** A backend name and the properties that configure it. */
    record Variant(String backend, Map<String, String> properties) {
    }

    private Engines() {
    }

    /** Whether {@code engine} is one of Quiver's backends (as opposed to a peer). */
    public static boolean isQuiver(String engine) {
        return !isPeer(engine);
    }

    public static boolean isPeer(String engine) {
        return engine.equals(JAVA) || Peer.library(engine) != null;
    }

    /** The backend name behind an engine name: {@code cpu} for {@code cpu-1t}. */
    public static String backendName(String engine) {
        Variant variant = VARIANTS.get(engine);
        return variant != null ? variant.backend() : engine;
    }

    /**
     * Makes {@code engine} the Quiver backend of this JVM and returns it; fails loudly (with the backend's own
     * reason) when it cannot run here.
     */
    public static Backend useQuiver(String engine) {
        Variant variant = VARIANTS.get(engine);
        if (variant != null) {
            variant.properties().forEach(System::setProperty);
        }
        return Quiver.use(backendName(engine));
    }

    /**
     * {@code null} when {@code engine} can run here, else the reason it cannot (the backend's own words, or how to
     * build the peer). The runner skips such engines and says why.
     */
    public static String unavailableReason(String engine) {
        if (engine.equals(JAVA)) {
            return null;
        }
        if (Peer.library(engine) != null) {
            return Peer.loadFailure(engine);
        }
        String name = backendName(engine);
        List<BackendProvider> providers = Quiver.providers();
        for (BackendProvider provider : providers) {
            if (provider.name().equals(name)) {
                BackendProvider.Availability availability;
                try {
                    availability = provider.availability();
                } catch (RuntimeException | LinkageError e) {
                    return "its availability probe failed: " + e;
                }
                return availability.available() ? null : availability.detail();
            }
        }
        return "no Quiver backend named '" + name + "' on the class path (found "
                + String.join(", ", providers.stream().map(BackendProvider::name).toList())
                + "); add its module to bench/pom.xml";
    }

    /** Thread count of an engine for the record: 1 for the {@code -1t} variants, else all cores. */
    static int threads(String engine) {
        return engine.toLowerCase(Locale.ROOT).endsWith("-1t") ? 1 : Runtime.getRuntime().availableProcessors();
    }
}
