package dev.quiver.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.openjdk.jmh.results.RunResult;

/**
 * One PNG per benchmark with a {@code size} parameter (and per dtype): the benchmark's unit against size, one line
 * per engine, both axes logarithmic.
 *
 * <pre>{@code
 * List<Path> written = Charts.write(results, Path.of("bench/results/x"));
 * }</pre>
 */
final class Charts {
    private Charts() {
    }

    static List<Path> write(List<RunResult> results, Path folder) throws IOException {
        // chart name -> engine -> size -> value
        Map<String, Map<String, TreeMap<Double, Double>>> charts = new TreeMap<>();
        Map<String, String> units = new TreeMap<>();
        for (RunResult result : results) {
            var params = result.getParams();
            if (!params.getParamsKeys().contains("size")) {
                continue;
            }
            String[] parts = params.getBenchmark().split("\\.");
            String benchmark = parts[parts.length - 2] + "." + parts[parts.length - 1];
            Map<String, String> values = new TreeMap<>();
            params.getParamsKeys().forEach(k -> values.put(k, params.getParam(k)));
            String name = benchmark + (values.containsKey("dtype") ? "-" + values.get("dtype") : "");
            Metric metric = Metric.of(benchmark);
            units.put(name, metric.unit());
            charts.computeIfAbsent(name, k -> new TreeMap<>(Comparator.naturalOrder()))
                    .computeIfAbsent(values.get("engine"), k -> new TreeMap<>())
                    .put(Double.parseDouble(values.get("size")), metric.value(values, result.getPrimaryResult().getScore()));
        }
        List<Path> written = new ArrayList<>();
        for (var chart : charts.entrySet()) {
            XYChart xy = new XYChartBuilder().width(900).height(560).title(chart.getKey())
                    .xAxisTitle("size (elements, or n of n x n)").yAxisTitle(units.get(chart.getKey())).build();
            xy.getStyler().setXAxisLogarithmic(true);
            xy.getStyler().setYAxisLogarithmic(true);
            xy.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
            xy.getStyler().setXAxisDecimalPattern("#,###");
            for (var series : chart.getValue().entrySet()) {
                double[] x = series.getValue().keySet().stream().mapToDouble(Double::doubleValue).toArray();
                double[] y = series.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
                XYSeries line = xy.addSeries(series.getKey(), x, y);
                line.setMarker(SeriesMarkers.CIRCLE);
            }
            Path file = folder.resolve(chart.getKey().replace('.', '-') + ".png");
            BitmapEncoder.saveBitmap(xy, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            written.add(file);
        }
        return written;
    }
}
