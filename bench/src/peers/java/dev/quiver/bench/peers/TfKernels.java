package dev.quiver.bench.peers;

import dev.quiver.bench.Kernel;
import dev.quiver.bench.Peer;
import dev.quiver.bench.TrainingBench;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.TensorFlow;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.RandomStandardNormal;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * The TensorFlow Java peer ({@code org.tensorflow:tensorflow-core-api} 1.1.0: TensorFlow 2.18 with oneDNN), written
 * as a TF-Java user writes a hot loop: each kernel is a small graph whose inputs are placeholders, fed each run with
 * tensors made once from the Java arrays (placeholders, not constants: TensorFlow would fold an op of constants
 * once, at graph optimization, and time nothing), run in a {@link Session} whose {@link ConfigProto} sets the
 * intra- and inter-op thread pools. Compiled only with {@code -Ppeers}; loaded by name through
 * {@link Peer#load(String)}.
 *
 * <pre>{@code
 * Peer tf = Peer.load("tf-1t");
 * tf.threads(1);
 * Kernel product = tf.matmul(a, b, 0, 1024, 1024, 1024);
 * }</pre>
 */
public final class TfKernels implements Peer {
    private ConfigProto config = ConfigProto.getDefaultInstance();

    public TfKernels() {
    }

    @Override
    public void threads(int count) {
        // TensorFlow's process-wide pools are made by the first session, with these sizes (one engine per JVM)
        config = ConfigProto.newBuilder().setIntraOpParallelismThreads(count).setInterOpParallelismThreads(count).build();
    }

    @Override
    public String describe() {
        return "TensorFlow " + TensorFlow.version() + " (TF-Java 1.1.0, graph sessions, "
                + config.getIntraOpParallelismThreads() + " intra-op / " + config.getInterOpParallelismThreads()
                + " inter-op threads)";
    }

    /** An input: a placeholder of the array's type and shape, fed with a tensor made once. */
    private record Input(Object values, long... shape) {
        Tensor tensor() {
            return values instanceof float[] f ? TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(f, true, false))
                    : TFloat64.tensorOf(Shape.of(shape), DataBuffers.of((double[]) values, true, false));
        }

        Class<? extends TType> type() {
            return values instanceof float[] ? TFloat32.class : TFloat64.class;
        }
    }

    /** The graph's output from its placeholders. */
    private interface Body {
        Operand<?> build(Ops tf, List<Operand<TType>> inputs);
    }

    @SuppressWarnings("unchecked")
    private Kernel graph(Body body, Input... inputs) {
        Graph graph = new Graph();
        Ops tf = Ops.create(graph);
        List<Operand<TType>> placeholders = new ArrayList<>();
        List<Tensor> tensors = new ArrayList<>();
        for (Input input : inputs) {
            placeholders.add((Operand<TType>) (Operand<?>) tf.placeholder(input.type(),
                    Placeholder.shape(Shape.of(input.shape()))));
            tensors.add(input.tensor());
        }
        Operand<?> output = body.build(tf, placeholders);
        Session session = new Session(graph, config);
        return Kernel.of(() -> {
            Session.Runner runner = session.runner();
            for (int i = 0; i < tensors.size(); i++) {
                runner.feed(placeholders.get(i), tensors.get(i));
            }
            return runner.fetch(output).run(); // synchronous: the fetched tensor is complete
        }, result -> values(result.get(0)), Result::close);
    }

    static double[] values(Tensor tensor) {
        double[] out = new double[(int) tensor.shape().size()];
        if (tensor instanceof TFloat64 doubles) {
            doubles.copyTo(DataBuffers.of(out, false, false));
            return out;
        }
        float[] floats = new float[out.length];
        ((TFloat32) tensor).copyTo(DataBuffers.of(floats, false, false));
        for (int i = 0; i < out.length; i++) {
            out[i] = floats[i];
        }
        return out;
    }

    @Override
    public Kernel add(float[] a, float[] b) {
        return graph((tf, in) -> tf.math.add(in.get(0), in.get(1)), new Input(a, a.length), new Input(b, b.length));
    }

    @Override
    public Kernel mulAdd(float[] a, float[] b, float[] c) {
        return graph((tf, in) -> tf.math.add(tf.math.mul(in.get(0), in.get(1)), in.get(2)),
                new Input(a, a.length), new Input(b, b.length), new Input(c, c.length));
    }

    @Override
    public Kernel sum(float[] a) {
        return graph((tf, in) -> tf.reduceSum(in.get(0), tf.constant(0)), new Input(a, a.length));
    }

    @Override
    public Kernel mean(float[] a) {
        return graph((tf, in) -> tf.math.mean(in.get(0), tf.constant(0)), new Input(a, a.length));
    }

    @Override
    public Kernel matmul(Object a, Object b, int batch, int m, int k, int n) {
        Input x = batch == 0 ? new Input(a, m, k) : new Input(a, batch, m, k);
        Input y = batch == 0 ? new Input(b, k, n) : new Input(b, batch, k, n);
        return batch == 0 ? graph((tf, in) -> tf.linalg.matMul(in.get(0), in.get(1)), x, y)
                : graph((tf, in) -> tf.train.batchMatMul(in.get(0), in.get(1), in.get(0).type()), x, y);
    }

    @Override
    public Kernel tinyAdd(float a, float b) {
        return add(new float[] {a}, new float[] {b});
    }

    @Override
    public Kernel normal(boolean float64, int size) {
        // a stateful op: each run draws new values
        return float64
                ? graph((tf, in) -> tf.random.randomStandardNormal(tf.constant(new long[] {size}), TFloat64.class,
                        RandomStandardNormal.seed(1L)))
                : graph((tf, in) -> tf.random.randomStandardNormal(tf.constant(new long[] {size}), TFloat32.class,
                        RandomStandardNormal.seed(1L)));
    }

    /**
     * The tutorial's step as TensorFlow runs it best: one graph (draw x and noise, y = 7x + 4 + noise, mean squared
     * error of x w + b, {@code GradientDescent.minimize}) and one session run per step. Graph mode, not eager: TF-Java
     * 1.1.0's eager mode has no gradients.
     */
    @Override
    public TrainingBench.Step linearRegression(int batch) {
        Graph graph = new Graph();
        Ops tf = Ops.create(graph);
        Operand<org.tensorflow.types.TInt64> shape = tf.constant(new long[] {batch, 1});
        Operand<TFloat32> x = tf.random.randomStandardNormal(shape, TFloat32.class, RandomStandardNormal.seed(42L));
        Operand<TFloat32> noise = tf.random.randomStandardNormal(shape, TFloat32.class, RandomStandardNormal.seed(43L));
        Operand<TFloat32> y = tf.math.add(tf.math.add(tf.math.mul(x, tf.constant((float) TrainingBench.TRUE_W)),
                tf.constant((float) TrainingBench.TRUE_B)), noise);
        Variable<TFloat32> w = tf.withName("w").variable(tf.constant(10f));
        Variable<TFloat32> b = tf.withName("b").variable(tf.constant(1f));
        Operand<TFloat32> prediction = tf.math.add(tf.math.mul(x, w), b);
        Operand<TFloat32> loss = tf.math.mean(tf.math.squaredDifference(prediction, y), tf.constant(new int[] {0, 1}));
        Op minimize = new GradientDescent(graph, (float) TrainingBench.LINEAR_RATE).minimize(loss);
        Session session = new Session(graph, config);
        session.initialize();
        return new TrainingBench.Step() {
            @Override
            public Object run() {
                try (Result ignored = session.runner().addTarget(minimize).run()) {
                    return ignored;
                }
            }

            @Override
            public double[] parameters() {
                try (Result result = session.runner().fetch(w).fetch(b).run()) {
                    return new double[] {values(result.get(0))[0], values(result.get(1))[0]};
                }
            }
        };
    }
}
