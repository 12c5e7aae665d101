package dev.quiver.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiver.DType;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The two-thread paths of dense elementwise ops and full reductions (at and above
 * {@link CpuBackend#PARALLEL_MIN_ELEMENTS}) against the one-thread scalar twin, at odd lengths and offsets.
 */
class ParallelTest {
    private static final int N = CpuBackend.PARALLEL_MIN_ELEMENTS + 4097 + 5;

    @Test
    void elementwiseAndReductionsMatchTheScalarTwin() {
        Random random = new Random(31);
        try (CpuBackend parallel = new CpuBackend(CpuBackend.hardwareSimdBits(), 2)) {
            for (DType type : List.of(DType.FLOAT32, DType.FLOAT64)) {
                double[] values = new double[N + 3];
                double[] others = new double[N + 3];
                for (int i = 0; i < values.length; i++) {
                    values[i] = random.nextDouble() * 2 - 1;
                    others[i] = random.nextDouble() * 2 - 1;
                }
                CpuBuffer a = TestSupport.buffer(type, values);
                CpuBuffer b = TestSupport.buffer(type, others);
                // offsets 3 and 1: chunk edges are not aligned to the arrays
                StridedView av = new StridedView(a, new int[] {N}, new long[] {1}, 3);
                StridedView bv = new StridedView(b, new int[] {N}, new long[] {1}, 1);
                assertEquals(2, parallel.threads());
                CpuBuffer expected = CpuBuffer.allocate(type, N);
                CpuBuffer actual = CpuBuffer.allocate(type, N);
                TestSupport.SCALAR.binary(Primitive.MUL, av, bv, StridedView.contiguous(expected, N));
                parallel.binary(Primitive.MUL, av, bv, StridedView.contiguous(actual, N));
                assertArrayEquals(type, expected, actual, 0, "mul");
                // a host scalar on the left in the two-thread path, against the twin given a stride-0 buffer
                StridedView number = HostScalar.of(type, 0.75).broadcast(N);
                StridedView broadcast = new StridedView(TestSupport.buffer(type, new double[] {0.75}), new int[] {N},
                        new long[] {0}, 0);
                TestSupport.SCALAR.binary(Primitive.SUB, broadcast, bv, StridedView.contiguous(expected, N));
                parallel.binary(Primitive.SUB, number, bv, StridedView.contiguous(actual, N));
                assertArrayEquals(type, expected, actual, 0, "number - x");
                TestSupport.SCALAR.unary(Primitive.EXP, av, StridedView.contiguous(expected, N));
                parallel.unary(Primitive.EXP, av, StridedView.contiguous(actual, N));
                assertArrayEquals(type, expected, actual, type == DType.FLOAT32 ? 1e-6 : 1e-15, "exp");
                for (Primitive op : List.of(Primitive.SUM, Primitive.MAX, Primitive.MIN)) {
                    StridedView block = new StridedView(a, new int[] {1, N, 1}, new long[] {N, 1, 1}, 3);
                    CpuBuffer one = CpuBuffer.allocate(type, 1);
                    CpuBuffer two = CpuBuffer.allocate(type, 1);
                    TestSupport.SCALAR.reduce(op, block, StridedView.contiguous(one, 1, 1));
                    parallel.reduce(op, block, StridedView.contiguous(two, 1, 1));
                    double tolerance = op == Primitive.SUM ? (type == DType.FLOAT32 ? 1e-6 : 1e-12) * N : 0;
                    assertEquals(value(one), value(two), tolerance, op + " " + type);
                }
            }
        }
    }

    private static double value(CpuBuffer buffer) {
        return ScalarKernels.readDouble(buffer.dtype(), buffer.array(), 0);
    }

    private static void assertArrayEquals(DType type, CpuBuffer expected, CpuBuffer actual, double relative, String op) {
        for (int i = 0; i < N; i++) {
            double e = ScalarKernels.readDouble(type, expected.array(), i);
            double a = ScalarKernels.readDouble(type, actual.array(), i);
            assertEquals(e, a, relative * Math.abs(e), op + " " + type + " element " + i);
        }
    }
}
