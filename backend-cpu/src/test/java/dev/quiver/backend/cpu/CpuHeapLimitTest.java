package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quiver.DType;
import dev.quiver.Quiver;
import dev.quiver.Shape;
import dev.quiver.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A tensor the Java heap cannot hold is a Quiver error naming the op, the shape, the bytes and the backend, and the
 * JVM lives on; it is not an {@link OutOfMemoryError}.
 */
class CpuHeapLimitTest {

    @Test
    void anAllocationBeyondTheHeapIsAQuiverErrorNotAnOutOfMemoryError() {
        Quiver.use("cpu");
        long heap = Runtime.getRuntime().maxMemory();
        // the case, zeros(3, 1 << 29): 6 GiB of float32, one Java array (below MAX_LENGTH elements);
        // float64 doubles the bytes for a larger heap; beyond 12 GiB no single array can exceed the heap
        DType dtype = 3L * (1 << 29) * 4 > heap ? DType.FLOAT32 : DType.FLOAT64;
        long bytes = 3L * (1 << 29) * dtype.byteSize();
        assumeTrue(bytes > heap, "the heap (" + heap + " bytes) holds any single Java array");
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> Tensor.zeros(Shape.of(3, 1 << 29), dtype));
        String message = error.getMessage();
        for (String fragment : new String[] {"zeros", "(3, 536870912)", dtype.toString(), bytes + " bytes",
                "backend cpu", "heap"}) {
            assertTrue(message.contains(fragment), "should contain '" + fragment + "': " + message);
        }
        assertArrayEquals(new float[] {2, 2}, Tensor.ones(2).mul(2.0).toFloatArray(), "the JVM and backend go on");
    }
}
