package dev.quiver.bench;

import java.util.List;

/**
 * A peer library's kernels, measured beside Quiver's in the same benchmark classes. Each implementation is compiled
 * only with its Maven profile, so ordinary builds carry none of them; without it the engine is reported unavailable
 * with the command that builds it.
 *
 * <ul>
 *   <li>{@code nd4j}, {@code nd4j-1t}: ND4J with OpenBLAS ({@code -Pnd4j}, {@code bench/run --nd4j});</li>
 *   <li>{@code torch}, {@code torch-1t}: libtorch 2.10 through {@code org.bytedeco:pytorch} ({@code -Ppeers},
 *       {@code bench/run --peers});</li>
 *   <li>{@code tf}, {@code tf-1t}: TensorFlow Java 1.1.0 (TensorFlow 2.18 with oneDNN), graph sessions
 *       ({@code -Ppeers}).</li>
 * </ul>
 * The {@code -1t} engines run on one thread, the others on all cores ({@link #threads}).
 *
 * <pre>{@code
 * Peer torch = Peer.load("torch-1t");   // throws with the reason when the profile was not built
 * torch.threads(1);
 * Kernel add = torch.add(a, b);
 * }</pre>
 */
public interface Peer {
    /**
     * A peer library: the engine-name prefix, the implementation class and how to build it.
     *
     * @param prefix         engine names are {@code prefix} and {@code prefix-1t}
     * @param implementation the class implementing {@link Peer}, present only with the profile
     * @param build          what to run to get it
     */
    record Library(String prefix, String implementation, String build) {
    }

    List<Library> LIBRARIES = List.of(
            new Library("nd4j", "dev.quiver.bench.nd4j.Nd4jKernels", "run bench/run with --nd4j (Maven profile -Pnd4j)"),
            new Library("torch", "dev.quiver.bench.peers.TorchKernels", "run bench/run with --peers (Maven profile -Ppeers)"),
            new Library("tf", "dev.quiver.bench.peers.TfKernels", "run bench/run with --peers (Maven profile -Ppeers)"));

    /** The library of a peer engine name ({@code torch-1t} is libtorch), or {@code null} for any other engine. */
    static Library library(String engine) {
        for (Library library : LIBRARIES) {
            if (engine.equals(library.prefix()) || engine.startsWith(library.prefix() + "-")) {
                return library;
            }
        }
        return null;
    }

    /** Limits the library's threads (intra- and inter-op pools, its BLAS) to {@code count}. */
    void threads(int count);

    /** A one-line description: version, BLAS, threads. */
    String describe();

    Kernel add(float[] a, float[] b);

    Kernel mulAdd(float[] a, float[] b, float[] c);

    Kernel sum(float[] a);

    Kernel mean(float[] a);

    /** {@code a} is (batch, m, k) and {@code b} (batch, k, n), row-major, {@code float[]} or {@code double[]}. */
    Kernel matmul(Object a, Object b, int batch, int m, int k, int n);

    /** A 1-element add whose result is a new array. */
    Kernel tinyAdd(float a, float b);

    /** A standard-normal draw of {@code size} elements, a new result each run (the library's own generator). */
    default Kernel normal(boolean float64, int size) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no normal-draw benchmark");
    }

    /**
     * One step of the tutorial's linear regression y = 7x + 4 + noise ({@link TrainingBench}): the batch drawn by the
     * library, mean squared error, gradients by the library's autodiff, SGD({@value TrainingBench#LINEAR_RATE}),
     * starting from w = 10, b = 1.
     */
    default TrainingBench.Step linearRegression(int batch) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no linear-regression benchmark");
    }

    /** The peer of {@code engine}, or an exception saying why it cannot be had. */
    static Peer load(String engine) {
        Library library = library(engine);
        if (library == null) {
            throw new IllegalArgumentException("'" + engine + "' is not a peer engine; peers: "
                    + LIBRARIES.stream().map(Library::prefix).toList());
        }
        try {
            return (Peer) Class.forName(library.implementation()).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException(engine + ": " + describeFailure(library, e), e);
        }
    }

    /** {@code null} when the implementation of {@code engine}'s library is on the class path, else how to get it. */
    static String loadFailure(String engine) {
        Library library = library(engine);
        try {
            Class.forName(library.implementation(), false, Peer.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException | LinkageError e) {
            return describeFailure(library, e);
        }
    }

    private static String describeFailure(Library library, Throwable e) {
        return e instanceof ClassNotFoundException
                ? "the " + library.prefix() + " peer is not built; " + library.build()
                : "the " + library.prefix() + " peer failed to load: " + e;
    }
}
