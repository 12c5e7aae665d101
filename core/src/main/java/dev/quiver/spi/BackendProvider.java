package dev.quiver.spi;

/**
 * Found through {@link java.util.ServiceLoader}: one per backend module, listed in
 * {@code META-INF/services/dev.quiver.spi.BackendProvider}. It must be cheap to construct and must never throw
 * from {@link #availability()}: a missing driver or library is reported as a reason, not a crash.
 *
 * <pre>{@code
 * for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
 *     System.out.println(p.name() + ": " + p.availability());
 * }
 * }</pre>
 */
public interface BackendProvider {
    /**
     * The lowest priority of a provider that runs on a GPU: {@code gpu} selects among providers at or above it
     * (CUDA 30, OpenCL 20 on a GPU and 5 on a CPU device, the CPU backend 10).
     */
    int GPU_PRIORITY = 20;

    /** The selection name: {@code cpu}, {@code opencl}, {@code cuda}. */
    String name();

    /** Higher is preferred by {@code auto} among the available providers. */
    int priority();

    /** Whether this backend can run on this machine, and if not, why (the missing library, no device...). */
    Availability availability();

    /**
     * The fuller answer that {@code Quiver.diagnose()} prints: it may start the backend's runtime to list its
     * devices, which {@link #priority()} and {@link #availability()} should not do when starting it has side
     * effects (they run whenever any backend is chosen). Must not throw either. Defaults to {@link #availability()}.
     */
    default Availability diagnose() {
        return availability();
    }

    /** Creates the backend; only called when {@link #availability()} says it can run. */
    Backend create();

    /**
     * The answer of {@link #availability()}.
     *
     * @param available whether {@link #create()} will work
     * @param detail    the device it would use, or the reason it cannot run
     */
    record Availability(boolean available, String detail) {
        public static Availability yes(String device) {
            return new Availability(true, device);
        }

        public static Availability no(String reason) {
            return new Availability(false, reason);
        }

        @Override
        public String toString() {
            return (available ? "available: " : "unavailable: ") + detail;
        }
    }
}
