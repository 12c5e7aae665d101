package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.ErrorFunction;
import dev.quiver.spi.formulas.Trigonometry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * On demand: every one of the 2^32 float32 inputs of sin, cos and erf against a double reference, printed as a
 * table (function, range, max ulp, where, inputs not correctly rounded). References: StrictMath in double for
 * sin and cos, {@link HighPrecision#erfDouble} for erf. Minutes per function, so it runs only with
 * {@code -Dquiver.sweep=true} (choose with {@code -Dquiver.sweep.functions=sin,cos}), or from its {@code main}:
 *
 * <pre>{@code
 * ./mvnw -B -q verify -pl kernels -am -Dtest=FullSweep -Dquiver.sweep=true -Dquiver.sweep.functions=sin
 * java -cp core/target/classes:kernels/target/classes:kernels/target/test-classes:$JUNIT_API \
 *     dev.quiver.kernels.FullSweep sin
 * }</pre>
 */
@EnabledIfSystemProperty(named = "quiver.sweep", matches = "true")
class FullSweep {
    /** One function: its formula, its reference, and the ranges it is reported over (the first that holds). */
    private record Function(String name, Expr formula, DoubleUnaryOperator reference, UlpSweep.Range... ranges) {
    }

    private static List<Function> functions() {
        double limit = Trigonometry.reductionLimit(DType.FLOAT32);
        Expr x = Expr.input(0);
        UlpSweep.Range[] trig = {UlpSweep.range("|x| <= pi/4", -Math.PI / 4, Math.PI / 4),
            UlpSweep.range("|x| <= limit", -limit, limit), UlpSweep.range("beyond, inf, NaN", 0, Double.NaN)};
        return List.of(
                new Function("sin", Trigonometry.sin(x, DType.FLOAT32), StrictMath::sin, trig),
                new Function("cos", Trigonometry.cos(x, DType.FLOAT32), StrictMath::cos, trig),
                new Function("erf", ErrorFunction.erf(x, DType.FLOAT32), HighPrecision::erfDouble,
                        UlpSweep.range("|x| < 1.5", -1.5, 1.5), UlpSweep.range("all", 0, Double.NaN)));
    }

    /** The same sweep from a plain {@code java} command line: {@code FullSweep sin cos}. */
    public static void main(String[] args) {
        System.setProperty("quiver.sweep.functions", String.join(",", args));
        new FullSweep().sweepAllFloat32Inputs();
    }

    @Test
    void sweepAllFloat32Inputs() {
        List<String> wanted = List.of(System.getProperty("quiver.sweep.functions", "sin,cos,erf").split(","));
        List<UlpSweep.Stats> table = new ArrayList<>();
        for (Function f : functions()) {
            if (wanted.contains(f.name())) {
                table.addAll(UlpSweep.float32(f.name(), CompiledFormula.float32Unary(f.formula()), f.reference(), 1,
                        f.ranges()));
                System.out.println(UlpSweep.header());
                table.forEach(System.out::println);
            }
        }
        assertTrue(!table.isEmpty(), "no function among " + wanted);
    }
}
