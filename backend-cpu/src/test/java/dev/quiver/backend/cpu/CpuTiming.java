package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.Random;

/**
 * A rough timing harness (not a test, not JMH): matmul GFLOP/s at 1 and 2 threads, the sizes around the
 * parallel threshold, and elementwise/reduce bandwidth. Run after {@code mvn install}:
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp backend-cpu/target/classes:backend-cpu/target/test-classes:core/target/classes \
 *      dev.quiver.backend.cpu.CpuTiming
 * }</pre>
 */
public final class CpuTiming {
    private CpuTiming() {
    }

    public static void main(String[] args) {
        int bits = args.length > 0 ? Integer.parseInt(args[0]) : CpuBackend.hardwareSimdBits();
        System.out.println(new CpuBackend(bits, 2).deviceDescription());
        for (int size : new int[] {128, 256, 320, 384, 512, 1024}) {
            double one = matmulGflops(bits, 1, size, Long.MAX_VALUE);
            double two = matmulGflops(bits, 2, size, 0);
            System.out.printf("matmul f32 %4d^3: 1 thread %6.1f GFLOP/s, 2 threads %6.1f GFLOP/s%n", size, one, two);
        }
        System.out.printf("matmul f64 1024^3: 1 thread %6.1f GFLOP/s%n", matmulGflops64(bits, 1024));
        elementwise(bits);
    }

    private static double matmulGflops(int bits, int threads, int n, long threshold) {
        Random random = new Random(1);
        float[] a = new float[n * n];
        float[] b = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() - 0.5f;
            b[i] = random.nextFloat() - 0.5f;
        }
        float[] c = new float[n * n];
        long[] strides = {(long) n * n, n, 1};
        try (CpuThreads pool = new CpuThreads(threads)) {
            Matmul matmul = new Matmul(bits, pool, threshold);
            double best = Double.MAX_VALUE;
            long deadline = System.nanoTime() + 2_000_000_000L;
            for (int rep = 0; rep < 200 && (rep < 5 || System.nanoTime() < deadline); rep++) {
                long start = System.nanoTime();
                matmul.multiply(DType.FLOAT32, a, 0, strides, b, 0, strides, c, 0, 1, n, n, n);
                best = Math.min(best, System.nanoTime() - start);
            }
            return 2.0 * n * n * n / best;
        }
    }

    private static double matmulGflops64(int bits, int n) {
        double[] a = new double[n * n];
        double[] b = new double[n * n];
        java.util.Arrays.fill(a, 0.5);
        java.util.Arrays.fill(b, 0.25);
        double[] c = new double[n * n];
        long[] strides = {(long) n * n, n, 1};
        try (CpuThreads pool = new CpuThreads(1)) {
            Matmul matmul = new Matmul(bits, pool);
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < 8; rep++) {
                long start = System.nanoTime();
                matmul.multiply(DType.FLOAT64, a, 0, strides, b, 0, strides, c, 0, 1, n, n, n);
                best = Math.min(best, System.nanoTime() - start);
            }
            return 2.0 * n * n * n / best;
        }
    }

    private static void elementwise(int bits) {
        int n = 1 << 22;
        try (CpuBackend simd = new CpuBackend(bits, 1); CpuBackend scalar = new CpuBackend(0, 1)) {
            CpuBuffer x = CpuBuffer.allocate(DType.FLOAT32, n);
            CpuBuffer y = CpuBuffer.allocate(DType.FLOAT32, n);
            CpuBuffer z = CpuBuffer.allocate(DType.FLOAT32, n);
            CpuBuffer s = CpuBuffer.allocate(DType.FLOAT32, 1);
            simd.random(dev.quiver.spi.RandomDistribution.UNIFORM, 1, 0, 0.5, 2, StridedView.contiguous(x, n));
            simd.random(dev.quiver.spi.RandomDistribution.UNIFORM, 2, 0, 0.5, 2, StridedView.contiguous(y, n));
            StridedView xv = StridedView.contiguous(x, n);
            StridedView yv = StridedView.contiguous(y, n);
            StridedView zv = StridedView.contiguous(z, n);
            for (CpuBackend backend : new CpuBackend[] {simd, scalar}) {
                String label = backend.simdBits() == 0 ? "scalar" : "simd" + backend.simdBits();
                double add = best(() -> backend.binary(Primitive.ADD, xv, yv, zv));
                double exp = best(() -> backend.unary(Primitive.EXP, xv, zv));
                double sum = best(() -> backend.reduce(Primitive.SUM, StridedView.contiguous(x, 1, n, 1), StridedView.contiguous(s, 1, 1)));
                StridedView columnsOut = StridedView.contiguous(CpuBuffer.allocate(DType.FLOAT32, 1024), 1, 1024);
                double columns = best(() -> backend.reduce(Primitive.SUM, StridedView.contiguous(x, 1, 4096, 1024), columnsOut));
                System.out.printf("%-7s add %5.1f GB/s, exp %5.2f Gelem/s, row sum %5.1f GB/s, column sum %5.1f GB/s%n", label,
                        12.0 * n / add, n / exp, 4.0 * n / sum, 4.0 * n / columns);
            }
        }
    }

    private static double best(Runnable work) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 15; rep++) {
            long start = System.nanoTime();
            work.run();
            best = Math.min(best, System.nanoTime() - start);
        }
        return best;
    }
}
