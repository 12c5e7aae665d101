package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.Trigonometry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * On demand: every one of the 2^32 float32 inputs of a unary formula against a double reference, printed as a table
 * (function, range, max ulp, where, inputs above 0.5 ulp). Minutes per function, so it runs only with
 * {@code -Dquiver.sweep=true} (optionally {@code -Dquiver.sweep.functions=sin,cos}):
 *
 * <pre>{@code
 * ./mvnw -B -q verify -pl kernels -am -Dtest=FullSweep -Dquiver.sweep=true -Dquiver.sweep.functions=sin
 * java -cp core/target/classes:kernels/target/classes:kernels/target/test-classes:$JUNIT dev.quiver.kernels.FullSweep sin
 * }</pre>
 */
@EnabledIfSystemProperty(named = "quiver.sweep", matches = "true")
class FullSweep {
    /** One function: its formula, its reference, and the |x| bounds of the ranges it is reported over. */
    private record Function(String name, CompiledFormula.Float32Unary formula, DoubleUnaryOperator reference,
                            double[] bounds) {
    }

    private static List<Function> functions() {
        double trigLimit = Trigonometry.reductionLimit(DType.FLOAT32);
        return List.of(
                new Function("sin", CompiledFormula.float32Unary(Trigonometry.sin(Expr.input(0), DType.FLOAT32)),
                        StrictMath::sin, new double[] {Math.PI / 4, trigLimit}),
                new Function("cos", CompiledFormula.float32Unary(Trigonometry.cos(Expr.input(0), DType.FLOAT32)),
                        StrictMath::cos, new double[] {Math.PI / 4, trigLimit}));
    }

    /** The same sweep from a plain {@code java} command line: {@code FullSweep sin cos}. */
    public static void main(String[] args) {
        System.setProperty("quiver.sweep.functions", String.join(",", args));
        new FullSweep().sweepAllFloat32Inputs();
    }

    @Test
    void sweepAllFloat32Inputs() {
        String wanted = System.getProperty("quiver.sweep.functions", "sin,cos");
        List<String> table = new ArrayList<>();
        for (Function function : functions()) {
            if (List.of(wanted.split(",")).contains(function.name())) {
                table.addAll(sweep(function));
            }
        }
        System.out.println("| function | range | max ulp | where | inputs > 0.5 ulp of all |");
        table.forEach(System.out::println);
        assertTrue(!table.isEmpty(), "no function among " + wanted);
    }

    /** All 2^32 patterns in 2^12 chunks over the common pool; one record per range, NaN inputs in the last. */
    private static List<String> sweep(Function function) {
        int ranges = function.bounds().length + 1;
        UlpMeter.Record[] total = records(function, ranges);
        IntStream.range(0, 1 << 12).parallel().mapToObj(chunk -> {
            UlpMeter.Record[] records = records(function, ranges);
            for (long i = (long) chunk << 20, end = i + (1 << 20); i < end; i++) {
                float x = Float.intBitsToFloat((int) i);
                int range = 0;
                while (range < function.bounds().length && !(Math.abs(x) <= function.bounds()[range])) {
                    range++;
                }
                records[range].add(x, UlpMeter.float32(function.formula().apply(x), function.reference()
                        .applyAsDouble(x)));
            }
            return records;
        }).forEachOrdered(records -> {
            for (int r = 0; r < ranges; r++) {
                total[r].merge(records[r]);
            }
        });
        return java.util.Arrays.stream(total).map(UlpMeter.Record::toString).toList();
    }

    private static UlpMeter.Record[] records(Function function, int ranges) {
        UlpMeter.Record[] records = new UlpMeter.Record[ranges];
        double low = 0;
        for (int r = 0; r < ranges; r++) {
            String range = r < ranges - 1 ? "|x| in [" + (float) low + ", " + (float) function.bounds()[r] + "]"
                    : "beyond, inf, NaN";
            records[r] = new UlpMeter.Record(function.name(), range);
            low = r < ranges - 1 ? function.bounds()[r] : low;
        }
        return records;
    }
}
