package dev.quiver.bench;

/**
 * Makes one benchmark kernel for whichever engine a fork runs: a Quiver backend, the plain-Java peer or a library
 * peer ({@link Peer}: ND4J, libtorch, TensorFlow Java).
 * {@link #prepare} is called first, once per fork, from the benchmark's {@code @Setup}.
 *
 * <pre>{@code
 * Kernels.prepare("cpu-1t");
 * Kernel matmul = Kernels.matmul("cpu-1t", a, b, 0, 512, 512, 512);
 * }</pre>
 */
public final class Kernels {
    private static Peer peer;

    private Kernels() {
    }

    /**
     * Selects the engine for this JVM: the Quiver backend (with its variant's settings) or the library peer with its
     * thread count ({@code -1t}: one thread, else all cores). Fails with the reason when the engine cannot run here, so no result is silently missing.
     */
    public static synchronized String prepare(String engine) {
        String reason = Engines.unavailableReason(engine);
        if (reason != null) {
            throw new IllegalStateException("engine '" + engine + "' cannot run here: " + reason);
        }
        if (Engines.isQuiver(engine)) {
            return Engines.useQuiver(engine).deviceDescription();
        }
        if (Peer.library(engine) != null) {
            peer = Peer.load(engine);
            peer.threads(Engines.threads(engine));
            String description = peer.describe();
            // in the JMH log of the fork: what this engine ran on, its version and thread settings
            System.out.println("bench: engine " + engine + " is " + description);
            return description;
        }
        return "plain Java " + Runtime.version();
    }

    private static Peer peer() {
        if (peer == null) {
            throw new IllegalStateException("Kernels.prepare(engine) was not called for a peer engine");
        }
        return peer;
    }

    public static Kernel add(String engine, float[] a, float[] b) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.add(a, b);
        }
        return engine.equals(Engines.JAVA) ? JavaKernels.add(a, b) : peer().add(a, b);
    }

    public static Kernel mulAdd(String engine, float[] a, float[] b, float[] c) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.mulAdd(a, b, c);
        }
        return engine.equals(Engines.JAVA) ? JavaKernels.mulAdd(a, b, c) : peer().mulAdd(a, b, c);
    }

    public static Kernel sum(String engine, float[] a, boolean mean) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.sum(a, mean);
        }
        if (engine.equals(Engines.JAVA)) {
            return JavaKernels.sum(a, mean);
        }
        return mean ? peer().mean(a) : peer().sum(a);
    }

    /** (batch, m, k) @ (batch, k, n); {@code batch == 0} means plain 2-D matrices. */
    public static Kernel matmul(String engine, Object a, Object b, int batch, int m, int k, int n) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.matmul(a, b, batch, m, k, n);
        }
        int batches = Math.max(batch, 1);
        return engine.equals(Engines.JAVA) ? JavaKernels.matmul(a, b, batches, m, k, n)
                : peer().matmul(a, b, batch, m, k, n);
    }

    public static Kernel tinyAdd(String engine, float a, float b) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.tinyAdd(a, b);
        }
        return engine.equals(Engines.JAVA) ? JavaKernels.tinyAdd(a, b) : peer().tinyAdd(a, b);
    }

    /** A standard-normal draw of {@code size} elements, a new one each run. */
    public static Kernel normal(String engine, boolean float64, int size) {
        if (Engines.isQuiver(engine)) {
            return QuiverKernels.normal(float64, size);
        }
        return engine.equals(Engines.JAVA) ? JavaKernels.normal(float64, size) : peer().normal(float64, size);
    }

    /** One step of the tutorial's linear regression on {@code engine} (see {@link TrainingBench}). */
    public static TrainingBench.Step linearRegression(String engine, int batch) {
        if (Engines.isQuiver(engine)) {
            return TrainingBench.quiverLinear(batch);
        }
        return engine.equals(Engines.JAVA) ? TrainingBench.javaLinear(batch) : peer().linearRegression(batch);
    }
}
