package dev.quiver.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quiver.Quiver;
import dev.quiver.spi.BackendProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The root of the conformance suite every backend module runs. A backend makes one concrete subclass per suite that
 * returns its name:
 *
 * <pre>{@code
 * class CpuElementwiseConformanceTest extends ElementwiseConformance {
 *     @Override protected String backendName() { return "cpu"; }
 * }
 * }</pre>
 *
 * A backend that cannot run here (no OpenCL runtime, no GPU) skips the suite and says why; under {@code CI=true}
 * a backend that {@link #requiredInCi()} fails instead, so CI cannot go green by skipping it.
 *
 * <p>Every suite compares the backend with a float64 reference computed in plain Java ({@link Reference}), on random
 * seeded data with negatives, odd lengths that leave SIMD tails, broadcasting, size 0 and strided views.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendConformance {

    /** The name given to {@link Quiver#use(String)}: {@code cpu}, {@code opencl}, {@code cuda}. */
    protected abstract String backendName();

    /** Whether CI ({@code CI=true}) must run this backend rather than skip it. CPU and OpenCL (PoCL) must. */
    protected boolean requiredInCi() {
        return true;
    }

    @BeforeAll
    protected void selectBackend() {
        assumeRunnable(backendName(), requiredInCi());
        Quiver.use(backendName());
    }

    /**
     * Skips the calling test class, saying why, when backend {@code name} cannot run here; under {@code CI=true} a
     * backend that is {@code requiredInCi} fails instead, so CI cannot go green by skipping it. For any test that
     * needs a particular backend, not only the conformance suites.
     */
    public static void assumeRunnable(String name, boolean requiredInCi) {
        BackendProvider.Availability availability = Quiver.providers().stream()
                .filter(provider -> provider.name().equals(name)).findFirst()
                .map(BackendProvider::availability)
                .orElse(BackendProvider.Availability.no("no provider named " + name + " on the class path"));
        if (!availability.available()) {
            String reason = "backend " + name + " cannot run here: " + availability.detail();
            if ("true".equalsIgnoreCase(System.getenv("CI")) && requiredInCi) {
                fail("CI=true requires the " + name + " tests to run, but " + reason);
            }
            assumeTrue(false, reason);
        }
    }
}
