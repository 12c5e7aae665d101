package dev.quiver.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Small XChart helpers that write PNG files without a display. Package-private: the examples' own plumbing.
 *
 * <p>One look for all plots: the legend inside the plot area, in a corner the data leaves empty (outside, it took a
 * quarter of the width); true or target values as a wide grey dashed line beneath the learned values, so where the
 * two agree the grey shows on both sides of the coloured line instead of one hiding the other.
 */
final class Plots {
    static {
        // Must happen before any AWT class loads: examples run on servers and in CI with no X display.
        System.setProperty("java.awt.headless", "true");
    }

    private static final int WIDTH = 800;
    private static final int HEIGHT = 600;
    /** True and target values: grey, so they read as background to the coloured, learned values. */
    static final Color REFERENCE_COLOR = new Color(0x80, 0x80, 0x80);
    /** Wider than a learned line (2 px), so a learned line lying on it leaves grey dashes visible on both sides. */
    static final BasicStroke REFERENCE_STROKE = new BasicStroke(5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
            10f, new float[] {10f, 6f}, 0f);
    private static final BasicStroke LEARNED_STROKE = new BasicStroke(2f);

    private Plots() {
    }

    /**
     * An empty chart with titles, points drawn as markers unless a series says otherwise.
     *
     * @param legend the inside corner or edge that the data leaves free
     */
    static XYChart chart(String title, String xTitle, String yTitle, LegendPosition legend) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(6);
        chart.getStyler().setLegendPosition(legend);
        // XChart 3.8.8 picks its x ticks from the FIRST series: when its x values are equally spaced (iterations)
        // it puts a label on nearly every point. Per-iteration plots therefore add a two-point reference line first.
        return chart;
    }

    /** Adds a series of points. */
    static void points(XYChart chart, String name, double[] x, double[] y) {
        chart.addSeries(name, x, y);
    }

    /** Adds a series drawn as a solid line without markers: a learned or measured value. */
    static XYSeries line(XYChart chart, String name, double[] x, double[] y) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineStyle(LEARNED_STROKE);
        return series;
    }

    /**
     * Adds a true or target value as a wide grey dashed line. Add it before the learned line it belongs to:
     * series paint in the order added, so the learned line lies on top of it.
     */
    static XYSeries reference(XYChart chart, String name, double[] x, double[] y) {
        XYSeries series = line(chart, name, x, y);
        series.setLineColor(REFERENCE_COLOR);
        series.setLineStyle(REFERENCE_STROKE);
        return series;
    }

    /**
     * Adds {@code y} on a logarithmic scale: the series holds {@code log10(y)} on a linear axis whose labels read as
     * powers of ten ({@code 1e2}, {@code 1e0}, {@code 1e-4}), so labels and grid lines fall only where a label is.
     * XChart's own logarithmic axis (3.8.8) draws eight minor grid lines per decade and labels {@code 0.001} beside
     * {@code 1E-4}; its "decade only" setting hides labels, not lines, and a custom label formatter on it places
     * linear ticks on the logarithmic scale.
     *
     * @param y values above zero
     */
    static XYSeries logarithmicLine(XYChart chart, String name, double[] x, double[] y) {
        useLogarithmicLabels(chart);
        return line(chart, name, x, log10(y));
    }

    /** {@link #reference} on the scale of {@link #logarithmicLine}. */
    static XYSeries logarithmicReference(XYChart chart, String name, double[] x, double[] y) {
        useLogarithmicLabels(chart);
        return reference(chart, name, x, log10(y));
    }

    private static void useLogarithmicLabels(XYChart chart) {
        chart.setCustomYAxisTickLabelsFormatter(Plots::powerOfTen);
    }

    private static double[] log10(double[] values) {
        double[] logs = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            logs[i] = Math.log10(values[i]);
        }
        return logs;
    }

    /**
     * The label of a tick at {@code exponent} on a {@link #logarithmicLine} axis: {@code 1e-4} for -4, {@code 1e0}
     * for 0; between powers of ten (an axis spanning less than two decades), the value with three digits.
     */
    static String powerOfTen(double exponent) {
        long whole = Math.round(exponent);
        if (Math.abs(exponent - whole) < 1e-9) {
            return "1e" + whole;
        }
        return String.format(Locale.ROOT, "%.3g", Math.pow(10, exponent));
    }

    /**
     * Writes {@code chart} as {@code directory/fileName} (a {@code .png} name), creating the directory; returns the
     * file's absolute path, which the examples print so that a user finds the plot wherever they ran from.
     */
    static Path save(XYChart chart, Path directory, String fileName) {
        Path file = directory.toAbsolutePath().normalize().resolve(fileName);
        try {
            Files.createDirectories(file.getParent());
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            return file;
        } catch (IOException failure) {
            throw new UncheckedIOException("could not write plot " + file, failure);
        }
    }

    /** 0, 1, ..., n-1 as doubles: the x axis of a per-iteration plot. */
    static double[] iterations(int n) {
        double[] steps = new double[n];
        for (int i = 0; i < n; i++) {
            steps[i] = i;
        }
        return steps;
    }

    /** float32 values read back from a tensor, widened for XChart. */
    static double[] widen(float[] values) {
        double[] wide = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return wide;
    }
}
