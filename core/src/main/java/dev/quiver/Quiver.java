package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.BackendProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Chooses the backend new tensors are made on. The order of precedence is: {@link #use(String)} in code, then
 * the system property {@code quiver.backend}, then the environment variable {@code QUIVER_BACKEND}, then
 * {@code auto}, which takes the available backend with the highest priority (a CUDA GPU, then an OpenCL GPU, then
 * the CPU). {@code gpu} means the best available GPU backend, or an error giving each backend's reason. Naming a
 * backend that cannot run here is an error that carries the backend's own reason; Quiver never falls back silently.
 *
 * <pre>{@code
 * Quiver.use("cpu");                        // or -Dquiver.backend=cpu, or QUIVER_BACKEND=cpu
 * System.out.println(Quiver.selection());   // "cpu (requested by Quiver.use): ..."
 * System.out.println(Quiver.diagnose());    // every backend found and why it can or cannot run
 * }</pre>
 */
public final class Quiver {
    /** The system property that selects a backend: {@code cpu}, {@code opencl}, {@code cuda}, {@code gpu} or {@code auto}. */
    public static final String BACKEND_PROPERTY = "quiver.backend";
    /** The environment variable that selects a backend when the property is not set. */
    public static final String BACKEND_ENVIRONMENT = "QUIVER_BACKEND";

    // volatile: every op that makes a tensor from Java values reads it, so the common case takes no lock
    private static volatile Backend current;
    private static String selection;

    private Quiver() {
    }

    /**
     * {@code body} compiled: traced on its first call for each input signature (backend, dtypes, shapes), then replayed,
     * fused where the backend runs fused kernels ({@link CompiledFunction}). Quiver's {@code tf.function}.
     *
     * <pre>{@code
     * CompiledFunction f = Quiver.function(in -> List.of(in.get(0).mul(in.get(1)).add(1.0).exp()));
     * Tensor out = f.call(x, y).getFirst();
     * }</pre>
     */
    public static CompiledFunction function(java.util.function.Function<List<Tensor>, List<Tensor>> body) {
        return new CompiledFunction(body, true);
    }

    /** {@link #function(java.util.function.Function)} choosing whether to fuse (without: the eager bits exactly). */
    public static CompiledFunction function(java.util.function.Function<List<Tensor>, List<Tensor>> body,
                                            boolean fuse) {
        return new CompiledFunction(body, fuse);
    }

    /** The backend in use, choosing it on first call as the class comment describes. */
    public static Backend backend() {
        Backend backend = current;
        return backend != null ? backend : chooseBackend();
    }

    private static synchronized Backend chooseBackend() {
        if (current == null) {
            String property = System.getProperty(BACKEND_PROPERTY);
            String environment = System.getenv(BACKEND_ENVIRONMENT);
            if (property != null && !property.isBlank()) {
                select(property, "system property " + BACKEND_PROPERTY);
            } else if (environment != null && !environment.isBlank()) {
                select(environment, "environment " + BACKEND_ENVIRONMENT);
            } else {
                select("auto", "default");
            }
        }
        return current;
    }

    /**
     * Makes {@code name} ({@code cpu}, {@code opencl}, {@code cuda} or {@code auto}) the backend for new tensors.
     *
     * @throws IllegalArgumentException for a name no provider has, listing the names found
     * @throws IllegalStateException    when the backend cannot run here, with its reason
     * @throws NullPointerException     for a {@code null} name; the selection stays as it was
     */
    public static synchronized Backend use(String name) {
        Errors.notNull(name, "use", "name (cpu, opencl, cuda or auto)");
        select(name, "Quiver.use");
        return current;
    }

    /** How the current backend was chosen, e.g. {@code auto chose cpu: ... (opencl unavailable: ...)}. */
    public static synchronized String selection() {
        backend();
        return selection;
    }

    /**
     * Every backend provider found, its priority, and whether it can run here (with the device or the reason),
     * after one line on the JVM options the backends depend on: whether the Vector API module is loaded (without it
     * the CPU backend runs scalar kernels) and whether native access is enabled (GPU backends bind native libraries).
     *
     * <pre>{@code
     * System.out.print(Quiver.diagnose());
     * // Quiver backends (selection: API call > -Dquiver.backend > $QUIVER_BACKEND > auto)
     * //   JVM: Java 25.0.1; Vector API (jdk.incubator.vector): loaded; native access: enabled
     * //   cpu      priority  10  available: AMD EPYC, 2 threads, SIMD 512-bit (16 float32 lanes)
     * }</pre>
     *
     * @return the report, one line per provider
     */
    public static String diagnose() {
        StringBuilder report = new StringBuilder("Quiver backends (selection: ")
                .append("API call > -D").append(BACKEND_PROPERTY).append(" > $").append(BACKEND_ENVIRONMENT)
                .append(" > auto)\n");
        // JVM facts, not backend knowledge: each is fixed when the JVM starts, so the flag to add is the remedy
        report.append("  JVM: Java ").append(Runtime.version()).append("; Vector API (jdk.incubator.vector): ")
                .append(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                        ? "loaded" : "NOT loaded (add --add-modules jdk.incubator.vector)")
                .append("; native access: ").append(Quiver.class.getModule().isNativeAccessEnabled()
                        ? "enabled" : "not enabled (add --enable-native-access=ALL-UNNAMED)")
                .append('\n');
        List<BackendProvider> providers = providers();
        if (providers.isEmpty()) {
            report.append("  none found: put a backend module (e.g. quiver-backend-cpu) on the class path\n");
        }
        for (BackendProvider provider : providers) {
            report.append(String.format(Locale.ROOT, "  %-8s priority %3d  %s%n", provider.name(), provider.priority(),
                    safeDiagnosis(provider)));
        }
        synchronized (Quiver.class) {
            if (selection != null) {
                report.append("  in use: ").append(selection).append('\n');
            }
        }
        return report.toString();
    }

    /** The providers on the class path, highest priority first. */
    public static List<BackendProvider> providers() {
        // Plain loops, no lambdas or method references: this runs before a program's first op, and the first
        // lambda of a JVM costs tens of milliseconds to bootstrap (measured by bench's cold start).
        List<BackendProvider> providers = new ArrayList<>();
        for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
            int at = 0;
            while (at < providers.size() && comesFirst(providers.get(at), provider)) {
                at++;
            }
            providers.add(at, provider);
        }
        return providers;
    }

    /** Higher priority first, then by name. */
    private static boolean comesFirst(BackendProvider a, BackendProvider b) {
        return a.priority() != b.priority() ? a.priority() > b.priority() : a.name().compareTo(b.name()) <= 0;
    }

    private static void select(String requested, String source) {
        String name = requested.trim().toLowerCase(Locale.ROOT);
        List<BackendProvider> providers = providers();
        if (name.equals("gpu")) {
            name = bestGpu(providers, source);
        }
        if (name.equals("auto")) {
            StringBuilder skipped = new StringBuilder();
            for (int i = 0; i < providers.size(); i++) {
                BackendProvider provider = providers.get(i);
                BackendProvider.Availability availability = safeAvailability(provider);
                if (availability.available()) {
                    Backend chosen = current != null && current.name().equals(provider.name())
                            ? current : provider.create();
                    StringBuilder lower = new StringBuilder();
                    for (BackendProvider other : providers.subList(i + 1, providers.size())) {
                        BackendProvider.Availability otherAvailability = safeAvailability(other);
                        if (otherAvailability.available()) {
                            lower.append(lower.isEmpty() ? "" : ", ").append(other.name()).append(" (priority ")
                                    .append(other.priority()).append(": ").append(otherAvailability.detail())
                                    .append(')');
                        }
                    }
                    install(chosen, "auto (" + source + ") chose " + provider.name() + " on "
                            + availability.detail() + ": highest priority available (" + provider.priority() + ")"
                            + (skipped.isEmpty() ? "" : "; skipped " + skipped)
                            + (lower.isEmpty() ? "" : "; also runs here, at lower priority: " + lower));
                    return;
                }
                skipped.append(skipped.isEmpty() ? "" : ", ").append(provider.name()).append(" (")
                        .append(availability.detail()).append(')');
            }
            throw new IllegalStateException("auto: no Quiver backend can run here"
                    + (providers.isEmpty() ? ": none is on the class path; add the artifact"
                            + " dev.quiver:quiver-backend-cpu (runs on any machine) and/or"
                            + " dev.quiver:quiver-backend-opencl (OpenCL devices) and/or"
                            + " dev.quiver:quiver-backend-cuda (NVIDIA GPUs)" : ": " + skipped));
        }
        for (BackendProvider provider : providers) {
            if (provider.name().equals(name)) {
                BackendProvider.Availability availability = safeAvailability(provider);
                if (!availability.available()) {
                    throw new IllegalStateException("backend '" + name + "' (from " + source + ") cannot run here: "
                            + availability.detail());
                }
                // the backend's own description: availability may not have started the device to know it
                if (current == null || !current.name().equals(name)) {
                    Backend created = provider.create();
                    install(created, name + " (requested by " + source + ") on " + created.deviceDescription());
                } else {
                    // keep the instance: tensors already made on it stay usable with new ones
                    selection = name + " (requested by " + source + ") on " + current.deviceDescription();
                }
                return;
            }
        }
        List<String> names = new ArrayList<>();
        providers.forEach(provider -> names.add(provider.name()));
        throw new IllegalArgumentException("unknown backend '" + requested + "' (from " + source + "); found "
                + (names.isEmpty() ? "none" : String.join(", ", names)) + ", or use 'auto'; each backend is an"
                + " artifact to add: dev.quiver:quiver-backend-cpu, dev.quiver:quiver-backend-opencl,"
                + " dev.quiver:quiver-backend-cuda");
    }

    /** The name of the highest-priority provider that runs on a GPU here, or an error with every provider's reason. */
    private static String bestGpu(List<BackendProvider> providers, String source) {
        StringBuilder reasons = new StringBuilder();
        for (BackendProvider provider : providers) {
            BackendProvider.Availability availability = safeAvailability(provider);
            if (availability.available() && provider.priority() >= BackendProvider.GPU_PRIORITY) {
                return provider.name();
            }
            reasons.append(reasons.isEmpty() ? "" : "; ").append(provider.name()).append(": ")
                    .append(availability.available() ? "no GPU (runs on " + availability.detail() + ")"
                            : availability.detail());
        }
        throw new IllegalStateException("gpu (from " + source + "): no GPU backend can run here: "
                + (providers.isEmpty() ? "no provider on the class path" : reasons));
    }

    private static void install(Backend backend, String why) {
        current = backend;
        selection = why;
    }

    private static BackendProvider.Availability safeDiagnosis(BackendProvider provider) {
        try {
            return provider.diagnose();
        } catch (Throwable failure) { // as safeAvailability: a probe must not take Quiver down
            return BackendProvider.Availability.no("probe failed: " + failure);
        }
    }

    private static BackendProvider.Availability safeAvailability(BackendProvider provider) {
        try {
            return provider.availability();
        } catch (Throwable failure) { // a provider's probe must not take Quiver down: report it instead
            return BackendProvider.Availability.no("probe failed: " + failure);
        }
    }
}
