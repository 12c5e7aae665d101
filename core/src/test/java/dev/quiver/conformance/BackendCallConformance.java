package dev.quiver.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiver.GradientTape;
import dev.quiver.Quiver;
import dev.quiver.Tensor;
import dev.quiver.TestAccess;
import dev.quiver.Variable;
import dev.quiver.optimizers.Nadam;
import dev.quiver.optimizers.Optimizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What ops cost in backend calls, counted by a {@link CountingBackend}: a Java number in an op is a kernel argument,
 * so {@code x.mul(7.0).add(4.0)} is two kernels and two output allocations, with no fill and no one-element buffer
 * for the numbers.
 */
public abstract class BackendCallConformance extends BackendConformance {

    @Test
    void numbersInOpsCostNoAllocationAndNoFill() {
        CountingBackend counting = new CountingBackend(Quiver.backend());
        Tensor x = TestAccess.on(counting, new float[] {1, -2, 3, 0.5f, 7});
        counting.reset();
        Tensor y = x.mul(7.0).add(4.0);
        assertEquals(Map.of("allocate", 2, "binary", 2), counting.calls(), "x.mul(7.0).add(4.0)");
        assertArrayEquals(new float[] {11, -10, 25, 7.5f, 53}, y.toFloatArray());

        counting.reset();
        Tensor reciprocal = x.reciprocal();
        assertEquals(Map.of("allocate", 1, "binary", 1), counting.calls(), "reciprocal: 1 / x with the 1 by value");
        assertArrayEquals(new float[] {1, -0.5f, 1 / 3f, 2, 1 / 7f}, reciprocal.toFloatArray());
        counting.reset();
        Tensor relu = x.relu();
        assertEquals(Map.of("allocate", 2, "binary", 1, "where", 1), counting.calls(), "relu: where(x <= 0, 0, x)");
        assertArrayEquals(new float[] {1, 0, 3, 0.5f, 7}, relu.toFloatArray());
    }

    @Test
    void transposedMatmulAndGatherCopyNothing() {
        CountingBackend counting = new CountingBackend(Quiver.backend());
        Tensor a = TestAccess.on(counting, new float[][] {{1, 2, 3}, {4, 5, 6}});      // stored (k, m) = (2, 3)
        Tensor b = TestAccess.on(counting, new float[][] {{1, 0}, {0, 1}, {1, 1}});    // stored (n, k) = (3, 2)
        Tensor rows = TestAccess.on(counting, new int[] {1, 0, 1});
        counting.reset();
        Tensor product = a.matmul(b, true, true);                                       // (3, 2) @ (2, 3)
        assertEquals(Map.of("allocate", 1, "matmul", 1), counting.calls(), "transpose flags are views: no copy");
        assertArrayEquals(new float[] {1, 4, 5, 2, 5, 7, 3, 6, 9}, product.toFloatArray());
        counting.reset();
        Tensor picked = a.gather(rows);
        assertEquals(Map.of("allocate", 1, "gather", 1), counting.calls(),
                "gather is one call writing its result, no one-hot matrix");
        assertArrayEquals(new float[] {4, 5, 6, 1, 2, 3, 4, 5, 6}, picked.toFloatArray());
        counting.reset();
        Tensor reversed = a.reverse(1);
        assertEquals(Map.of(), counting.calls(), "reverse is a view");
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, reversed.toFloatArray());
    }

    @Test
    void nadamStepOfTheEquationPuzzleAllocatesOnlyOpOutputs() {
        CountingBackend counting = new CountingBackend(Quiver.backend());
        Variable a = new Variable(TestAccess.on(counting, 0.1f), "A");
        Variable b = new Variable(TestAccess.on(counting, 0.2f), "B");
        Variable c = new Variable(TestAccess.on(counting, 0.3f), "C");
        Variable d = new Variable(TestAccess.on(counting, 0.4f), "D");
        List<Variable> unknowns = List.of(a, b, c, d);
        Optimizer optimizer = new Nadam(0.1);
        puzzleStep(optimizer, a, b, c, d, unknowns);   // the first step also makes the optimizer's slots
        counting.reset();
        puzzleStep(optimizer, a, b, c, d, unknowns);
        Map<String, Integer> calls = counting.calls();
        System.out.println("equation-puzzle Nadam step on " + counting.name() + ": " + counting.total()
                + " backend calls " + calls + ", " + counting.oneElementAllocations() + " one-element allocations");
        int kernels = calls.getOrDefault("binary", 0) + calls.getOrDefault("unary", 0);
        int copies = calls.getOrDefault("copy", 0);
        // an eager step computes the step count and Nadam's step state (0.96^t, the product of u, beta2^t) on the
        // host and writes each with one fill; its coefficients are numbers: no op on one-element tensors, no cast
        assertEquals(1 + 3, calls.getOrDefault("fill", 0), "fills: the step count and 3 step states: " + calls);
        assertEquals(0, copies, "copies: " + calls);
        // in place: the 4 x 3 assignAdd/assignSub of the slots and unknowns
        assertEquals(kernels - 4 * 3, calls.getOrDefault("allocate", 0),
                "allocations: one per op output, but for the in-place updates: " + calls);
        assertEquals(counting.total(), calls.getOrDefault("allocate", 0) + kernels + 1 + 3, "other calls: " + calls);
    }

    private static void puzzleStep(Optimizer optimizer, Variable a, Variable b, Variable c, Variable d,
                                   List<Variable> unknowns) {
        try (GradientTape tape = new GradientTape()) {
            Tensor y1 = a.add(b).sub(9);
            Tensor y2 = c.sub(d).sub(1);
            Tensor y3 = a.add(c).sub(8);
            Tensor y4 = b.sub(d).sub(2);
            Tensor squaredError = y1.mul(y1).add(y2.mul(y2)).add(y3.mul(y3)).add(y4.mul(y4));
            optimizer.applyGradients(tape.gradient(squaredError, unknowns), unknowns);
        }
    }
}
