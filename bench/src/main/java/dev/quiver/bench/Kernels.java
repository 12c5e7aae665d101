package dev.quiver.bench;

/**
 * Makes one benchmark kernel for whichever engine a fork runs: a Quiver backend, the plain-Java peer or ND4J.
 * {@link #prepare} is called first, once per fork, from the benchmark's {@code @Setup}.
 *
 * <pre>{@code
 * Kernels.prepare("cpu-1t");
 * Kernel matmul = Kernels.matmul("cpu-1t", a, b, 0, 512, 512, 512);
 * }</pre>
 */
public final class Kernels {
    private static Nd4jPeer nd4j;

    private Kernels() {
    }

    /**
     * Selects the engine for this JVM: the Quiver backend (with its variant's settings) or the ND4J peer with its
     * thread count. Fails with the reason when the engine cannot run here, so no result is silently missing.
     */
    public static synchronized String prepare(String engine) {
        String reason = Engines.unavailableReason(engine);
        if (reason != null) {
            throw new IllegalStateException("engine '" + engine + "' cannot run here: " + reason);
        }
        if (Engines.isQuiver(engine)) {
            return Engines.useQuiver(engine).deviceDescription();
        }
        if (engine.startsWith(Engines.ND4J)) {
            nd4j = Nd4jPeer.load();
            nd4j.threads(Engines.threads(engine));
            return nd4j.describe();
        }
        return "plain Java " + Runtime.version();
    }

    private static Nd4jPeer nd4j() {
        if (nd4j == null) {
            throw new IllegalStateException("Kernels.prepare(\"nd4j\") was not called");
        }
        return nd4j;
    }

    public static Kernel add(String engine, float[] a, float[] b) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.add(a, b);
        }
        return engine.equals(Engines.JAVA) ? JavaKernels.add(a, b) : nd4j().add(a, b);
    }

    public static Kernel mulAdd(String engine, float[] a, float[] b, float[] c) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.mulAdd(a, b, c);
        }
        return engine.equals(Engines.JAVA) ? JavaKernels.mulAdd(a, b, c) : nd4j().mulAdd(a, b, c);
    }

    public static Kernel sum(String engine, float[] a, boolean mean) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.sum(a, mean);
        }
        if (engine.equals(Engines.JAVA)) {
            return JavaKernels.sum(a, mean);
        }
        return mean ? nd4j().mean(a) : nd4j().sum(a);
    }

    /** (batch, m, k) @ (batch, k, n); {@code batch == 0} means plain 2-D matrices. */
    public static Kernel matmul(String engine, Object a, Object b, int batch, int m, int k, int n) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.matmul(a, b, batch, m, k, n);
        }
        int batches = Math.max(batch, 1);
        return engine.equals(Engines.JAVA) ? JavaKernels.matmul(a, b, batches, m, k, n)
                : nd4j().matmul(a, b, batch, m, k, n);
    }

    public static Kernel tinyAdd(String engine, float a, float b) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.tinyAdd(a, b);
        }
        return engine.equals(Engines.JAVA) ? JavaKernels.tinyAdd(a, b) : nd4j().tinyAdd(a, b);
    }
}
