package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.Tensor;
import org.junit.jupiter.api.Test;

/** The progress line: drawn only on a terminal, only after a second, a few times a second, erased at the end. */
class ProgressTest {
    private static final long MS = 1_000_000L;

    /** A clock the test moves by hand. */
    private static final class Clock {
        long nanos = 5_000 * MS;
    }

    @Test
    void drawsNothingInTheFirstSecondThenStepsLossRateAndTimeLeft() {
        Clock clock = new Clock();
        Capture capture = new Capture();
        Progress progress = new Progress(capture.out, "equation-puzzle", 1000, () -> clock.nanos);
        Tensor loss = Tensor.scalar(0.0125f);
        clock.nanos += 900 * MS;
        progress.step(100, loss);
        assertEquals("", capture.text(), "a run shorter than a second prints nothing extra");
        assertEquals(0, progress.lossReads());

        clock.nanos += 350 * MS;   // 1.25 s for 250 steps: 200 steps/s, 750 left -> 3.75 s
        progress.step(250, loss);
        assertEquals("\requation-puzzle: step 250/1000  loss 0.01250  200 steps/s  ETA 3.8 s", capture.text());
        assertEquals(1, progress.lossReads());

        clock.nanos += 100 * MS;   // within the refresh interval: no redraw, no read
        progress.step(260, loss);
        assertEquals(1, progress.lossReads());

        progress.close();
        String erased = "\r" + " ".repeat("equation-puzzle: step 250/1000  loss 0.01250  200 steps/s  ETA 3.8 s"
                .length()) + "\r";
        assertTrue(capture.text().endsWith(erased), capture.text());
    }

    @Test
    void ordinaryLinesEraseTheProgressLineFirst() {
        Clock clock = new Clock();
        Capture capture = new Capture();
        Progress progress = new Progress(capture.out, "x", 10, () -> clock.nanos);
        clock.nanos += 2_500 * MS;
        progress.step(5, null);
        String line = "x: step 5/10  2 steps/s  ETA 2.5 s";
        assertEquals("\r" + line, capture.text());
        progress.println(capture.out, "At iter 5");
        assertTrue(capture.text().endsWith("\r" + " ".repeat(line.length()) + "\rAt iter 5\n"), capture.text());
        progress.close();
        assertTrue(capture.text().endsWith("At iter 5\n"), "nothing left to erase: " + capture.text());
    }

    @Test
    void aShorterLinePadsOverALongerOne() {
        Clock clock = new Clock();
        Capture capture = new Capture();
        Progress progress = new Progress(capture.out, "compare", 0, () -> clock.nanos);
        progress.status("cpu: polynomial-regression, warm run 1 of 3");
        progress.status("cpu: seed-basics");
        String[] draws = capture.text().split("\r");
        assertEquals(draws[1].length(), draws[2].length(), capture.text());
        assertTrue(draws[2].startsWith("compare: cpu: seed-basics  (0.0 s)"), capture.text());
    }

    /** Tests, pipes and captured streams are not terminals: nothing is drawn there. */
    @Test
    void offATerminalNothingIsDrawn() {
        Capture capture = new Capture();
        assertFalse(Progress.onTerminal(capture.out, "x", 10).enabled(), "a captured stream is not the terminal");
        assertFalse(Progress.stdoutIsTerminal(), "surefire's stdout is a pipe");
        assertFalse(Progress.onTerminal(System.out, "x", 10).enabled());
        Progress silent = Progress.onTerminal(capture.out, "x", 10);
        silent.step(5, Tensor.scalar(1f));
        silent.status("anything");
        silent.close();
        assertEquals("", capture.text());
        assertEquals(0, silent.lossReads());
    }

    @Test
    void durationsReadNaturally() {
        assertEquals("0.4 s", Progress.duration(0.42));
        assertEquals("12 s", Progress.duration(12.3));
        assertEquals("3 min 05 s", Progress.duration(185));
    }
}
