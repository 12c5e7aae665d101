package dev.quiver.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.GradientCheck;
import dev.quiver.GradientTape;
import dev.quiver.Losses;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A float64 numerical check ({@link GradientCheck}: one random direction, central differences) of the gradient of
 * every differentiable op, composite ops included, with broadcasting and strided inputs; and second derivatives
 * (nested tapes) for the ops the tutorials nest, both at known points and by checking the gradient function itself.
 */
public abstract class GradientConformance extends BackendConformance {
    private static final DType F64 = DType.FLOAT64;

    static Tensor t(double[] values, int... dims) {
        return Reference.tensor(values, F64, dims);
    }

    static Tensor any(long seed, int... dims) {
        return t(Reference.uniform(seed, Reference.size(dims), -2, 2, F64), dims);
    }

    static Tensor positive(long seed, int... dims) {
        return t(Reference.uniform(seed, Reference.size(dims), 0.3, 2.5, F64), dims);
    }

    static Tensor awayFromZero(long seed, int... dims) {
        return t(Reference.awayFromZero(seed, Reference.size(dims), 0.3, 2, F64), dims);
    }

    static Tensor distinct(long seed, int... dims) {
        return t(Reference.distinct(seed, Reference.size(dims), 0.1), dims);
    }

    /** Checks the tape against central differences and that the checked quantity is not trivially zero. */
    static void check(String what, Function<List<Tensor>, Tensor> function, Tensor... inputs) {
        check(what, function, 1e-6, 1e-5, inputs);
    }

    static void check(String what, Function<List<Tensor>, Tensor> function, double step, double tolerance,
                      Tensor... inputs) {
        for (long seed : new long[] {1, 2}) {
            GradientCheck.Result result = GradientCheck.check(function, List.of(inputs), seed, step, tolerance);
            assertTrue(result.passed(), what + " (seed " + seed + "): tape " + result.analytic()
                    + " vs central differences " + result.numeric());
            assertNotEquals(0.0, result.numeric(), what + ": the check must not be trivially zero");
        }
    }

    static Function<List<Tensor>, Tensor> unary(UnaryOperator<Tensor> op) {
        return in -> op.apply(in.get(0));
    }

    static Function<List<Tensor>, Tensor> binary(java.util.function.BinaryOperator<Tensor> op) {
        return in -> op.apply(in.get(0), in.get(1));
    }

    // ---------------------------------------------------------------- unary

    @Test
    public void unaryOps() {
        check("neg", unary(Tensor::neg), any(1, 7));
        check("abs away from 0", unary(Tensor::abs), awayFromZero(2, 7));
        check("exp", unary(Tensor::exp), any(3, 7));
        check("log", unary(Tensor::log), positive(4, 7));
        check("sqrt", unary(Tensor::sqrt), positive(5, 7));
        check("sin", unary(Tensor::sin), any(6, 7));
        check("cos", unary(Tensor::cos), any(7, 7));
        check("tanh", unary(Tensor::tanh), any(8, 7));
        check("erf", unary(Tensor::erf), any(15, 7));
        check("log1p", unary(Tensor::log1p), positive(16, 7));
        check("expm1", unary(Tensor::expm1), any(17, 7));
        check("softplus", unary(Tensor::softplus), any(18, 7));
        check("sigmoid", unary(Tensor::sigmoid), any(9, 7));
        check("relu away from 0", unary(Tensor::relu), awayFromZero(10, 7));
        check("square", unary(Tensor::square), any(11, 7));
        check("reciprocal", unary(Tensor::reciprocal), awayFromZero(12, 7));
        check("exp of (3, 5)", unary(Tensor::exp), any(13, 3, 5));
        check("tanh of a scalar", unary(Tensor::tanh), any(14));
        // tan away from its poles (+-pi/2)
        check("tan", unary(Tensor::tan), t(Reference.uniform(19, 7, -1.2, 1.2, F64), 7));
        check("atan", unary(Tensor::atan), any(20, 7));
        check("clip inside and outside the bounds", unary(x -> x.clip(-0.7, 0.9)), distinct(56, 9));
    }

    /** TensorFlow's gradients of the new ops at chosen points: tan 1 + tan^2, atan 1/(1+x^2), clip, floor etc. */
    @Test
    public void roundingClipAndArctangentGradientsFollowTensorFlow() {
        double[] points = {-2, -0.5, 0, 0.5, 2};
        Tensor x = t(points, 5);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x);
            // clip_by_value(x, -0.5, 0.5): 1 inside, the bounds included (minimum/maximum send ties to x), 0 outside
            Reference.assertValues("clip'", tape.gradient(x.clip(-0.5, 0.5), x), F64, new int[] {5},
                    new double[] {0, 1, 1, 1, 0});
            Reference.assertValues("atan'", tape.gradient(x.atan(), x), F64, new int[] {5},
                    new double[] {0.2, 0.8, 1, 0.8, 0.2});
            double[] secant = new double[5];
            for (int i = 0; i < 5; i++) {
                secant[i] = 1 / (Math.cos(points[i]) * Math.cos(points[i]));
            }
            Reference.assertValues("tan'", tape.gradient(x.tan(), x), F64, new int[] {5}, secant);
            // TensorFlow registers None for floor, ceil, round and floordiv: they stop gradients
            assertEquals(null, tape.gradient(x.floor(), x), "floor stops gradients");
            assertEquals(null, tape.gradient(x.ceil(), x), "ceil stops gradients");
            assertEquals(null, tape.gradient(x.round(), x), "round stops gradients");
            assertEquals(null, tape.gradient(x.floorDiv(0.3), x), "floorDiv stops gradients");
            Reference.assertValues("(round(x) + 3x)'", tape.gradient(x.round().add(x.mul(3.0)), x), F64,
                    new int[] {5}, new double[] {3, 3, 3, 3, 3});
        }
        // atan2(y, x): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2); mod: d/dx = 1, d/dy = -floor(x / y)
        Tensor y = t(new double[] {1, -3, 0.5}, 3);
        Tensor z = t(new double[] {2, 4, -0.5}, 3);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(y, z);
            Tensor angle = y.atan2(z);
            Reference.assertValues("atan2 d/dy", tape.gradient(angle, y), F64, new int[] {3},
                    new double[] {2 / 5.0, 4 / 25.0, -0.5 / 0.5});
            Reference.assertValues("atan2 d/dx", tape.gradient(angle, z), F64, new int[] {3},
                    new double[] {-1 / 5.0, 3 / 25.0, -0.5 / 0.5});
            Tensor remainder = y.mod(z);
            Reference.assertValues("mod d/dx", tape.gradient(remainder, y), F64, new int[] {3}, new double[] {1, 1, 1});
            Reference.assertValues("mod d/dy", tape.gradient(remainder, z), F64, new int[] {3},
                    new double[] {-0.0, 1, 1});
        }
    }

    @Test
    public void sigmoidGradientIsFiniteForLargeInputs() {
        // logistic-regression logits reach |x| > 88 in float32: the gradient must be y (1 - y), never NaN
        for (DType dtype : Reference.FLOATS) {
            double[] x = {-800, -100, -30, -1, 0, 1, 30, 100, 800};
            Tensor input = Reference.tensor(Reference.round(dtype, x), dtype, x.length);
            double[] expected = new double[x.length];
            double[] values = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double y = 1 / (1 + Math.exp(-x[i]));
                values[i] = y;
                expected[i] = y * (1 - y);
            }
            try (GradientTape tape = new GradientTape()) {
                tape.watch(input);
                Tensor y = input.sigmoid();
                Reference.assertValues("sigmoid " + dtype, y, dtype, new int[] {x.length}, values);
                Tensor gradient = tape.gradient(y, input);
                Reference.assertValues("sigmoid gradient " + dtype, gradient, dtype, new int[] {x.length}, expected);
            }
        }
    }

    @Test
    public void gradientsAtTiesAndKinksFollowTensorFlow() {
        Tensor x = t(new double[] {1, 3, 3, -2}, 4);
        Tensor y = t(new double[] {1, 2, 3, 5}, 4);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(x, y);
            // reduce_max splits the gradient evenly between tied maxima
            Reference.assertValues("max with ties", tape.gradient(x.max(), x), F64, new int[] {4},
                    new double[] {0, 0.5, 0.5, 0});
            Reference.assertValues("min unique", tape.gradient(x.min(), x), F64, new int[] {4},
                    new double[] {0, 0, 0, 1});
            // maximum/minimum send a tie to the first operand
            Tensor maximum = x.maximum(y);
            Reference.assertValues("maximum d/dx", tape.gradient(maximum, x), F64, new int[] {4},
                    new double[] {1, 1, 1, 0});
            Reference.assertValues("maximum d/dy", tape.gradient(maximum, y), F64, new int[] {4},
                    new double[] {0, 0, 0, 1});
            Tensor minimum = x.minimum(y);
            Reference.assertValues("minimum d/dx", tape.gradient(minimum, x), F64, new int[] {4},
                    new double[] {1, 0, 1, 1});
        }
        Tensor kinks = t(new double[] {0, -1.5, 2}, 3);
        try (GradientTape tape = new GradientTape(true)) {
            tape.watch(kinks);
            Reference.assertValues("abs' (0 at 0)", tape.gradient(kinks.abs(), kinks), F64, new int[] {3},
                    new double[] {0, -1, 1});
            Reference.assertValues("relu' (0 at 0)", tape.gradient(kinks.relu(), kinks), F64, new int[] {3},
                    new double[] {0, 0, 1});
            assertEquals(null, tape.gradient(kinks.sign(), kinks), "sign stops gradients");
        }
    }

    // ---------------------------------------------------------------- binary, both operands

    @Test
    public void binaryOps() {
        check("add", binary(Tensor::add), any(21, 2, 3), any(22, 2, 3));
        check("sub", binary(Tensor::sub), any(23, 2, 3), any(24, 2, 3));
        check("mul", binary(Tensor::mul), any(25, 2, 3), any(26, 2, 3));
        check("div", binary(Tensor::div), any(27, 2, 3), awayFromZero(28, 2, 3));
        check("pow (positive base, both operands)", binary(Tensor::pow), positive(29, 2, 3), any(30, 2, 3));
        check("maximum (no ties)", binary(Tensor::maximum), distinct(31, 2, 3), distinct(32, 2, 3).add(0.033));
        check("minimum (no ties)", binary(Tensor::minimum), distinct(33, 2, 3), distinct(34, 2, 3).add(0.033));
        check("x * x (same tensor twice)", unary(x -> x.mul(x)), any(35, 5));
        check("x / x^2 + x", unary(x -> x.div(x.square()).add(x)), awayFromZero(36, 5));
        check("atan2 (both operands, away from the origin)", binary(Tensor::atan2), awayFromZero(37, 2, 3),
                awayFromZero(38, 2, 3));
        check("mod (both operands)", binary(Tensor::mod), any(39, 2, 3), awayFromZero(40, 2, 3));
        check("clip with tensor bounds", in -> in.get(0).clip(in.get(1), in.get(1).add(1.0)), distinct(57, 2, 3),
                distinct(58, 3).sub(0.5));
    }

    @Test
    public void broadcastingSumsGradientsBackToTheSmallShape() {
        check("add (4, 1) + (3,)", binary(Tensor::add), any(41, 4, 1), any(42, 3));
        check("mul (2, 1, 5) * (3, 1)", binary(Tensor::mul), any(43, 2, 1, 5), any(44, 3, 1));
        check("div scalar / matrix", binary(Tensor::div), any(45), awayFromZero(46, 3, 4));
        check("sub matrix - scalar", binary(Tensor::sub), any(47, 3, 4), any(48));
        check("pow (3, 1) ^ (1, 4)", binary(Tensor::pow), positive(49, 3, 1), any(50, 1, 4));
        check("maximum (4, 1) with (3,)", binary(Tensor::maximum), distinct(51, 4, 1), distinct(52, 3).add(0.021));
        check("broadcastTo (1, 3) -> (2, 4, 3)", unary(x -> x.broadcastTo(Shape.of(2, 4, 3)).mul(x)), any(53, 1, 3));
        check("broadcastTo scalar -> (5,)", unary(x -> x.broadcastTo(Shape.of(5)).sin()), any(54));
    }

    @Test
    public void where() {
        Tensor condition = Tensor.constant(new boolean[] {true, false, true, true, false, false, true});
        check("where both branches", in -> Tensor.where(condition, in.get(0), in.get(1)), any(61, 7), any(62, 7));
        check("where broadcast branches", in -> Tensor.where(
                Tensor.constant(new boolean[][] {{true}, {false}, {true}}), in.get(0), in.get(1).exp()),
                any(63, 4), any(64, 3, 1));
        check("where through a comparison of the input", unary(x -> Tensor.where(x.greater(0.0), x.square(),
                x.neg())), awayFromZero(65, 9));
    }

    // ---------------------------------------------------------------- reductions

    @Test
    public void reductions() {
        int[][] axesList = {null, {0}, {1}, {-1}, {0, 2}, {1, 2}, {-3, -1}};
        for (int[] axes : axesList) {
            for (boolean keepDims : new boolean[] {false, true}) {
                String suffix = " axes " + Arrays.toString(axes) + (keepDims ? " keepDims" : "");
                Function<Tensor, Tensor> square = x -> x.square();
                check("sum" + suffix, unary(x -> reduce("sum", x.sin(), axes, keepDims)), any(71, 3, 4, 5));
                check("mean" + suffix, unary(x -> reduce("mean", square.apply(x), axes, keepDims)), any(72, 3, 4, 5));
                check("max (no ties)" + suffix, unary(x -> reduce("max", x, axes, keepDims).mul(
                        reduce("max", x, axes, keepDims))), distinct(73, 3, 4, 5));
                check("min (no ties)" + suffix, unary(x -> reduce("min", x, axes, keepDims).exp()),
                        distinct(74, 3, 4, 5));
            }
        }
        check("sum of a transposed view", unary(x -> x.transpose().exp().sum(0)), any(75, 4, 6));
    }

    static Tensor reduce(String op, Tensor x, int[] axes, boolean keepDims) {
        if (axes == null) {
            int[] all = {0, 1, 2};
            return switch (op) {
                case "sum" -> keepDims ? x.sum(all, true) : x.sum();
                case "mean" -> keepDims ? x.mean(all, true) : x.mean();
                case "max" -> keepDims ? x.max(all, true) : x.max();
                default -> keepDims ? x.min(all, true) : x.min();
            };
        }
        return switch (op) {
            case "sum" -> x.sum(axes, keepDims);
            case "mean" -> x.mean(axes, keepDims);
            case "max" -> x.max(axes, keepDims);
            default -> x.min(axes, keepDims);
        };
    }

    // ---------------------------------------------------------------- along axes: softmax, reduceProd, cumsum...

    @Test
    public void axisOps() {
        for (int axis : new int[] {-1, 0, 1}) {
            check("softmax axis " + axis, unary(x -> x.softmax(axis)), any(151, 3, 4, 5));
            check("logSoftmax axis " + axis, unary(x -> x.logSoftmax(axis)), any(152, 3, 4, 5));
            for (boolean exclusive : new boolean[] {false, true}) {
                for (boolean reverse : new boolean[] {false, true}) {
                    check("cumsum axis " + axis + (exclusive ? " exclusive" : "") + (reverse ? " reverse" : ""),
                            unary(x -> x.cumsum(axis, exclusive, reverse).square()), any(153, 3, 7, 2));
                }
            }
        }
        check("softmax of logits near 1000 (the max is a constant)", unary(x -> x.add(1000.0).softmax()), any(154, 4, 6));
        check("logSoftmax of logits near -1000", unary(x -> x.sub(1000.0).logSoftmax(0)), any(155, 5, 3));
        for (int[] axes : new int[][] {null, {1}, {0, 2}, {-1}}) {
            for (boolean keepDims : new boolean[] {false, true}) {
                String suffix = " axes " + Arrays.toString(axes) + (keepDims ? " keepDims" : "");
                check("logSumExp" + suffix, unary(x -> x.mul(30.0).logSumExp(axes, keepDims)), any(156, 3, 4, 5));
                check("reduceProd" + suffix, unary(x -> x.reduceProd(axes, keepDims)), awayFromZero(157, 3, 4, 5));
                check("reduceVariance" + suffix, unary(x -> x.reduceVariance(axes, keepDims)), any(158, 3, 4, 5));
                check("reduceStd" + suffix, unary(x -> x.reduceStd(axes, keepDims)), any(159, 3, 4, 5));
            }
        }
        // products with zeros: central differences are exact for a product (linear in each element)
        Tensor zeros = t(new double[] {2, 0, 3, 0, 0, 1.5, -1, 2, 0.5, 0.7, 0, -2}, 4, 3);
        check("reduceProd rows with no, one and two zeros", unary(x -> x.reduceProd(1)), zeros);
        check("reduceProd columns with zeros", unary(x -> x.reduceProd(0)), zeros);
        check("reduceProd of all, one zero", unary(Tensor::reduceProd), t(new double[] {1.5, -2, 0, 0.5, 3}, 5));
        check("softmax through a strided view", unary(x -> x.transpose().softmax(0)), any(160, 4, 3));
    }

    @Test
    public void axisOpGradientsAtKnownPoints() {
        Tensor x = t(new double[] {2, 0, 3, 0, 0, 3}, 2, 3);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(x);
            // TF's reduce_prod gradient: the product of the others, also where an element is 0
            Reference.assertValues("reduceProd gradient at zeros", tape.gradient(x.reduceProd(1), x), F64,
                    new int[] {2, 3}, new double[] {0, 6, 0, 0, 0, 0});
        }
        double[] upstream = {0.5, -1, 2, 0.25, 3};
        Tensor w = t(upstream, 5);
        double[][] expected = {
                {4.75, 4.25, 5.25, 3.25, 3},      // forward cumsum: the gradient is the reverse cumsum
                {0.5, -0.5, 1.5, 1.75, 4.75},     // reverse: the forward cumsum
                {4.25, 5.25, 3.25, 3, 0},         // exclusive: the exclusive reverse cumsum
                {0, 0.5, -0.5, 1.5, 1.75}};       // exclusive reverse: the exclusive forward cumsum
        for (int c = 0; c < 4; c++) {
            boolean exclusive = c >= 2;
            boolean reverse = c % 2 == 1;
            Tensor y = t(new double[] {1, 2, 3, 4, 5}, 5);
            try (GradientTape tape = new GradientTape()) {
                tape.watch(y);
                Tensor weighted = y.cumsum(0, exclusive, reverse).mul(w).sum();
                Reference.assertValues("cumsum gradient" + (exclusive ? " exclusive" : "") + (reverse ? " reverse" : ""),
                        tape.gradient(weighted, y), F64, new int[] {5}, expected[c]);
            }
        }
        Tensor logits = t(new double[] {1000, 1000, -1000}, 3);
        try (GradientTape tape = new GradientTape()) {
            tape.watch(logits);
            Tensor first = logits.softmax().slice(0, 0, 1).sum();
            Reference.assertValues("softmax gradient at 1000 is finite: p0 (1 - p0), -p0 p1, 0", tape.gradient(first,
                    logits), F64, new int[] {3}, new double[] {0.25, -0.25, 0});
        }
    }

    @Test
    public void axisOpSecondOrderGradientsPassTheNumericalCheck() {
        check("d/dx of softmax", gradientOf(x -> x.softmax().square()), any(161, 2, 4));
        check("d/dx of logSumExp", gradientOf(x -> x.logSumExp(1)), any(162, 3, 4));
        check("d/dx of reduceProd with a zero", gradientOf(x -> x.reduceProd().square()),
                t(new double[] {1.5, -2, 0, 0.5}, 4));
        check("d/dx of reduceVariance", gradientOf(x -> x.reduceVariance(0).square()), any(163, 5, 2));
        check("d/dx of cumsum(x)^3", gradientOf(x -> x.cumsum(0, false, true).pow(3)), positive(164, 6));
    }

    // ---------------------------------------------------------------- matmul

    @Test
    public void matmul() {
        check("matmul 2-D", binary(Tensor::matmul), any(81, 3, 4), any(82, 4, 5));
        check("matmul 2-D odd", binary(Tensor::matmul), any(83, 7, 1), any(84, 1, 9));
        check("matmul batched", binary(Tensor::matmul), any(85, 2, 3, 4), any(86, 2, 4, 5));
        check("matmul broadcast batch (1, m, k)", binary(Tensor::matmul), any(87, 1, 3, 4), any(88, 3, 4, 2));
        check("matmul broadcast 2-D @ 3-D", binary(Tensor::matmul), any(89, 3, 4), any(90, 2, 4, 5));
        check("matmul broadcast 3-D @ 2-D", binary(Tensor::matmul), any(91, 2, 3, 4), any(92, 4, 5));
        check("matmul of transposed views", binary((a, b) -> a.transpose().matmul(b.transpose())),
                any(93, 4, 3), any(94, 5, 4));
        check("x^T x", unary(x -> x.transpose().matmul(x)), any(95, 4, 3));
    }

    // ---------------------------------------------------------------- movement and cast

    @Test
    public void movement() {
        check("reshape", unary(x -> x.reshape(6, 2).exp()), any(101, 3, 4));
        check("reshape of a transposed view", unary(x -> x.transpose().reshape(-1).sin()), any(102, 3, 4));
        check("transpose", unary(x -> x.transpose().mul(any(103, 4, 3))), any(104, 3, 4));
        check("permute 3-D", unary(x -> x.transpose(2, 0, 1).sin()), any(105, 2, 3, 4));
        check("slice", unary(x -> x.slice(new int[] {1, 1}, new int[] {2, 3}).exp()), any(106, 4, 5));
        check("slice along an axis", unary(x -> x.slice(1, 2, 5).square()), any(107, 3, 6));
        check("concat", binary((a, b) -> Tensor.concat(List.of(a, b.sin(), a), 1)), any(108, 2, 3), any(109, 2, 4));
        check("concat axis 0", binary((a, b) -> Tensor.concat(List.of(a.exp(), b), 0)), any(110, 2, 3),
                any(111, 1, 3));
        check("stack", binary((a, b) -> Tensor.stack(List.of(a, b.square()), 1)), any(112, 2, 3), any(113, 2, 3));
        check("expandDims", unary(x -> x.expandDims(1).mul(any(114, 3, 4, 5))), any(115, 3, 5));
        check("squeeze", unary(x -> x.squeeze().exp()), any(116, 1, 4, 1));
        check("cast float64 -> float32 -> float64", unary(x -> x.cast(DType.FLOAT32).mul(3.0).cast(F64)), 1e-2, 1e-3,
                any(117, 6));
        check("cast float64 -> float32 output", unary(x -> x.cast(DType.FLOAT32).mul(2.0)), 1e-2, 1e-3,
                any(118, 6));
    }

    @Test
    public void composites() {
        check("meanSquaredError (both arguments)", binary(Losses::meanSquaredError), any(121, 4, 3), any(122, 4, 3));
        check("sumSquaredError", binary(Losses::sumSquaredError), any(123, 5), any(124, 5));
        check("dense layer: sigmoid(x @ w + b)", in -> in.get(0).matmul(in.get(1)).add(in.get(2)).sigmoid(),
                any(125, 5, 3), any(126, 3, 4), any(127, 4));
        check("softplus-ish: log(1 + exp(x))", unary(x -> x.exp().add(1.0).log()), any(128, 9));
    }

    // ---------------------------------------------------------------- second order

    /** {@code x -> d f(x) / dx}, computed with a tape so that an outer tape can differentiate it again. */
    static Function<List<Tensor>, Tensor> gradientOf(UnaryOperator<Tensor> f) {
        return in -> {
            Tensor x = in.get(0);
            try (GradientTape tape = new GradientTape()) {
                tape.watch(x);
                Tensor y = f.apply(x);
                return tape.gradient(y, x);
            }
        };
    }

    /** The second derivative of {@code f} at the scalar {@code at}, by two nested tapes. */
    static double secondDerivative(UnaryOperator<Tensor> f, double at) {
        Tensor x = Tensor.scalar(at, F64);
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(x);
            inner.watch(x);
            Tensor y = f.apply(x);
            Tensor dy = inner.gradient(y, x);
            Tensor d2y = outer.gradient(dy, x);
            return d2y.doubleValue();
        }
    }

    @Test
    public void secondDerivativesAtKnownPoints() {
        assertEquals(18.0, secondDerivative(x -> x.pow(3), 3), 1e-12, "d2(x^3)/dx2 at 3");
        double at = 0.7;
        assertEquals(6 * at, secondDerivative(x -> x.pow(3), at), 1e-12, "x^3 -> 6x");
        assertEquals(6 * at, secondDerivative(x -> x.mul(x).mul(x), at), 1e-12, "x*x*x -> 6x");
        assertEquals(2.0, secondDerivative(x -> x.mul(x), at), 1e-12, "x*x -> 2");
        assertEquals(Math.exp(at), secondDerivative(Tensor::exp, at), 1e-12, "exp");
        assertEquals(-Math.sin(at), secondDerivative(Tensor::sin, at), 1e-12, "sin");
        assertEquals(-Math.cos(at), secondDerivative(Tensor::cos, at), 1e-12, "cos");
        double th = Math.tanh(at);
        assertEquals(-2 * th * (1 - th * th), secondDerivative(Tensor::tanh, at), 1e-12, "tanh");
        assertEquals(-1 / (at * at), secondDerivative(Tensor::log, at), 1e-12, "log");
        assertEquals(2 / (at * at * at), secondDerivative(Tensor::reciprocal, at), 1e-12, "1/x");
        // float32 scalar, as the tutorials write it
        Tensor x = Tensor.scalar(3.0);
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(x);
            inner.watch(x);
            Tensor y = x.pow(3);
            Tensor dy = inner.gradient(y, x);
            Tensor d2y = outer.gradient(dy, x);
            assertEquals(27.0, dy.doubleValue(), 1e-5);
            assertEquals(18.0, d2y.doubleValue(), 1e-5);
            assertEquals(DType.FLOAT32, d2y.dtype());
        }
    }

    @Test
    public void secondOrderGradientsPassTheNumericalCheck() {
        check("d/dx of pow", gradientOf(x -> x.pow(3)), positive(131, 5));
        check("d/dx of pow with a tensor exponent", gradientOf(x -> x.pow(x)), positive(132, 5));
        check("d/dx of mul", gradientOf(x -> x.mul(x).mul(x)), any(133, 5));
        check("d/dx of exp", gradientOf(Tensor::exp), any(134, 5));
        check("d/dx of sin", gradientOf(Tensor::sin), any(135, 5));
        check("d/dx of cos", gradientOf(Tensor::cos), any(136, 5));
        check("d/dx of tanh", gradientOf(Tensor::tanh), any(137, 5));
        check("d/dx of log", gradientOf(Tensor::log), positive(138, 5));
        check("d/dx of sqrt", gradientOf(Tensor::sqrt), positive(139, 5));
        check("d/dx of div", gradientOf(x -> any(140, 5).div(x)), awayFromZero(141, 5));
        check("d/dx of sigmoid", gradientOf(Tensor::sigmoid), any(142, 5));
        check("d/dx of sum(x^3) over an axis", gradientOf(x -> x.pow(3).sum(1)), positive(143, 3, 4));
        check("d/dx of slice(x)^3 (pad's rule)", gradientOf(x -> x.slice(0, 1, 4).pow(3)), positive(144, 6));
        check("d/dx of matmul(x, x)", gradientOf(x -> x.matmul(x)), any(145, 3, 3));
        check("d/dx of broadcast x^2", gradientOf(x -> x.broadcastTo(Shape.of(4, 3)).square()), any(146, 3));
        check("d/dx of max(x)^2", gradientOf(x -> x.max(new int[] {1}, false).square()), distinct(147, 3, 4));
    }

    // ---------------------------------------------------------------- gather, shape ops, matmul forms, einsum

    @Test
    public void gatherShapeOpsMatmulFormsAndEinsum() {
        Tensor repeats = Tensor.constant(new int[] {2, 0, 2, 4, 2});
        Tensor grid = Tensor.constant(new long[][] {{1, 1}, {0, 2}});
        check("gather axis 0, repeated indices (scatter-add)", unary(x -> x.gather(repeats).sin()), any(201, 5, 3));
        check("gather axis 1, (2, 2) int64 indices", unary(x -> x.gather(grid, 1).square()), any(202, 4, 3, 2));
        check("gather of a transposed view", unary(x -> x.transpose().gather(repeats, 1).exp()), any(203, 5, 3));
        check("split", unary(x -> {
            List<Tensor> parts = x.split(new int[] {1, -1}, 1);
            return parts.get(0).mul(parts.get(1).sum(new int[] {1}, true));
        }), any(204, 3, 4));
        check("tile (2, 3)", unary(x -> x.tile(2, 3).sin()), any(205, 2, 3));
        check("pad with 2", unary(x -> x.pad(new int[][] {{1, 0}, {2, 3}}, 2).square()), any(206, 3, 2));
        check("reverse axes 0 and 2", unary(x -> x.reverse(0, 2).mul(x)), any(207, 3, 2, 4));
        check("matmul transposeA transposeB", binary((a, b) -> a.matmul(b, true, true)), any(208, 4, 3),
                any(209, 5, 4));
        check("matmul vector @ matrix", binary(Tensor::matmul), any(210, 4), any(211, 4, 3));
        check("matmul matrix @ vector", binary(Tensor::matmul), any(212, 3, 4), any(213, 4));
        check("matmul (2, 1, 3, 4) @ (3, 4, 2)", binary(Tensor::matmul), any(214, 2, 1, 3, 4), any(215, 3, 4, 2));
        check("einsum bij,bkj->bki", binary((a, b) -> Tensor.einsum("bij,bkj->bki", a, b)), any(216, 2, 3, 4),
                any(217, 2, 5, 4));
        check("einsum ijk,jl->li (a summed letter)", binary((a, b) -> Tensor.einsum("ijk,jl->li", a, b)),
                any(218, 2, 3, 4), any(219, 3, 5));
        // second order through gather: d/dx sum(gather(x)^3) = scatter-add(3 gather(x)^2), whose gradient is a gather
        Tensor x = t(new double[] {1, 2, 3}, 3);
        Tensor picks = Tensor.constant(new int[] {0, 2, 2});
        try (GradientTape outer = new GradientTape(); GradientTape inner = new GradientTape()) {
            outer.watch(x);
            inner.watch(x);
            Tensor first = inner.gradient(x.gather(picks).pow(3).sum(), x);
            Reference.assertValues("gather first derivative", first, F64, new int[] {3}, new double[] {3, 0, 54});
            Reference.assertValues("gather second derivative", outer.gradient(first.sum(), x), F64, new int[] {3},
                    new double[] {6, 0, 36});
        }
    }
}
