package dev.quiver.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what Quiver logs through {@link System.Logger} (java.util.logging underneath by default) for one logger,
 * without printing it, until closed.
 *
 * <pre>{@code
 * try (LogCapture log = new LogCapture(Optimizer.class.getName())) {
 *     optimizer.applyGradients(grads, vars);
 *     assertEquals(1, log.messages().size());
 * }
 * }</pre>
 */
final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger;
    private final List<String> messages = new ArrayList<>();

    LogCapture(String loggerName) {
        logger = Logger.getLogger(loggerName);
        logger.addHandler(this);
        logger.setUseParentHandlers(false); // captured, not printed: the test output stays quiet
    }

    /** Each record so far as {@code "LEVEL message"}. */
    synchronized List<String> messages() {
        return new ArrayList<>(messages);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        messages.add(record.getLevel() + " " + record.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setUseParentHandlers(true);
    }
}
