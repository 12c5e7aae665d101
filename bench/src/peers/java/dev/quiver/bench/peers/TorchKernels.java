package dev.quiver.bench.peers;

import dev.quiver.bench.Kernel;
import dev.quiver.bench.Peer;
import dev.quiver.bench.TrainingBench;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.function.Supplier;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The libtorch peer (libtorch 2.10 through {@code org.bytedeco:pytorch} 2.10.0-1.5.13, OpenBLAS 0.3.31 for its BLAS),
 * written as a libtorch user writes it: allocating ops on tensors made once from the Java arrays, {@code mm} for
 * products, {@code torch::randn}, and the tutorial's eager training step. Compiled only with {@code -Ppeers}; loaded
 * by name through {@link Peer#load(String)}.
 *
 * <pre>{@code
 * Peer torch = Peer.load("torch-1t");
 * torch.threads(1);
 * Kernel sum = torch.sum(a);
 * }</pre>
 */
public final class TorchKernels implements Peer {
    public TorchKernels() {
    }

    @Override
    public void threads(int count) {
        // ATen's intra-op pool; its BLAS (OpenBLAS, a pthread build) has its own pool, limited too
        torch.set_num_threads(count);
        openblas_nolapack.blas_set_num_threads(count);
    }

    @Override
    public String describe() {
        return "libtorch (org.bytedeco:pytorch " + version() + ", "
                + torch.get_num_threads() + " intra-op threads, OpenBLAS " + openblas_nolapack.blas_get_num_threads()
                + " threads)";
    }

    private static String version() {
        try {
            return Loader.getVersion("org.bytedeco", "pytorch");
        } catch (java.io.IOException e) {
            return "of unknown version (" + e.getMessage() + ")";
        }
    }

    /** A kernel whose result is a new tensor (libtorch on the CPU is synchronous: the result is complete). */
    private static Kernel of(Supplier<Tensor> op) {
        return Kernel.of(op, TorchKernels::values, Tensor::close);
    }

    static double[] values(Tensor tensor) {
        Tensor dense = tensor.contiguous();
        double[] out = new double[(int) dense.numel()];
        java.nio.Buffer buffer = dense.createBuffer(); // a DoubleBuffer or FloatBuffer by the tensor's dtype
        if (buffer instanceof DoubleBuffer doubles) {
            doubles.get(out);
        } else if (buffer instanceof FloatBuffer floats) {
            for (int i = 0; i < out.length; i++) {
                out[i] = floats.get(i);
            }
        } else {
            throw new IllegalStateException("libtorch result of dtype " + dense.scalar_type() + ": not float32/float64");
        }
        return out;
    }

    private static Tensor tensor(Object values, long... shape) {
        return values instanceof float[] f ? Tensor.create(f, shape) : Tensor.create((double[]) values, shape);
    }

    @Override
    public Kernel add(float[] a, float[] b) {
        Tensor x = tensor(a, a.length);
        Tensor y = tensor(b, b.length);
        return of(() -> x.add(y));
    }

    @Override
    public Kernel mulAdd(float[] a, float[] b, float[] c) {
        Tensor x = tensor(a, a.length);
        Tensor y = tensor(b, b.length);
        Tensor z = tensor(c, c.length);
        return of(() -> {
            try (Tensor product = x.mul(y)) {
                return product.add(z);
            }
        });
    }

    @Override
    public Kernel sum(float[] a) {
        Tensor x = tensor(a, a.length);
        return of(x::sum);
    }

    @Override
    public Kernel mean(float[] a) {
        Tensor x = tensor(a, a.length);
        return of(x::mean);
    }

    @Override
    public Kernel matmul(Object a, Object b, int batch, int m, int k, int n) {
        Tensor x = batch == 0 ? tensor(a, m, k) : tensor(a, batch, m, k);
        Tensor y = batch == 0 ? tensor(b, k, n) : tensor(b, batch, k, n);
        return batch == 0 ? of(() -> x.mm(y)) : of(() -> x.matmul(y));
    }

    @Override
    public Kernel tinyAdd(float a, float b) {
        Tensor x = tensor(new float[] {a}, 1);
        Tensor y = tensor(new float[] {b}, 1);
        return of(() -> x.add(y));
    }

    @Override
    public Kernel normal(boolean float64, int size) {
        torch.manual_seed(1);
        TensorOptions options = new TensorOptions(float64 ? torch.ScalarType.Double : torch.ScalarType.Float);
        long[] shape = {size};
        return of(() -> torch.randn(shape, options));
    }

    /**
     * The PyTorch tutorial's step in libtorch's C++ API: {@code x = randn(batch, 1)}, {@code y = 7x + 4 + noise},
     * {@code loss = mse_loss(x * w + b, y)}, {@code zero_grad(); loss.backward(); sgd.step()}; w and b are scalar
     * tensors that require gradients. A {@link PointerScope} frees each step's temporaries, as Python's reference
     * counting does.
     */
    @Override
    public TrainingBench.Step linearRegression(int batch) {
        torch.manual_seed(42);
        TensorOptions options = new TensorOptions(torch.ScalarType.Float);
        Tensor w = torch.full(new long[0], new Scalar(10f), options).set_requires_grad(true);
        Tensor b = torch.full(new long[0], new Scalar(1f), options).set_requires_grad(true);
        SGD sgd = new SGD(new TensorVector(w, b), new SGDOptions(TrainingBench.LINEAR_RATE));
        Scalar trueW = new Scalar((float) TrainingBench.TRUE_W);
        Scalar trueB = new Scalar((float) TrainingBench.TRUE_B);
        long[] shape = {batch, 1};
        return new TrainingBench.Step() {
            @Override
            public Object run() {
                try (PointerScope ignored = new PointerScope()) {
                    Tensor x = torch.randn(shape, options);
                    Tensor noise = torch.randn(shape, options);
                    Tensor y = x.mul(trueW).add(trueB).add(noise);
                    Tensor loss = torch.mse_loss(x.mul(w).add(b), y);
                    sgd.zero_grad();
                    loss.backward();
                    sgd.step();
                }
                return w;
            }

            @Override
            public double[] parameters() {
                return new double[] {w.item_double(), b.item_double()};
            }
        };
    }
}
