package dev.quiver.conformance;

import dev.quiver.Quiver;
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
 * Every suite compares the backend with a float64 reference computed in plain Java ({@link Reference}), on random
 * seeded data with negatives, odd lengths that leave SIMD tails, broadcasting, size 0 and strided views.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendConformance {

    /** The name given to {@link Quiver#use(String)}: {@code cpu}, {@code opencl}, {@code cuda}. */
    protected abstract String backendName();

    @BeforeAll
    protected void selectBackend() {
        Quiver.use(backendName());
    }
}
