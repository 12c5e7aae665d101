package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.spi.Expr;
import dev.quiver.spi.formulas.Exponentials;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The full float32 sweep of Exponentials' unary formulas (all 2^32 inputs each, minutes per function on one
 * core) and a dense two-dimensional sample of pow, printed as a markdown table (function, input range, largest
 * error in ulps against StrictMath in double, where, how many results are not correctly rounded), with each
 * formula's node count. Run on demand:
 * <pre>{@code
 * ./mvnw -B -q verify -pl kernels -am -Dtest=ExponentialsSweep -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dquiver.sweep=true -Dquiver.sweep.functions=exp,log     # default: all six
 * }</pre>
 */
@EnabledIfSystemProperty(named = "quiver.sweep", matches = "true")
class ExponentialsSweep {
    private static final double MIN_NORMAL = Float.MIN_NORMAL;

    @Test
    void sweepEveryFloat32Input() {
        String functions = System.getProperty("quiver.sweep.functions", "exp,expm1,log,log1p,tanh,pow");
        List<String> rows = new ArrayList<>();
        for (String function : functions.split(",")) {
            long start = System.nanoTime();
            List<UlpSweep.Stats> stats = function.equals("pow") ? pow() : unary(function);
            for (UlpSweep.Stats s : stats) {
                rows.add(s.toString());
                System.out.println(s);
                assertTrue(s.maxUlps <= 2, "over 2 ulp: " + s);
            }
            System.out.printf("%s: %.0f s%n", function, (System.nanoTime() - start) * 1e-9);
        }
        System.out.println(UlpSweep.header());
        rows.forEach(System.out::println);
        System.out.println("\n| fn | nodes float32 (operations) | nodes float64 (operations) |\n|---|---|---|");
        for (String function : functions.split(",")) {
            System.out.printf("| %s | %s | %s |%n", function, nodes(formula(function, DType.FLOAT32)),
                    nodes(formula(function, DType.FLOAT64)));
        }
    }

    private static Expr formula(String function, DType dtype) {
        return function.equals("pow") ? Exponentials.pow(Expr.input(0), Expr.input(1), dtype)
                : ExponentialsTest.unary(function, dtype);
    }

    private static List<UlpSweep.Stats> unary(String function) {
        CompiledFormula.Float32Unary f = ExponentialsTest.f32(function);
        return switch (function) {
            case "exp" -> UlpSweep.float32(function, f, StrictMath::exp, 1,
                    UlpSweep.range("normal results", -87.33654, 88.72283),
                    UlpSweep.range("subnormal results", -103.972, -87.33655),
                    UlpSweep.range("rest", 0, Double.NaN));
            case "expm1" -> UlpSweep.float32(function, f, StrictMath::expm1, 1,
                    UlpSweep.range("near 0", -0.35, 0.35),
                    UlpSweep.range("finite results", -104, 88.72283),
                    UlpSweep.range("rest", 0, Double.NaN));
            case "log" -> UlpSweep.float32(function, f, StrictMath::log, 1,
                    UlpSweep.range("normal x", MIN_NORMAL, Float.MAX_VALUE),
                    UlpSweep.range("subnormal x", Float.MIN_VALUE, MIN_NORMAL),
                    UlpSweep.range("rest", 0, Double.NaN));
            case "log1p" -> UlpSweep.float32(function, f, StrictMath::log1p, 1,
                    UlpSweep.range("near 0", -0.3, 0.42),
                    UlpSweep.range("finite x > -1", -1, Float.MAX_VALUE),
                    UlpSweep.range("rest", 0, Double.NaN));
            case "tanh" -> UlpSweep.float32(function, f, StrictMath::tanh, 1,
                    UlpSweep.range("|x| < 0.75", -0.75, 0.75),
                    UlpSweep.range("|x| < 10", -10, 10),
                    UlpSweep.range("rest", 0, Double.NaN));
            default -> throw new IllegalArgumentException("no sweep for " + function);
        };
    }

    /**
     * pow: a 2^14 x 2^14 grid of bit patterns (every kind of pair), and 2^28 random pairs with finite results
     * (y ln|x| uniform in [-104, 89], a quarter with negative x and integral y), normal and subnormal apart.
     */
    private static List<UlpSweep.Stats> pow() {
        CompiledFormula.Float32Binary p = ExponentialsTest.pow32();
        UlpSweep.Stats grid = new UlpSweep.Stats("pow", UlpSweep.range("2^28 grid of bit pairs", 0, Double.NaN));
        for (long i = 0; i < 1L << 32; i += 1L << 18) {
            for (long j = 0; j < 1L << 32; j += 1L << 18) {
                float x = Float.intBitsToFloat((int) (i + 12345));
                float y = Float.intBitsToFloat((int) (j + 54321));
                add(grid, p, x, y);
            }
        }
        UlpSweep.Stats normal = new UlpSweep.Stats("pow", UlpSweep.range("2^28 random, normal results", 0,
                Double.NaN));
        UlpSweep.Stats subnormal = new UlpSweep.Stats("pow", UlpSweep.range("random, subnormal results", 0,
                Double.NaN));
        SplittableRandom random = new SplittableRandom(2026);
        for (int i = 0; i < 1 << 28; i++) {
            float[] pair = ExponentialsTest.finitePowPair(random, i);
            float x = pair[0];
            float y = pair[1];
            double ref = UlpReference.powC99(x, y);
            add(Math.abs(ref) < MIN_NORMAL ? subnormal : normal, p, x, y);
        }
        return List.of(grid, normal, subnormal);
    }

    private static void add(UlpSweep.Stats stats, CompiledFormula.Float32Binary p, float x, float y) {
        double ref = UlpReference.powC99(x, y);
        float got = p.apply(x, y);
        boolean exact = Float.floatToRawIntBits(got) == Float.floatToRawIntBits((float) ref)
                || (Float.isNaN(got) && Double.isNaN(ref));
        // the table shows x; the error message of the assertion names the pair
        stats.add(x, UlpReference.ulps32(got, ref), exact);
        assertTrue(UlpReference.ulps32(got, ref) <= 2, "pow(" + x + ", " + y + ")");
    }

    /** Distinct nodes of a formula (shared nodes once) and, of those, the operations (not inputs or constants). */
    static String nodes(Expr root) {
        Map<Expr, Boolean> seen = new IdentityHashMap<>();
        count(root, seen);
        long operations = seen.keySet().stream().filter(e -> !(e instanceof Expr.Input
                || e instanceof Expr.Constant || e instanceof Expr.BitsConstant)).count();
        return seen.size() + " (" + operations + ")";
    }

    private static void count(Expr node, Map<Expr, Boolean> seen) {
        if (seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        switch (node) {
            case Expr.Input in -> { }
            case Expr.Constant c -> { }
            case Expr.BitsConstant c -> { }
            case Expr.Unary u -> count(u.x(), seen);
            case Expr.Binary b -> {
                count(b.a(), seen);
                count(b.b(), seen);
            }
            case Expr.Fma f -> {
                count(f.a(), seen);
                count(f.b(), seen);
                count(f.c(), seen);
            }
            case Expr.Compare c -> {
                count(c.a(), seen);
                count(c.b(), seen);
            }
            case Expr.Select s -> {
                count(s.mask(), seen);
                count(s.ifTrue(), seen);
                count(s.ifFalse(), seen);
            }
            case Expr.Reinterpret r -> count(r.x(), seen);
            case Expr.Convert c -> count(c.x(), seen);
        }
    }
}
