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
 * {@code auto}, which takes the available backend with the highest priority. Naming a backend that cannot run
 * here is an error that carries the backend's own reason; Quiver never falls back silently.
 *
 * <pre>{@code
 * Quiver.use("cpu");                        // or -Dquiver.backend=cpu, or QUIVER_BACKEND=cpu
 * System.out.println(Quiver.selection());   // "cpu (requested by Quiver.use): ..."
 * System.out.println(Quiver.diagnose());    // every backend found and why it can or cannot run
 * }</pre>
 */
public final class Quiver {
    /** The system property that selects a backend by name ({@code cpu}, {@code opencl}, {@code cuda}, {@code auto}). */
    public static final String BACKEND_PROPERTY = "quiver.backend";
    /** The environment variable that selects a backend when the property is not set. */
    public static final String BACKEND_ENVIRONMENT = "QUIVER_BACKEND";

    // volatile: every op that makes a tensor from Java values reads it, so the common case takes no lock
    private static volatile Backend current;
    private static String selection;

    private Quiver() {
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

    /** Every backend provider found, its priority, and whether it can run here (with the device or the reason). */
    public static String diagnose() {
        StringBuilder report = new StringBuilder("Quiver backends (selection: ")
                .append("API call > -D").append(BACKEND_PROPERTY).append(" > $").append(BACKEND_ENVIRONMENT)
                .append(" > auto)\n");
        List<BackendProvider> providers = providers();
        if (providers.isEmpty()) {
            report.append("  none found: put a backend module (e.g. quiver-backend-cpu) on the class path\n");
        }
        for (BackendProvider provider : providers) {
            report.append(String.format(Locale.ROOT, "  %-8s priority %3d  %s%n", provider.name(), provider.priority(),
                    safeAvailability(provider)));
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
                    + (providers.isEmpty() ? " (no provider on the class path)" : ": " + skipped));
        }
        for (BackendProvider provider : providers) {
            if (provider.name().equals(name)) {
                BackendProvider.Availability availability = safeAvailability(provider);
                if (!availability.available()) {
                    throw new IllegalStateException("backend '" + name + "' (from " + source + ") cannot run here: "
                            + availability.detail());
                }
                if (current == null || !current.name().equals(name)) {
                    install(provider.create(), name + " (requested by " + source + ") on " + availability.detail());
                } else {
                    // keep the instance: tensors already made on it stay usable with new ones
                    selection = name + " (requested by " + source + ") on " + availability.detail();
                }
                return;
            }
        }
        List<String> names = new ArrayList<>();
        providers.forEach(provider -> names.add(provider.name()));
        throw new IllegalArgumentException("unknown backend '" + requested + "' (from " + source + "); found "
                + (names.isEmpty() ? "none" : String.join(", ", names)) + ", or use 'auto'");
    }

    private static void install(Backend backend, String why) {
        current = backend;
        selection = why;
    }

    private static BackendProvider.Availability safeAvailability(BackendProvider provider) {
        try {
            return provider.availability();
        } catch (Throwable failure) { // a provider's probe must not take Quiver down: report it instead
            return BackendProvider.Availability.no("probe failed: " + failure);
        }
    }
}
