package dev.quiver.spi;

/**
 * Device work recorded once by {@link Backend#capture} and replayed by the device as one unit: a CUDA graph. A compiled
 * step whose calls are the same at every step (its random draws read their position from a counter on the device)
 * captures them once and launches the capture per step, one submission instead of one launch per call, as PyTorch's
 * CUDA graphs do.
 *
 * <pre>{@code
 * try (CapturedWork step = backend.capture(() -> program.runCalls())) {
 *     for (int i = 0; i < 1000; i++) {
 *         step.launch();            // queued after everything issued before; nothing waits
 *     }
 * }
 * }</pre>
 */
public interface CapturedWork extends AutoCloseable {

    /** Queues the captured work once, after everything issued on the backend before; does not wait. */
    void launch();

    /** Releases the capture and the memory it kept for its calls (scratch); it must not be launched again. */
    @Override
    void close();
}
