package dev.quiver.conformance;

import dev.quiver.DType;
import dev.quiver.spi.Backend;
import dev.quiver.spi.CapturedWork;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import dev.quiver.spi.TransferStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Backend} that forwards every call to another and counts them by method name, and the one-element
 * allocations apart: what an op costs in backend calls, independent of the machine's speed. Tensors made on it with
 * {@code TestAccess.on(counting, value)} run every op through it.
 *
 * <pre>{@code
 * CountingBackend counting = new CountingBackend(Quiver.backend());
 * Tensor x = TestAccess.on(counting, new float[] {1, 2, 3});
 * x.mul(7.0).add(4.0);
 * counting.calls();   // {allocate=2, binary=2}
 * }</pre>
 */
public final class CountingBackend implements Backend {
    private final Backend target;
    private final Map<String, Integer> calls = new TreeMap<>();
    private int oneElementAllocations;

    public CountingBackend(Backend target) {
        this(target, false);
    }

    /**
     * A counting wrapper that, with {@code slowTwinFusion}, claims to run fused kernels but runs them with the SPI's
     * unfused slow twin: the compiler's fusion pass is then tested on any backend, against the same backend unfused.
     */
    public CountingBackend(Backend target, boolean slowTwinFusion) {
        this.target = target;
        this.slowTwinFusion = slowTwinFusion;
    }

    private final boolean slowTwinFusion;

    /** Calls per method since the last {@link #reset()}, in name order. */
    public Map<String, Integer> calls() {
        return new TreeMap<>(calls);
    }

    /** All calls since the last {@link #reset()}, except {@code synchronize}. */
    public int total() {
        return calls.entrySet().stream().filter(e -> !e.getKey().equals("synchronize"))
                .mapToInt(Map.Entry::getValue).sum();
    }

    /** Allocations of exactly one element since the last {@link #reset()}. */
    public int oneElementAllocations() {
        return oneElementAllocations;
    }

    public void reset() {
        calls.clear();
        oneElementAllocations = 0;
    }

    private void count(String method) {
        calls.merge(method, 1, Integer::sum);
    }

    /**
     * From now on, keeps every compute call with its arguments ({@link #recordedCalls}): the method's name, then each
     * argument, an array's elements one by one. A compiled step's replays make the very same calls, view for view.
     */
    public void recordCalls() {
        recorded = new ArrayList<>();
    }

    /** The calls kept since {@link #recordCalls()}, oldest first. */
    public List<List<Object>> recordedCalls() {
        return recorded;
    }

    private List<List<Object>> recorded;

    private void record(String method, Object... arguments) {
        if (recorded != null) {
            List<Object> call = new ArrayList<>();
            call.add(method);
            for (Object argument : arguments) {
                if (argument instanceof Object[] array) {
                    call.addAll(Arrays.asList(array));
                } else {
                    call.add(argument);
                }
            }
            recorded.add(call);
        }
    }

    /**
     * From now on, {@link #capture} works here as a CUDA graph does: the calls made while capturing are kept, not run,
     * and each {@link CapturedWork#launch} runs them all (counted as {@code capture} and {@code launch}); a transfer,
     * an allocation or a wait while capturing is refused. With {@code refusal}, every capture is refused with it.
     */
    public CountingBackend capturingWork(String refusal) {
        capturesWork = true;
        captureRefusal = refusal;
        return this;
    }

    private boolean capturesWork;
    private String captureRefusal;
    private List<Runnable> capturing;

    @Override
    public String captureUnavailable() {
        return capturesWork ? null : target.captureUnavailable();
    }

    @Override
    public CapturedWork capture(Runnable calls) {
        if (!capturesWork) {
            return target.capture(calls);
        }
        count("capture");
        if (captureRefusal != null) {
            throw new IllegalStateException(captureRefusal);
        }
        capturing = new ArrayList<>();
        List<Runnable> work;
        try {
            calls.run();
        } finally {
            work = capturing;
            capturing = null;
        }
        return new CapturedWork() {
            private boolean closed;

            @Override
            public void launch() {
                if (closed) {
                    throw new IllegalStateException("counting: launch of a closed capture");
                }
                count("launch");
                work.forEach(Runnable::run);
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }

    /** Runs {@code work}, or keeps it for the capture's launches while capturing. */
    private void perform(Runnable work) {
        if (capturing != null) {
            capturing.add(work);
        } else {
            work.run();
        }
    }

    private void refuseWhileCapturing(String method) {
        if (capturing != null) {
            throw new IllegalStateException("counting: " + method + " while capturing");
        }
    }

    @Override
    public String name() {
        return target.name();
    }

    @Override
    public String deviceDescription() {
        return target.deviceDescription();
    }

    @Override
    public DeviceBuffer allocate(DType dtype, long length) {
        count("allocate");
        refuseWhileCapturing("allocate");
        if (length == 1) {
            oneElementAllocations++;
        }
        return target.allocate(dtype, length);
    }

    @Override
    public DeviceBuffer upload(Object hostArray) {
        count("upload");
        refuseWhileCapturing("upload");
        return target.upload(hostArray);
    }

    @Override
    public Object download(DeviceBuffer buffer, long offset, long length) {
        count("download");
        refuseWhileCapturing("download");
        return target.download(buffer, offset, length);
    }

    @Override
    public void fill(StridedView out, double value) {
        count("fill");
        record("fill", out, value);
        perform(() -> target.fill(out, value));
    }

    @Override
    public void unary(Primitive op, StridedView in, StridedView out) {
        count("unary");
        record("unary", op, in, out);
        perform(() -> target.unary(op, in, out));
    }

    @Override
    public void binary(Primitive op, StridedView a, StridedView b, StridedView out) {
        count("binary");
        record("binary", op, a, b, out);
        perform(() -> target.binary(op, a, b, out));
    }

    @Override
    public void where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) {
        count("where");
        record("where", condition, whenTrue, whenFalse, out);
        perform(() -> target.where(condition, whenTrue, whenFalse, out));
    }

    @Override
    public void copy(StridedView in, StridedView out) {
        count("copy");
        record("copy", in, out);
        perform(() -> target.copy(in, out));
    }

    @Override
    public void reduce(Primitive op, StridedView in, StridedView out) {
        count("reduce");
        record("reduce", op, in, out);
        perform(() -> target.reduce(op, in, out));
    }

    @Override
    public void matmul(StridedView a, StridedView b, StridedView out) {
        count("matmul");
        record("matmul", a, b, out);
        perform(() -> target.matmul(a, b, out));
    }

    @Override
    public void gather(StridedView params, StridedView indices, StridedView out) {
        count("gather");
        record("gather", params, indices, out);
        perform(() -> target.gather(params, indices, out));
    }

    @Override
    public void scatterAdd(StridedView updates, StridedView indices, StridedView out) {
        count("scatterAdd");
        record("scatterAdd", updates, indices, out);
        perform(() -> target.scatterAdd(updates, indices, out));
    }

    @Override
    public void random(RandomDistribution distribution, long seed, long counter, double first, double second,
                       StridedView out) {
        count("random");
        record("random", distribution, seed, counter, first, second, out);
        perform(() -> target.random(distribution, seed, counter, first, second, out));
    }

    @Override
    public boolean runsFusedKernels() {
        return slowTwinFusion || target.runsFusedKernels();
    }

    @Override
    public boolean fusesDraws() {
        return slowTwinFusion || target.fusesDraws();
    }

    @Override
    public void fused(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputs) {
        count("fused");
        record("fused", kernel, inputs, outputs);
        perform(() -> {
            if (slowTwinFusion) {
                FusedElementwise.runUnfused(target, kernel, inputs, outputs);
            } else {
                target.fused(kernel, inputs, outputs);
            }
        });
    }

    @Override
    public void fusedReduce(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions,
                            StridedView[] outputs) {
        count("fusedReduce");
        record("fusedReduce", kernel, inputs, reductions, outputs);
        perform(() -> {
            if (slowTwinFusion) {
                FusedElementwise.runUnfusedReduce(target, kernel, inputs, reductions, outputs);
            } else {
                target.fusedReduce(kernel, inputs, reductions, outputs);
            }
        });
    }

    @Override
    public void synchronize() {
        count("synchronize");
        refuseWhileCapturing("synchronize");
        target.synchronize();
    }

    @Override
    public TransferStats transfers() {
        return target.transfers();
    }

    /** Leaves the wrapped backend open: it is the one {@code Quiver} uses. */
    @Override
    public void close() {
    }
}
