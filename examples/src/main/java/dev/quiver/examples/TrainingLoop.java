package dev.quiver.examples;

import dev.quiver.Quiver;
import dev.quiver.spi.Backend;
import dev.quiver.spi.TransferStats;
import java.util.Locale;

/**
 * What a training loop cost: its steps, the host-device copies made inside it, and its wall time with the device
 * finished (a GPU backend returns from an op before the op has run, so the clock stops only after
 * {@link Backend#synchronize()}).
 *
 * <pre>{@code
 * TrainingLoop.Meter meter = TrainingLoop.start();
 * for (int step = 0; step < 100; step++) { ... }
 * TrainingLoop loop = meter.finish(100);
 * loop.describe();   // "100 steps, 212.4 µs/step, host transfers: 0 uploads, 20 downloads (80 bytes)"
 * }</pre>
 *
 * @param steps     steps run
 * @param transfers uploads and downloads made by the loop
 * @param seconds   wall time of the loop, device work included
 */
public record TrainingLoop(int steps, TransferStats transfers, double seconds) {

    /** Starts measuring on the current backend (after the work already queued has finished). */
    public static Meter start() {
        Backend backend = Quiver.backend();
        backend.synchronize();
        return new Meter(backend, backend.transfers(), System.nanoTime());
    }

    /** A running measurement; {@link #finish} ends it. */
    public record Meter(Backend backend, TransferStats before, long startNanos) {
        public TrainingLoop finish(int steps) {
            backend.synchronize();
            long end = System.nanoTime();
            return new TrainingLoop(steps, backend.transfers().minus(before), (end - startNanos) / 1e9);
        }
    }

    /** Wall time per step in microseconds. */
    public double microsPerStep() {
        return steps == 0 ? 0 : seconds * 1e6 / steps;
    }

    /** One line for the examples' output. */
    public String describe() {
        return String.format(Locale.ROOT, "%d steps, %.1f µs/step, host transfers: %d uploads, %d downloads (%d bytes)",
                steps, microsPerStep(), transfers.uploads(), transfers.downloads(),
                transfers.uploadBytes() + transfers.downloadBytes());
    }
}
