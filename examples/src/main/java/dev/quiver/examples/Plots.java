package dev.quiver.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Small XChart helpers that write PNG files without a display. Package-private: the examples' own plumbing.
 */
final class Plots {
    static {
        // Must happen before any AWT class loads: examples run on servers and in CI with no X display.
        System.setProperty("java.awt.headless", "true");
    }

    private static final int WIDTH = 800;
    private static final int HEIGHT = 600;

    private Plots() {
    }

    /** An empty chart with titles, points drawn as markers unless a series says otherwise. */
    static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(6);
        // XChart 3.8.8 picks its x ticks from the FIRST series: when its x values are equally spaced (iterations)
        // it puts a label on nearly every point. Per-iteration plots therefore add a two-point reference line first.
        return chart;
    }

    /** Adds a series of points. */
    static void points(XYChart chart, String name, double[] x, double[] y) {
        chart.addSeries(name, x, y);
    }

    /** Adds a series drawn as a line without markers. */
    static void line(XYChart chart, String name, double[] x, double[] y) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setMarker(SeriesMarkers.NONE);
    }

    /** Adds a dashed line without markers, for a line that may lie on top of another one. */
    static void dashedLine(XYChart chart, String name, double[] x, double[] y) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineStyle(SeriesLines.DASH_DASH);
    }

    /** Writes {@code chart} as {@code directory/fileName} (a {@code .png} name), creating the directory. */
    static Path save(XYChart chart, Path directory, String fileName) {
        try {
            Files.createDirectories(directory);
            Path file = directory.resolve(fileName);
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            return file;
        } catch (IOException failure) {
            throw new UncheckedIOException("could not write plot " + directory.resolve(fileName), failure);
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
