package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.ErrorFunction;
import dev.quiver.spi.formulas.InverseTrigonometry;
import dev.quiver.spi.formulas.Trigonometry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * On demand: every one of the 2^32 float32 inputs of sin, cos, erf, tan and atan, printed as a table (function,
 * range, max ulp, where, inputs not correctly rounded). References: StrictMath in double for sin, cos, tan and atan
 * (beyond the reduction limit only {@code |y| <= 1} is checked for sin and cos, nothing for tan: the result is
 * documented as inaccurate there),
 * {@link HighPrecision#erfDouble} for erf. Minutes per function, so it runs only with {@code -Dquiver.sweep=true}
 * (choose with {@code -Dquiver.sweep.functions=sin,cos}), or from its {@code main}:
 *
 * <pre>{@code
 * ./mvnw -B -q verify -pl kernels -am -Dtest=FullSweep -Dquiver.sweep=true -Dquiver.sweep.functions=sin
 * java -cp core/target/classes:kernels/target/classes:kernels/target/test-classes:$JUNIT_API \
 *     dev.quiver.kernels.FullSweep sin
 * }</pre>
 */
@EnabledIfSystemProperty(named = "quiver.sweep", matches = "true")
class FullSweep {
    /** The same sweep from a plain {@code java} command line: {@code FullSweep sin cos erf}. */
    public static void main(String[] args) {
        System.setProperty("quiver.sweep.functions", String.join(",", args));
        new FullSweep().sweepAllFloat32Inputs();
    }

    @Test
    void sweepAllFloat32Inputs() {
        List<String> wanted = List.of(System.getProperty("quiver.sweep.functions", "sin,cos,erf").split(","));
        Expr x = Expr.input(0);
        List<UlpSweep.Stats> table = new ArrayList<>();
        for (String name : wanted) {
            List<UlpSweep.Stats> rows = switch (name) {
                case "sin" -> trig(name, Trigonometry.sin(x, DType.FLOAT32), StrictMath::sin);
                case "cos" -> trig(name, Trigonometry.cos(x, DType.FLOAT32), StrictMath::cos);
                case "erf" -> UlpSweep.float32(name, CompiledFormula.float32Unary(ErrorFunction.erf(x, DType.FLOAT32)),
                        HighPrecision::erfDouble, 1, UlpSweep.range("|x| < 1", -1, 1),
                        UlpSweep.range("1 <= |x| < 2", -2, 2), UlpSweep.range("|x| >= 2, inf, NaN", 0, Double.NaN));
                // tan beyond the reduction limit is documented as inaccurate: only inputs up to it are measured
                case "tan" -> UlpSweep.float32(name, CompiledFormula.float32Unary(Trigonometry.tan(x, DType.FLOAT32)),
                        StrictMath::tan, 1, UlpSweep.range("|x| <= limit", -Trigonometry.reductionLimit(DType.FLOAT32),
                                Trigonometry.reductionLimit(DType.FLOAT32)));
                case "atan" -> UlpSweep.float32(name, CompiledFormula.float32Unary(
                        InverseTrigonometry.atan(x, DType.FLOAT32)), StrictMath::atan, 1,
                        UlpSweep.range("all", 0, Double.NaN));
                default -> throw new IllegalArgumentException("FullSweep: no function " + name);
            };
            System.out.println(UlpSweep.header());   // as each function ends: a sweep takes minutes
            rows.forEach(System.out::println);
            table.addAll(rows);
        }
        for (UlpSweep.Stats stats : table) {   // the goals: sin/cos 1 ulp up to the limit, erf 2 ulp
            assertTrue(stats.maxUlps <= (stats.function.equals("erf") ? 2.0 : 1.0), stats.toString());
        }
    }

    /** sin and cos: every input up to the reduction limit against StrictMath; beyond it, only |y| <= 1. */
    private static List<UlpSweep.Stats> trig(String name, Expr formula, DoubleUnaryOperator reference) {
        CompiledFormula.Float32Unary f = CompiledFormula.float32Unary(formula);
        double limit = Trigonometry.reductionLimit(DType.FLOAT32);
        UlpSweep.Stats quarter = new UlpSweep.Stats(name, UlpSweep.range("|x| <= pi/4", -Math.PI / 4, Math.PI / 4));
        UlpSweep.Stats reduced = new UlpSweep.Stats(name, UlpSweep.range("pi/4 < |x| <= limit", -limit, limit));
        UlpSweep.Stats beyond = new UlpSweep.Stats(name, UlpSweep.range("beyond: |y| <= 1, inf, NaN", limit,
                Float.MAX_VALUE));
        int top = Float.floatToRawIntBits((float) limit);
        for (long i = 0; i <= 2L * top + 1; i++) {   // both signs of every pattern up to the limit
            float x = Float.intBitsToFloat((int) (i >> 1) | (int) (i << 31));
            double ulps = UlpReference.ulps32(f.apply(x), reference.applyAsDouble(x));
            (Math.abs(x) <= Math.PI / 4 ? quarter : reduced).add(x, ulps, ulps <= 0.5);
        }
        for (long bits = top + 1L; bits <= 0x7FFFFFFFL; bits++) {
            for (float x : new float[] {Float.intBitsToFloat((int) bits), -Float.intBitsToFloat((int) bits)}) {
                float y = f.apply(x);
                boolean ok = Float.isFinite(x) ? Math.abs(y) <= 1 : Float.isNaN(y);
                beyond.add(x, ok ? 0 : Double.POSITIVE_INFINITY, ok);
            }
        }
        return List.of(quarter, reduced, beyond);
    }
}
