package dev.quiver.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/**
 * What the plots look like, checked on the chart objects (the PNGs themselves were looked at when this was written):
 * true values grey and dashed beneath the learned ones, the legend inside the plot, and a log axis with one label
 * form and no minor grid lines.
 */
class PlotsTest {
    private static final float[] WS = {10, 8.5f, 7.5f, 7.1f, 7.0f};
    private static final float[] BS = {1, 2.5f, 3.4f, 3.9f, 4.0f};

    @Test
    void trueParametersAreGreyDashedLinesBeneathTheLearnedOnes() {
        XYChart chart = LinearRegression.parameterChart(WS, BS);
        List<String> order = List.copyOf(chart.getSeriesMap().keySet());
        assertEquals(List.of("true w = 7", "true b = 4", "learned w", "learned b"), order, "paint order");
        for (String name : List.of("true w = 7", "true b = 4")) {
            XYSeries truth = chart.getSeriesMap().get(name);
            assertEquals(Plots.REFERENCE_COLOR, truth.getLineColor(), name);
            assertNotNull(truth.getLineStyle().getDashArray(), name + " is dashed");
        }
        for (String name : List.of("learned w", "learned b")) {
            XYSeries learned = chart.getSeriesMap().get(name);
            assertNull(learned.getLineStyle().getDashArray(), name + " is solid");
            assertTrue(learned.getLineStyle().getLineWidth() < Plots.REFERENCE_STROKE.getLineWidth(),
                    "grey shows on both sides of a learned line that lies on its true value");
        }
        assertTrue(chart.getStyler().getLegendPosition().name().startsWith("Inside"),
                chart.getStyler().getLegendPosition().name());
    }

    @Test
    void theTrueLineOfTheDataPlotIsAReferenceToo() {
        XYChart chart = LinearRegression.dataChart(new float[] {-1, 0, 1}, new float[] {-3, 4, 11}, 7, 4);
        assertEquals(Plots.REFERENCE_COLOR, chart.getSeriesMap().get("true line y = 7x + 4").getLineColor());
        assertTrue(chart.getStyler().getLegendPosition().name().startsWith("Inside"));
    }

    @Test
    void thePuzzleLossIsPlottedAsPowersOfTenWithOneLabelForm() {
        XYChart chart = EquationPuzzle.lossChart(new float[] {100, 1, 1e-3f, 1e-4f, 0});
        // log10 of the values on a linear axis: grid lines only where labels are (no minor lines per decade)
        assertFalse(chart.getStyler().isYAxisLogarithmic());
        double[] logs = chart.getSeriesMap().get("loss").getYData();
        assertArrayEquals(new double[] {2, 0, Math.log10(1e-3f), Math.log10(1e-4f), -14}, logs, 1e-9);
        assertEquals(-6, chart.getSeriesMap().get("residual target 1e-3 (squared: 1e-6)").getYData()[0], 1e-12);
        assertTrue(chart.getStyler().getLegendPosition().name().startsWith("Inside"));
        // every decade is labelled the same way: no 0.001 beside 1E-4
        assertEquals("1e-3", Plots.powerOfTen(-3));
        assertEquals("1e-4", Plots.powerOfTen(-4));
        assertEquals("1e0", Plots.powerOfTen(0));
        assertEquals("1e2", Plots.powerOfTen(2));
        assertEquals("31.6", Plots.powerOfTen(1.5), "between decades (a narrow axis), the value itself");
    }
}
