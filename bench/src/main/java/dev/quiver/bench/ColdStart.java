package dev.quiver.bench;

/**
 * A process that makes one 1-element add on an engine and prints how long it took from its launch (the
 * parent's {@link System#nanoTime()} when it started the process, passed as an argument: on Linux both read the
 * same monotonic clock) to the first result read back in Java. {@link BenchMain} starts it a few times, for a
 * Quiver engine with only Quiver's jars on the class path (as a user's program would have).
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp ... dev.quiver.bench.ColdStart cpu $(launch nanos)
 * // first-result-ms 97.3 in-main-ms 41.0
 * }</pre>
 */
public final class ColdStart {
    private ColdStart() {
    }

    public static void main(String[] args) {
        long inMain = System.nanoTime();
        String engine = args[0];
        long launched = Long.parseLong(args[1]);
        Kernels.prepare(engine);
        Kernel add = Kernels.tinyAdd(engine, 1.25f, 2.5f);
        double[] value = add.read(add.run());
        long done = System.nanoTime();
        if (value[0] != 3.75) {
            throw new AssertionError("cold start on " + engine + ": 1.25 + 2.5 gave " + value[0]);
        }
        System.out.printf(java.util.Locale.ROOT, "first-result-ms %.1f in-main-ms %.1f%n", (done - launched) / 1e6,
                (done - inMain) / 1e6);
        System.exit(0); // ND4J leaves non-daemon threads behind
    }
}
