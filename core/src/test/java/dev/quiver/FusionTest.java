package dev.quiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The fusion pass on hand-made calls: what the conformance suites cannot see from outside the compiler. */
class FusionTest {

    /**
     * A step that repeats an earlier one of its kernel is computed once, and what read the repeat reads the first: the
     * squared error's gradient {@code g * r + g * r} is one product and one sum; a product of other operands, or of
     * the same operands in another dtype, is its own step.
     */
    @Test
    void aRepeatedStepIsComputedOnce() {
        StridedView a = view(0, DType.FLOAT32);
        StridedView b = view(1, DType.FLOAT32);
        StridedView first = view(2, DType.FLOAT32);
        StridedView second = view(3, DType.FLOAT32);
        StridedView sum = view(4, DType.FLOAT32);
        StridedView other = view(5, DType.FLOAT32);
        StridedView total = view(6, DType.FLOAT32);
        List<Call> calls = List.of(
                new Call.Binary(Primitive.MUL, a, b, first),
                new Call.Binary(Primitive.MUL, a, b, second),          // the same product again
                new Call.Binary(Primitive.ADD, first, second, sum),
                new Call.Binary(Primitive.MUL, b, a, other),           // other operand order: another step
                new Call.Binary(Primitive.ADD, sum, other, total));
        Set<DeviceBuffer> liveOut = Collections.newSetFromMap(new IdentityHashMap<>());
        liveOut.add(total.buffer());
        List<Call> fused = Fusion.fuse(calls, liveOut, null);
        assertEquals(1, fused.size(), fused.toString());
        FusedElementwise kernel = assertInstanceOf(Call.Fused.class, fused.getFirst()).kernel();
        // registers: 0 = a, 1 = b; 2 = a * b, 3 = 2 + 2, 4 = b * a, 5 = 3 + 4
        assertEquals(4, kernel.steps().size(), kernel.toString());
        assertEquals(new FusedElementwise.Step(Primitive.MUL, new int[] {0, 1}, DType.FLOAT32), kernel.steps().get(0));
        assertEquals(new FusedElementwise.Step(Primitive.ADD, new int[] {2, 2}, DType.FLOAT32), kernel.steps().get(1));
        assertEquals(new FusedElementwise.Step(Primitive.MUL, new int[] {1, 0}, DType.FLOAT32), kernel.steps().get(2));
        assertEquals(new FusedElementwise.Step(Primitive.ADD, new int[] {3, 4}, DType.FLOAT32), kernel.steps().get(3));
        assertArrayEquals(new int[] {5}, kernel.outputs());
    }

    private static StridedView view(int id, DType dtype) {
        return StridedView.contiguous(new Tracer.Traced(id, dtype, 12), 3, 4);
    }
}
