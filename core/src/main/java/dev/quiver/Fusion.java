package dev.quiver;

import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fusion pass of the compiler: runs of elementwise calls over one element count become one
 * {@link FusedElementwise} kernel, and such a run feeding a reduction becomes one fused reduction, so that
 * intermediate values stay in registers instead of full-size buffers.
 *
 * <p>Rules (docs/execution.md draws them):
 * <ul>
 *   <li>A group collects elementwise calls (unary, binary, where, copy/cast) whose views all reshape, without a copy,
 *       to the group's dimensions. A buffer written by a member over its whole extent becomes a register; members
 *       reading it read the register.</li>
 *   <li>A call that is not a member may sit between members when it neither reads what the group wrote nor writes what
 *       the group reads or writes: it is emitted before the group's kernel. Otherwise the group closes first.</li>
 *   <li>A register is written to memory only when something after the group reads its buffer, or the buffer outlives the
 *       program ({@code liveOut}); writes into buffers from outside (variables) always happen, through the member's
 *       own view, and the group may read that buffer only through that same view (element {@code i} is read before
 *       it is written, as in an in-place eager call).</li>
 *   <li>A group whose only needed result is read by the reduction that follows it becomes that reduction's prologue.</li>
 * </ul>
 * Every step is the primitive the eager call ran, so a fused elementwise kernel gives the unfused bits; a fused SUM
 * may add in another order.
 */
final class Fusion {
    /**
     * The most inputs one fused kernel takes: backends mark the inputs passed by value in an int (bit {@code i} for
     * input {@code i}), and a kernel's arguments are limited (128 in OpenCL).
     */
    static final int MAX_INPUTS = 24;

    private final List<Call> calls;
    private final Set<DeviceBuffer> liveOut;
    // for each buffer, the indices of the calls that read it, ascending
    private final Map<DeviceBuffer, List<Integer>> readers = new IdentityHashMap<>();
    private final List<Call> result = new ArrayList<>();
    private Group open;

    private Fusion(List<Call> calls, Set<DeviceBuffer> liveOut) {
        this.calls = calls;
        this.liveOut = liveOut;
        for (int i = 0; i < calls.size(); i++) {
            for (StridedView view : calls.get(i).reads()) {
                readers.computeIfAbsent(view.buffer(), b -> new ArrayList<>()).add(i);
            }
        }
    }

    /** {@code calls} with elementwise runs fused; buffers in {@code liveOut} are still written at the end. */
    static List<Call> fuse(List<Call> calls, Set<DeviceBuffer> liveOut) {
        Fusion fusion = new Fusion(calls, liveOut);
        for (int i = 0; i < calls.size(); i++) {
            fusion.add(i, calls.get(i));
        }
        fusion.close(null);
        return fusion.result;
    }

    private void add(int index, Call call) {
        if (open != null && open.tryAdd(index, call)) {
            return;
        }
        if (open != null && !isElementwise(call) && open.independentOf(call)) {
            result.add(call); // emitted before the group's kernel, which stays open
            return;
        }
        // one group open at a time: a call that cannot join closes it, and may be its reduction
        if (close(call)) {
            return;
        }
        if (isElementwise(call)) {
            open = new Group(call.writes()[0].shape());
            if (!open.tryAdd(index, call)) {
                open = null;
                result.add(call);
            }
        } else {
            result.add(call);
        }
    }

    private static boolean isElementwise(Call call) {
        return call instanceof Call.Unary || call instanceof Call.Binary || call instanceof Call.Where
                || call instanceof Call.Copy copy && Arrays.equals(copy.in().shape(), copy.out().shape())
                && copy.out().isContiguous();
    }

    /**
     * Emits the open group, if any; {@code next} (the call that closed it, or null) may become its fused reduction.
     * Returns whether it did, so that {@code next} is not emitted again.
     */
    private boolean close(Call next) {
        Group group = open;
        open = null;
        return group != null && group.emit(next);
    }

    /** A register's source: an input view (index into inputs) or a step's result. */
    private record Ref(boolean input, int index) {
    }

    private final class Group {
        final int[] dims;
        final long size;
        final List<Call> members = new ArrayList<>();
        final List<Integer> memberIndices = new ArrayList<>();
        final List<StridedView> inputs = new ArrayList<>();
        final List<Primitive> ops = new ArrayList<>();
        final List<Ref[]> operands = new ArrayList<>();
        final List<dev.quiver.DType> types = new ArrayList<>();
        // buffers written over their whole extent by a member: the step holding the newest value
        final Map<DeviceBuffer, Integer> registers = new IdentityHashMap<>();
        // buffers written through a partial or outside view, with that view and the step that wrote it
        final Map<DeviceBuffer, StridedView> partialWrites = new IdentityHashMap<>();
        final Map<DeviceBuffer, Integer> partialSteps = new IdentityHashMap<>();
        // buffers read from memory (inputs), with the views used
        final Map<DeviceBuffer, List<StridedView>> inputReads = new IdentityHashMap<>();
        final Set<DeviceBuffer> written = Collections.newSetFromMap(new IdentityHashMap<>());

        Group(int[] dims) {
            this.dims = dims.clone();
            long n = 1;
            for (int d : dims) {
                n *= d;
            }
            this.size = n;
        }

        boolean independentOf(Call call) {
            for (StridedView view : call.reads()) {
                if (written.contains(view.buffer())) {
                    return false;
                }
            }
            for (StridedView view : call.writes()) {
                if (written.contains(view.buffer()) || inputReads.containsKey(view.buffer())) {
                    return false;
                }
            }
            return true;
        }

        boolean tryAdd(int index, Call call) {
            if (!isElementwise(call) || size == 0) {
                return false;
            }
            StridedView out = Views.reshape(call.writes()[0], dims);
            if (out == null || !out.isContiguous()) {
                return false;
            }
            StridedView[] reads = call.reads();
            Ref[] refs = new Ref[reads.length];
            List<StridedView> newInputs = new ArrayList<>();
            for (int i = 0; i < reads.length; i++) {
                StridedView view = Views.reshape(reads[i], dims);
                if (view == null) {
                    return false;
                }
                DeviceBuffer buffer = view.buffer();
                Integer step = registers.get(buffer);
                if (step != null) {
                    if (!Views.coversBuffer(view)) {
                        return false;
                    }
                    refs[i] = new Ref(false, step);
                } else if (partialWrites.containsKey(buffer)) {
                    if (!partialWrites.get(buffer).equals(view)) {
                        return false;
                    }
                    refs[i] = new Ref(false, partialSteps.get(buffer));
                } else {
                    int at = indexOf(inputs, view);
                    if (at < 0) {
                        at = indexOf(newInputs, view);
                        if (at < 0) {
                            newInputs.add(view);
                            at = newInputs.size() - 1;
                        }
                        at += inputs.size();
                    }
                    refs[i] = new Ref(true, at);
                }
            }
            if (inputs.size() + newInputs.size() > MAX_INPUTS) {
                return false;
            }
            DeviceBuffer target = out.buffer();
            boolean whole = Views.coversBuffer(out) && target instanceof Tracer.Traced traced && !traced.constant;
            // a write must not change what an earlier member read from memory through another view
            for (StridedView read : inputReads.getOrDefault(target, List.of())) {
                if (!read.equals(out)) {
                    return false;
                }
            }
            for (StridedView read : newInputs) {
                if (read.buffer() == target && !read.equals(out)) {
                    return false;
                }
            }
            if (!whole && partialWrites.containsKey(target) && !partialWrites.get(target).equals(out)) {
                return false;
            }
            // accepted
            for (StridedView view : newInputs) {
                inputs.add(view);
                inputReads.computeIfAbsent(view.buffer(), b -> new ArrayList<>()).add(view);
            }
            int step = ops.size();
            ops.add(primitiveOf(call));
            operands.add(refs);
            types.add(out.dtype());
            written.add(target);
            if (whole) {
                registers.put(target, step);
                partialWrites.remove(target);
            } else {
                partialWrites.put(target, out);
                partialSteps.put(target, step);
            }
            members.add(call);
            memberIndices.add(index);
            return true;
        }

        /** The input reading the same values: the same view, or a host number of the same dtype and value. */
        private static int indexOf(List<StridedView> views, StridedView view) {
            for (int i = 0; i < views.size(); i++) {
                StridedView other = views.get(i);
                if (other.equals(view) || other.buffer() instanceof HostScalar a && view.buffer() instanceof HostScalar b
                        && a.dtype() == b.dtype() && Double.doubleToRawLongBits(a.value())
                        == Double.doubleToRawLongBits(b.value())) {
                    return i;
                }
            }
            return -1;
        }

        private static Primitive primitiveOf(Call call) {
            return switch (call) {
                case Call.Unary unary -> unary.op();
                case Call.Binary binary -> binary.op();
                case Call.Where where -> Primitive.WHERE;
                default -> Primitive.CAST;
            };
        }

        /** Whether a buffer written by the group is read after its last member (or outlives the program). */
        private boolean neededAfter(DeviceBuffer buffer) {
            if (liveOut.contains(buffer) || !(buffer instanceof Tracer.Traced)) {
                return true;
            }
            int last = memberIndices.getLast();
            for (int reader : readers.getOrDefault(buffer, List.of())) {
                if (reader > last && !memberIndices.contains(reader)) {
                    return true;
                }
            }
            return false;
        }

        /** Emits the group's kernel; true when {@code next} became its fused reduction. */
        boolean emit(Call next) {
            if (members.size() == 1 && !(next instanceof Call.Reduce)) {
                result.add(members.getFirst());
                return false;
            }
            List<StridedView> outViews = new ArrayList<>();
            List<Integer> outSteps = new ArrayList<>();
            for (Map.Entry<DeviceBuffer, Integer> entry : registers.entrySet()) {
                if (neededAfter(entry.getKey())) {
                    outViews.add(StridedView.contiguous(entry.getKey(), dims));
                    outSteps.add(entry.getValue());
                }
            }
            for (Map.Entry<DeviceBuffer, StridedView> entry : partialWrites.entrySet()) {
                outViews.add(entry.getValue());
                outSteps.add(partialSteps.get(entry.getKey()));
            }
            if (next instanceof Call.Reduce reduce && outViews.size() == 1 && registers.containsKey(
                    outViews.getFirst().buffer()) && Views.coversBuffer(reduce.in())
                    && reduce.in().buffer() == outViews.getFirst().buffer()
                    && readers.get(reduce.in().buffer()).stream().filter(r -> r > memberIndices.getLast())
                    .count() == 1 && !liveOut.contains(reduce.in().buffer())) {
                int[] block = reduce.in().shape();
                StridedView[] blockInputs = new StridedView[inputs.size()];
                boolean reshaped = true;
                for (int i = 0; i < blockInputs.length && reshaped; i++) {
                    blockInputs[i] = Views.reshape(inputs.get(i), block);
                    reshaped = blockInputs[i] != null;
                }
                if (reshaped) {
                    FusedElementwise kernel = kernel(List.of(outSteps.getFirst()));
                    result.add(new Call.FusedReduce(kernel, blockInputs, new Primitive[] {reduce.op()},
                            new StridedView[] {reduce.out()}));
                    return true;
                }
            }
            if (members.size() == 1) {
                result.add(members.getFirst());
            } else {
                result.add(new Call.Fused(kernel(outSteps), inputs.toArray(new StridedView[0]),
                        outViews.toArray(new StridedView[0])));
            }
            return false;
        }

        private FusedElementwise kernel(List<Integer> outSteps) {
            int inputCount = inputs.size();
            List<dev.quiver.DType> inputTypes = new ArrayList<>();
            for (StridedView view : inputs) {
                inputTypes.add(view.dtype());
            }
            List<FusedElementwise.Step> steps = new ArrayList<>();
            for (int s = 0; s < ops.size(); s++) {
                Ref[] refs = operands.get(s);
                int[] registerOperands = new int[refs.length];
                for (int i = 0; i < refs.length; i++) {
                    registerOperands[i] = refs[i].input() ? refs[i].index() : inputCount + refs[i].index();
                }
                steps.add(new FusedElementwise.Step(ops.get(s), registerOperands, types.get(s)));
            }
            int[] outputs = new int[outSteps.size()];
            for (int j = 0; j < outputs.length; j++) {
                outputs[j] = inputCount + outSteps.get(j);
            }
            return new FusedElementwise(inputTypes, steps, outputs);
        }
    }
}
