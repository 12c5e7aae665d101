package dev.quiver.examples;

import dev.quiver.Quiver;
import dev.quiver.spi.Backend;
import dev.quiver.spi.TransferStats;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a training loop cost: its steps, the host-device copies made inside it, and its wall time with the device
 * finished (a GPU backend returns from an op before the op has run, so the clock stops only after
 * {@link Backend#synchronize()}).
 *
 * <p>The time of the first run of a tutorial on a backend in a JVM is <em>cold</em>: it includes the JIT compiling
 * the code and, on OpenCL, kernels being built. Later runs are <em>warm</em>. {@code ./quiver all} runs each tutorial
 * once and prints cold figures; {@code ./quiver compare} reports the warm median, often several times faster. Every
 * figure says which it is, so the two do not look contradictory.
 *
 * <pre>{@code
 * TrainingLoop.Meter meter = TrainingLoop.start("linear-regression");
 * for (int step = 0; step < 100; step++) { ... }
 * TrainingLoop loop = meter.finish(100, progress);
 * loop.describe();
 * // "100 steps, 845.4 µs/step cold (first run in this JVM: JIT compilation included; ./quiver compare reports
 * //  the warm median), host transfers: 0 uploads, 20 downloads (80 bytes)"
 * }</pre>
 *
 * @param steps         steps run
 * @param transfers     uploads and downloads made by the loop, those of the progress line included
 * @param seconds       wall time of the loop, device work included
 * @param runInJvm      1 for the first run of this tutorial on this backend in this JVM (cold), 2 and up after
 * @param progressReads downloads made only to show the loss on the terminal's progress line (0 off a terminal)
 */
public record TrainingLoop(int steps, TransferStats transfers, double seconds, int runInJvm, int progressReads) {
    // runs so far per "tutorial on backend": the first one pays for JIT compilation and kernel builds
    private static final Map<String, Integer> RUNS = new ConcurrentHashMap<>();

    /**
     * Starts measuring {@code tutorial} on the current backend (after the work already queued has finished).
     *
     * @param tutorial the name runs are counted under, to tell a cold first run from warm ones
     * @return the running measurement
     */
    public static Meter start(String tutorial) {
        Backend backend = Quiver.backend();
        backend.synchronize();
        int run = RUNS.merge(tutorial + " on " + backend.name(), 1, Integer::sum);
        return new Meter(backend, backend.transfers(), System.nanoTime(), run);
    }

    /**
     * A running measurement; {@link #finish} ends it.
     *
     * @param backend    the backend measured
     * @param before     its transfer counts at the start
     * @param startNanos {@link System#nanoTime()} at the start
     * @param runInJvm   which run of this tutorial on this backend this is, from 1
     */
    public record Meter(Backend backend, TransferStats before, long startNanos, int runInJvm) {
        /**
         * Ends the measurement after {@code steps} steps that showed no progress line.
         *
         * @param steps the steps the loop ran
         * @return what the loop cost
         */
        public TrainingLoop finish(int steps) {
            return finish(steps, 0);
        }

        /** Ends the measurement after {@code steps} steps, counting the loss reads of the progress line. */
        TrainingLoop finish(int steps, Progress progress) {
            return finish(steps, progress.lossReads());
        }

        private TrainingLoop finish(int steps, int progressReads) {
            backend.synchronize();
            long end = System.nanoTime();
            return new TrainingLoop(steps, backend.transfers().minus(before), (end - startNanos) / 1e9, runInJvm,
                    progressReads);
        }
    }

    /**
     * Wall time per step.
     *
     * @return microseconds per step, 0 for a loop of no steps
     */
    public double microsPerStep() {
        return steps == 0 ? 0 : seconds * 1e6 / steps;
    }

    /**
     * Whether the time includes warming up.
     *
     * @return true for the first run of its tutorial on its backend in this JVM (JIT and kernel builds included)
     */
    public boolean cold() {
        return runInJvm == 1;
    }

    /**
     * What the µs/step figure means.
     *
     * @return {@code cold (first run in this JVM ...)} or {@code warm (run 3 in this JVM)}
     */
    public String temperature() {
        return cold()
                ? "cold (first run in this JVM: JIT compilation included; ./quiver compare reports the warm median)"
                : "warm (run " + runInJvm + " in this JVM)";
    }

    /**
     * One line for the examples' output.
     *
     * @return steps, µs/step (cold or warm) and the host transfers
     */
    public String describe() {
        return String.format(Locale.ROOT,
                "%d steps, %.1f µs/step %s, host transfers: %d uploads, %d downloads (%d bytes%s)", steps,
                microsPerStep(), temperature(), transfers.uploads(), transfers.downloads(),
                transfers.uploadBytes() + transfers.downloadBytes(),
                progressReads == 0 ? "" : "; " + progressReads + " of the downloads drew the progress line");
    }
}
