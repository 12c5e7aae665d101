package dev.quiver.conformance;

import dev.quiver.DType;
import dev.quiver.spi.Backend;
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
        if (length == 1) {
            oneElementAllocations++;
        }
        return target.allocate(dtype, length);
    }

    @Override
    public DeviceBuffer upload(Object hostArray) {
        count("upload");
        return target.upload(hostArray);
    }

    @Override
    public Object download(DeviceBuffer buffer, long offset, long length) {
        count("download");
        return target.download(buffer, offset, length);
    }

    @Override
    public void fill(StridedView out, double value) {
        count("fill");
        record("fill", out, value);
        target.fill(out, value);
    }

    @Override
    public void unary(Primitive op, StridedView in, StridedView out) {
        count("unary");
        record("unary", op, in, out);
        target.unary(op, in, out);
    }

    @Override
    public void binary(Primitive op, StridedView a, StridedView b, StridedView out) {
        count("binary");
        record("binary", op, a, b, out);
        target.binary(op, a, b, out);
    }

    @Override
    public void where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) {
        count("where");
        record("where", condition, whenTrue, whenFalse, out);
        target.where(condition, whenTrue, whenFalse, out);
    }

    @Override
    public void copy(StridedView in, StridedView out) {
        count("copy");
        record("copy", in, out);
        target.copy(in, out);
    }

    @Override
    public void reduce(Primitive op, StridedView in, StridedView out) {
        count("reduce");
        record("reduce", op, in, out);
        target.reduce(op, in, out);
    }

    @Override
    public void matmul(StridedView a, StridedView b, StridedView out) {
        count("matmul");
        record("matmul", a, b, out);
        target.matmul(a, b, out);
    }

    @Override
    public void gather(StridedView params, StridedView indices, StridedView out) {
        count("gather");
        record("gather", params, indices, out);
        target.gather(params, indices, out);
    }

    @Override
    public void scatterAdd(StridedView updates, StridedView indices, StridedView out) {
        count("scatterAdd");
        record("scatterAdd", updates, indices, out);
        target.scatterAdd(updates, indices, out);
    }

    @Override
    public void random(RandomDistribution distribution, long seed, long counter, double first, double second,
                       StridedView out) {
        count("random");
        record("random", distribution, seed, counter, first, second, out);
        target.random(distribution, seed, counter, first, second, out);
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
        if (slowTwinFusion) {
            FusedElementwise.runUnfused(target, kernel, inputs, outputs);
        } else {
            target.fused(kernel, inputs, outputs);
        }
    }

    @Override
    public void fusedReduce(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions,
                            StridedView[] outputs) {
        count("fusedReduce");
        record("fusedReduce", kernel, inputs, reductions, outputs);
        if (slowTwinFusion) {
            FusedElementwise.runUnfusedReduce(target, kernel, inputs, reductions, outputs);
        } else {
            target.fusedReduce(kernel, inputs, reductions, outputs);
        }
    }

    @Override
    public void synchronize() {
        count("synchronize");
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
