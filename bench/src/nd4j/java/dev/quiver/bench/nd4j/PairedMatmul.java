package dev.quiver.bench.nd4j;

import dev.quiver.Quiver;
import dev.quiver.bench.Data;
import dev.quiver.bench.Kernel;
import dev.quiver.bench.Peer;
import dev.quiver.bench.QuiverKernels;
import java.util.Locale;

/**
 * Quiver's CPU matmul and ND4J's on one thread, alternating call by call in one JVM, compared by their best times.
 * On a shared machine whose speed drifts over minutes, JMH's one-fork-per-engine runs can differ by ±30%; calls
 * interleaved within seconds see the same machine, so their ratio is the steadier one. Built only with {@code -Pnd4j}.
 *
 * <pre>{@code
 * bench/run --nd4j --only none --no-cold-start   # builds the bench with ND4J (or QUIVER_BENCH_SKIP_BUILD=1 to reuse)
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp "bench/target/classes:bench/target/lib/*" dev.quiver.bench.nd4j.PairedMatmul f1024,d1024
 * }</pre>
 */
public final class PairedMatmul {
    private PairedMatmul() {
    }

    /** @param args one argument: comma-separated sizes, {@code f} (float32) or {@code d} (float64) then n */
    public static void main(String[] args) {
        System.setProperty("quiver.cpu.threads", "1");
        Quiver.use("cpu");
        Peer nd4j = Peer.load("nd4j");
        nd4j.threads(1);
        for (String spec : (args.length > 0 ? args[0] : "f512,f1024,f2048,d512,d1024,d2048").split(",")) {
            boolean float64 = spec.startsWith("d");
            int n = Integer.parseInt(spec.substring(1));
            Object a = float64 ? Data.doubles(n * n, 5) : Data.floats(n * n, 5);
            Object b = float64 ? Data.doubles(n * n, 6) : Data.floats(n * n, 6);
            Kernel[] kernels = {QuiverKernels.matmul(a, b, 0, n, n, n), nd4j.matmul(a, b, 0, n, n, n)};
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
            int rounds = n >= 2048 ? 6 : 12;
            for (int round = 0; round < rounds; round++) {
                for (int engine = 0; engine < 2; engine++) {
                    for (int repeat = 0; repeat < 2; repeat++) {
                        long start = System.nanoTime();
                        Object out = kernels[engine].run();
                        best[engine] = Math.min(best[engine], System.nanoTime() - start);
                        kernels[engine].release(out);
                    }
                }
            }
            double flops = 2.0 * n * n * n;
            System.out.printf(Locale.ROOT, "%s %d³ one thread, interleaved: quiver %.1f, nd4j %.1f GFLOP/s, ratio %.2f%n",
                    float64 ? "float64" : "float32", n, flops / best[0], flops / best[1], best[1] / best[0]);
        }
        System.exit(0); // ND4J leaves non-daemon threads behind
    }
}
