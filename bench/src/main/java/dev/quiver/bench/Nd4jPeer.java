package dev.quiver.bench;

/**
 * The ND4J peer's kernels. The implementation ({@code dev.quiver.bench.nd4j.Nd4jKernels}) is compiled only with
 * the Maven profile {@code -Pnd4j}, so ordinary builds carry no ND4J; without it the engine {@code nd4j} is
 * reported unavailable with the command that builds it.
 *
 * <pre>{@code
 * Nd4jPeer nd4j = Nd4jPeer.load();   // throws with the reason when the profile was not built
 * nd4j.threads(1);
 * Kernel add = nd4j.add(a, b);
 * }</pre>
 */
public interface Nd4jPeer {
    /** The implementation class, present only in {@code -Pnd4j} builds. */
    String IMPLEMENTATION = "dev.quiver.bench.nd4j.Nd4jKernels";

    /** Limits ND4J's native threads (OpenMP and OpenBLAS) to {@code count}. */
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

    /** The peer, or an exception saying why it cannot be had. */
    static Nd4jPeer load() {
        try {
            return (Nd4jPeer) Class.forName(IMPLEMENTATION).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("nd4j: " + describeFailure(e), e);
        }
    }

    /** {@code null} when the implementation class is on the class path, else how to get it. */
    static String loadFailure() {
        try {
            Class.forName(IMPLEMENTATION, false, Nd4jPeer.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException | LinkageError e) {
            return describeFailure(e);
        }
    }

    private static String describeFailure(Throwable e) {
        return e instanceof ClassNotFoundException
                ? "the ND4J peer is not built; run bench/run with --nd4j (Maven profile -Pnd4j)"
                : "the ND4J peer failed to load: " + e;
    }
}
