package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.BackendProvider;
import java.util.HashMap;
import java.util.Map;

/**
 * Test-only access to what the public API deliberately hides, for the conformance suite (in another package): the
 * size of the thread's active tape list, and a tensor on a second instance of the current backend (a gradient that
 * "lives elsewhere" without needing a second backend module on the class path).
 *
 * <pre>{@code
 * Tensor elsewhere = TestAccess.onAnotherInstance(new double[] {1, 2});
 * int tapes = TestAccess.activeTapes();
 * }</pre>
 */
public final class TestAccess {
    // one extra instance per backend name for the whole test JVM: an OpenCL context is not free
    private static final Map<String, Backend> OTHERS = new HashMap<>();

    private TestAccess() {
    }

    /**
     * Replays the program {@code step} compiled last {@code steps} times on no batch, recording nothing: the replay
     * alone, without a run's history copies (which make a view per step).
     */
    public static void replay(TrainingStep step, long steps) {
        Program program = step.lastProgram();
        if (program == null) {
            throw new IllegalStateException("TestAccess.replay: the step is not compiled yet; run it twice first");
        }
        program.replay(new dev.quiver.spi.DeviceBuffer[0], steps, null);
    }

    /** How many tapes the calling thread's active list holds (live or not yet cleaned). */
    public static int activeTapes() {
        return GradientTape.activeCount();
    }

    /**
     * {@code value} as a tensor (dtype as {@link Tensor#constant(Object)}) uploaded to {@code backend}, any
     * {@link Backend} instance (a wrapper that counts calls, say): every op on it runs there.
     */
    public static Tensor on(Backend backend, Object value) {
        Tensor here = Tensor.constant(value);
        return new Tensor(new Storage(backend, backend.upload(here.download("test"))), here.shape(),
                here.shape().contiguousStrides(), 0);
    }

    /** The next float32 standard normals of {@code generator}'s stream, drawn on {@code backend}. */
    public static Tensor normal(Backend backend, RandomGenerator generator, int... dims) {
        return generator.draw(backend, "normal", dev.quiver.spi.RandomDistribution.NORMAL, dims, null, 0, 1,
                DType.FLOAT32);
    }

    /** How many tapes' marks {@code x} carries (the tapes that track it, or closed ones not yet pruned). */
    public static int tapeMarks(Tensor x) {
        Object marks = x.tapeMarks;
        return marks == null ? 0 : marks instanceof Object[] several ? several.length : 1;
    }

    /** Whether {@code x} holds a host scalar (no device buffer) rather than device memory. */
    public static boolean isHostScalar(Tensor x) {
        return x.isHostScalar();
    }

    /** {@code value} as a tensor (dtype as {@link Tensor#constant(Object)}) on a second instance of this backend. */
    public static synchronized Tensor onAnotherInstance(Object value) {
        String name = Quiver.backend().name();
        Backend other = OTHERS.computeIfAbsent(name, key -> {
            for (BackendProvider provider : Quiver.providers()) {
                if (provider.name().equals(key)) {
                    return provider.create();
                }
            }
            throw new IllegalStateException("no provider named " + key);
        });
        Tensor here = Tensor.constant(value);
        return new Tensor(new Storage(other, other.upload(here.download("test"))), here.shape(),
                here.shape().contiguousStrides(), 0);
    }

    /**
     * The error {@link ForwardAccumulator} gives for a primitive without a JVP rule, for a SUM node of {@code x}:
     * every primitive has one today, and the message must be right before the first one without does not.
     */
    public static IllegalStateException missingJvpRule(Tensor x) {
        return JvpRules.missingRule(new Node(dev.quiver.spi.Primitive.SUM, new Tensor[] {x}, x.sum(), null));
    }

    /** How many tensors {@code accumulator} holds a tangent for (those of collected tensors dropped first). */
    public static int tangentCount(ForwardAccumulator accumulator) {
        return accumulator.tangentCount();
    }
}
