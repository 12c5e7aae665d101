package dev.quiver.bench.nd4j;

import dev.quiver.bench.Kernel;
import dev.quiver.bench.Peer;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J peer ({@code org.nd4j:nd4j-native} 1.0.0-M2.1, OpenBLAS inside), written the way an ND4J user writes
 * it: allocating ops, {@code mmul} for products, in-place {@code addi} where ND4J's idiom saves a temporary.
 * Compiled only with {@code -Pnd4j}; loaded by name through {@link Peer#load(String)}.
 *
 * <pre>{@code
 * Peer nd4j = Peer.load("nd4j");
 * nd4j.threads(1);
 * Kernel product = nd4j.matmul(a, b, 0, 512, 512, 512);
 * }</pre>
 */
public final class Nd4jKernels implements Peer {
    private int threads = Runtime.getRuntime().availableProcessors();

    public Nd4jKernels() {
    }

    @Override
    public void threads(int count) {
        threads = count;
        // ND4J's own loops (OpenMP) and its BLAS each have a pool: both are limited
        Nd4j.getEnvironment().setMaxThreads(count);
        Nd4j.getEnvironment().setMaxMasterThreads(count);
        Nd4j.factory().blas().setMaxThreads(count);
    }

    @Override
    public String describe() {
        return "ND4J " + Nd4j.getBackend().getClass().getSimpleName() + ", BLAS " + Nd4j.factory().blas().getBlasVendor()
                + " (" + Nd4j.factory().blas().getMaxThreads() + " threads), " + threads + " threads";
    }

    /** A kernel whose result is an INDArray (the native CPU backend is synchronous: the result is complete). */
    private static Kernel of(Supplier<INDArray> op) {
        return Kernel.of(op, array -> array.rank() == 0 ? new double[] {array.getDouble(0L)}
                : array.ravel().toDoubleVector(), INDArray::close);
    }

    @Override
    public Kernel add(float[] a, float[] b) {
        INDArray x = Nd4j.create(a, new long[] {a.length}, DataType.FLOAT);
        INDArray y = Nd4j.create(b, new long[] {b.length}, DataType.FLOAT);
        return of(() -> x.add(y));
    }

    @Override
    public Kernel mulAdd(float[] a, float[] b, float[] c) {
        INDArray x = Nd4j.create(a, new long[] {a.length}, DataType.FLOAT);
        INDArray y = Nd4j.create(b, new long[] {b.length}, DataType.FLOAT);
        INDArray z = Nd4j.create(c, new long[] {c.length}, DataType.FLOAT);
        return of(() -> x.mul(y).addi(z));
    }

    @Override
    public Kernel sum(float[] a) {
        INDArray x = Nd4j.create(a, new long[] {a.length}, DataType.FLOAT);
        return of(() -> x.sum());
    }

    @Override
    public Kernel mean(float[] a) {
        INDArray x = Nd4j.create(a, new long[] {a.length}, DataType.FLOAT);
        return of(() -> x.mean());
    }

    @Override
    public Kernel matmul(Object a, Object b, int batch, int m, int k, int n) {
        long[] shapeA = batch == 0 ? new long[] {m, k} : new long[] {batch, m, k};
        long[] shapeB = batch == 0 ? new long[] {k, n} : new long[] {batch, k, n};
        INDArray x = a instanceof float[] f ? Nd4j.create(f, shapeA, DataType.FLOAT)
                : Nd4j.create((double[]) a, shapeA, DataType.DOUBLE);
        INDArray y = b instanceof float[] f ? Nd4j.create(f, shapeB, DataType.FLOAT)
                : Nd4j.create((double[]) b, shapeB, DataType.DOUBLE);
        return batch == 0 ? of(() -> x.mmul(y)) : of(() -> Nd4j.matmul(x, y));
    }

    @Override
    public Kernel tinyAdd(float a, float b) {
        INDArray x = Nd4j.create(new float[] {a}, new long[] {1}, DataType.FLOAT);
        INDArray y = Nd4j.create(new float[] {b}, new long[] {1}, DataType.FLOAT);
        return of(() -> x.add(y));
    }
}
