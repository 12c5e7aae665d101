package dev.quiver.examples;

import dev.quiver.Tensor;
import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress display for work that takes more than a second: steps done, the latest loss, the rate and the
 * time left, redrawn in place ({@code \r}) a few times a second. It draws only on an interactive terminal: when
 * standard output is a pipe or a file, or the text goes to another stream (tests, {@code compare}), it prints
 * nothing at all, so logs and captured output stay exactly as they were.
 *
 * <pre>{@code
 * try (Progress progress = Progress.onTerminal(out, "training", STEPS)) {
 *     for (int step = 0; step < STEPS; step++) {
 *         Tensor loss = ...;
 *         progress.step(step + 1, loss);        // reads the loss only when it redraws
 *     }
 * }                                             // erases the line
 * // training: step 4200/10000  loss 0.0123  1,830 steps/s  ETA 3.2 s
 * }</pre>
 */
final class Progress implements AutoCloseable {
    /** Nothing is drawn before this much time has passed: short runs print nothing extra. */
    static final long SHOW_AFTER_NANOS = 1_000_000_000L;
    /** Redraws at most this often; each redraw of a training line reads the loss back once. */
    static final long REFRESH_NANOS = 250_000_000L;

    private static final Progress OFF = new Progress(null, "", 0, System::nanoTime);

    private final PrintStream out;
    private final String label;
    private final int totalSteps;
    private final LongSupplier clock;
    private final long startNanos;
    private long lastDrawNanos;
    private int drawnWidth;
    private int lossReads;

    /**
     * @param out        where to draw, or null to draw nothing
     * @param label      what is running, at the start of the line
     * @param totalSteps the steps the work will take (for the rate and the time left); 0 for a status line only
     * @param clock      nanoseconds, {@link System#nanoTime()} outside tests
     */
    Progress(PrintStream out, String label, int totalSteps, LongSupplier clock) {
        this.out = out;
        this.label = label;
        this.totalSteps = totalSteps;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastDrawNanos = startNanos - REFRESH_NANOS;
    }

    /** A progress line on {@code out} when it is standard output and a terminal; otherwise a silent one. */
    static Progress onTerminal(PrintStream out, String label, int totalSteps) {
        return out == System.out && stdoutIsTerminal() ? new Progress(out, label, totalSteps, System::nanoTime) : OFF;
    }

    /**
     * Whether standard output (and input) is an interactive terminal. Since JDK 22 {@link System#console()} returns a
     * console even when output is redirected, so {@link Console#isTerminal()} decides.
     */
    static boolean stdoutIsTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** Whether this line draws anything. */
    boolean enabled() {
        return out != null;
    }

    /**
     * Records that {@code stepsDone} steps have finished. After the first second, and then every
     * {@link #REFRESH_NANOS}, redraws the line; only then is {@code loss} read back (one download), so a loop
     * that keeps its values on the device stays that way between redraws.
     *
     * @param loss the latest loss, or null to show none
     */
    void step(int stepsDone, Tensor loss) {
        if (out == null) {
            return;
        }
        long now = clock.getAsLong();
        if (now - startNanos < SHOW_AFTER_NANOS || now - lastDrawNanos < REFRESH_NANOS) {
            return;
        }
        lastDrawNanos = now;
        String lossText = "";
        if (loss != null) {
            lossReads++;
            lossText = String.format(Locale.ROOT, "  loss %.4g", loss.floatValue());
        }
        double seconds = (now - startNanos) / 1e9;
        double rate = stepsDone / seconds;
        String eta = rate > 0 && totalSteps > 0 ? "  ETA " + duration((totalSteps - stepsDone) / rate) : "";
        draw(String.format(Locale.ROOT, "%s: step %d/%d%s  %,.0f steps/s%s", label, stepsDone, totalSteps, lossText,
                rate, eta));
    }

    /** Shows {@code text} (what a long, step-less task is doing now), with the time elapsed; at once, no delay. */
    void status(String text) {
        if (out == null) {
            return;
        }
        draw(String.format(Locale.ROOT, "%s: %s  (%s)", label, text,
                duration((clock.getAsLong() - startNanos) / 1e9)));
    }

    /** Prints a line of ordinary output; the progress line, if shown, is erased first and redrawn later. */
    void println(PrintStream target, String line) {
        erase();
        target.println(line);
    }

    /** How many times the line read a loss back from the backend (each one a download the loop did not need). */
    int lossReads() {
        return lossReads;
    }

    /** Erases the line, leaving the cursor where the line began, so what follows prints as if it was never there. */
    @Override
    public void close() {
        erase();
    }

    private void draw(String text) {
        // pad over the previous, longer text: \r returns to the start of the line but does not clear it
        String padded = text.length() < drawnWidth ? text + " ".repeat(drawnWidth - text.length()) : text;
        out.print("\r" + padded);
        out.flush();
        drawnWidth = text.length();
    }

    private void erase() {
        if (out != null && drawnWidth > 0) {
            out.print("\r" + " ".repeat(drawnWidth) + "\r");
            out.flush();
            drawnWidth = 0;
        }
    }

    /** {@code 0.4 s}, {@code 12 s}, {@code 3 min 05 s}. */
    static String duration(double seconds) {
        if (seconds < 10) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        long whole = Math.round(seconds);
        return whole < 60 ? whole + " s" : String.format(Locale.ROOT, "%d min %02d s", whole / 60, whole % 60);
    }
}
