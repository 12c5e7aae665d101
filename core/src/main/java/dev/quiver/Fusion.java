package dev.quiver;

import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Drawn;
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
 * {@link FusedElementwise} kernel, and such a run feeding reductions becomes one fused reduction (sibling reductions
 * of one pass, with the elementwise results the rest of the step needs written by the same pass), so that
 * intermediate values stay in registers instead of full-size buffers.
 *
 * <p>Rules (docs/execution.md draws them):
 * <ul>
 *   <li>A group collects elementwise calls (unary, binary, where, copy/cast) whose views all reshape, without a copy,
 *       to the group's dimensions. A buffer written by a member over its whole extent becomes a register; members
 *       reading it read the register.</li>
 *   <li>A uniform computation (an elementwise call of single numbers, so every element of its result is one number:
 *       a cast learning rate, {@code 1 / n}, the gradient of a mean) that a member of a larger group reads is pulled
 *       into that group as a uniform register, computed per element; it still runs after the group if something else
 *       reads its result.</li>
 *   <li>A reduction of a register over a block {@code (outer, reduced, inner)} joins the group; its result is written
 *       when the group's kernel ends, so no member may read it. All reductions of a group share one block.</li>
 *   <li>A call that cannot join is hoisted before the group's kernel when it neither reads what the group (or a
 *       postponed call) wrote nor writes what they read or write, and is not elementwise; otherwise it is postponed
 *       until after the kernel, and so is every later call that depends on a postponed one. Postponed calls are fused
 *       again after the kernel, in their order. Hoisting and postponing keep every read-after-write,
 *       write-after-read and write-after-write order of the traced step.</li>
 *   <li>A register is written to memory only when something outside the group reads its buffer, or the buffer
 *       outlives the program ({@code liveOut}); writes into buffers from outside (variables) always happen, through
 *       the member's own view, and the group may read that buffer only through that same view (element {@code i} is
 *       read before it is written, as in an in-place eager call).</li>
 *   <li>A step that repeats an earlier step of its kernel (the same primitive of the same registers and dtype) is
 *       computed once.</li>
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
    // calls after the open group's kernel, in trace order, with the buffers they read and write
    private List<Integer> postponed = new ArrayList<>();
    private final Set<DeviceBuffer> postponedReads = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<DeviceBuffer, List<Integer>> postponedWriters = new IdentityHashMap<>();
    // the buffers of the step's draws that a kernel may generate instead of reading (one Drawn per buffer)
    private final Map<DeviceBuffer, Drawn> drawn = new IdentityHashMap<>();

    private Fusion(List<Call> calls, Set<DeviceBuffer> liveOut, DeviceBuffer streamCounter) {
        this.calls = calls;
        this.liveOut = liveOut;
        Map<DeviceBuffer, Integer> writers = new IdentityHashMap<>();
        for (int i = 0; i < calls.size(); i++) {
            for (StridedView view : calls.get(i).reads()) {
                readers.computeIfAbsent(view.buffer(), b -> new ArrayList<>()).add(i);
            }
            for (StridedView view : calls.get(i).writes()) {
                writers.merge(view.buffer(), 1, Integer::sum);
            }
        }
        for (Call call : calls) {
            if (call instanceof Call.Random draw && streamCounter != null
                    && draw.streamRelative() && draw.out().isContiguous()
                    && Views.coversBuffer(draw.out()) && draw.out().buffer() instanceof Tracer.Traced traced
                    && !traced.constant && writers.get(traced) == 1) {
                drawn.put(traced, new Drawn(draw.distribution(), draw.seed(), streamCounter, draw.counter(),
                        draw.first(), draw.second(), traced.dtype(), traced.length()));
            }
        }
    }

    /**
     * {@code calls} with elementwise runs fused; buffers in {@code liveOut} are still written at the end. With a
     * {@code streamCounter} (the backend {@linkplain dev.quiver.spi.Backend#fusesDraws fuses draws}; the buffer holds
     * the step's stream position on the device) the kernels read the step's random draws as {@link Drawn} inputs
     * counted from it, and a draw nothing else reads is dropped; with null, draws stay calls.
     */
    static List<Call> fuse(List<Call> calls, Set<DeviceBuffer> liveOut, DeviceBuffer streamCounter) {
        Fusion fusion = new Fusion(calls, liveOut, streamCounter);
        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            pending.add(i);
        }
        // each pass emits at least the call that opens a group (or the first call, when none opens one)
        while (!pending.isEmpty()) {
            for (int index : pending) {
                fusion.add(index, calls.get(index));
            }
            pending = fusion.closeGroup();
        }
        return fusion.withoutUnreadDraws();
    }

    /** The result without the draws that every reader now generates in its kernel. */
    private List<Call> withoutUnreadDraws() {
        if (drawn.isEmpty()) {
            return result;
        }
        Set<DeviceBuffer> read = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Call call : result) {
            for (StridedView view : call.reads()) {
                read.add(view.buffer());
            }
        }
        List<Call> kept = new ArrayList<>(result.size());
        for (Call call : result) {
            if (!(call instanceof Call.Random draw) || !drawn.containsKey(draw.out().buffer())
                    || read.contains(draw.out().buffer()) || liveOut.contains(draw.out().buffer())) {
                kept.add(call);
            }
        }
        return kept;
    }

    /** A view of a draw's buffer as the same view of the draw itself, which a kernel generates where it reads. */
    private StridedView generated(StridedView view) {
        Drawn draw = drawn.get(view.buffer());
        return draw == null || !view.isContiguous() ? view
                : new StridedView(draw, view.shape(), view.strides(), view.offset());
    }

    private void add(int index, Call call) {
        if (open == null) {
            if (isElementwise(call)) {
                open = new Group(call.writes()[0].shape());
                if (open.tryAdd(index, call, List.of())) {
                    return;
                }
                open = null;
            }
            result.add(call);
            return;
        }
        List<Integer> scalars = scalarsToPull(call);
        if (scalars != null && open.tryAdd(index, call, scalars)) {
            return;
        }
        if (scalars != null && scalars.isEmpty() && !isElementwise(call) && open.independentOf(call)) {
            result.add(call); // emitted before the group's kernel
            return;
        }
        postponed.add(index);
        for (StridedView view : call.reads()) {
            postponedReads.add(view.buffer());
        }
        for (StridedView view : call.writes()) {
            postponedWriters.computeIfAbsent(view.buffer(), b -> new ArrayList<>()).add(index);
        }
    }

    /**
     * The postponed calls {@code call} needs before it, when they are all uniform calls the group can compute per
     * element (in trace order; empty when it needs none), or null when {@code call} must stay after the postponed
     * calls: it reads what another postponed call writes, or writes what one reads or writes.
     */
    private List<Integer> scalarsToPull(Call call) {
        for (StridedView view : call.writes()) {
            if (postponedWriters.containsKey(view.buffer()) || postponedReads.contains(view.buffer())) {
                return null;
            }
        }
        java.util.TreeSet<Integer> needed = new java.util.TreeSet<>();
        return pullReads(call, needed) ? new ArrayList<>(needed) : null;
    }

    private boolean pullReads(Call call, java.util.TreeSet<Integer> needed) {
        for (StridedView view : call.reads()) {
            List<Integer> writers = postponedWriters.get(view.buffer());
            if (writers == null) {
                continue;
            }
            if (writers.size() != 1) {
                return false;
            }
            int writer = writers.getFirst();
            if (!needed.contains(writer)) {
                Call uniform = calls.get(writer);
                if (!isUniform(uniform)) {
                    return false;
                }
                needed.add(writer);
                if (!pullReads(uniform, needed)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * An elementwise call into a traced buffer whose every element is one number: it reads only single numbers (views
     * of one element or broadcast with all strides 0), the uniform registers of the open group, or what postponed
     * calls write (which {@link #pullReads} then checks the same way). Its value is the same wherever it is computed,
     * so a group computes it per element: {@code 1 / n}, a cast learning rate, the gradient of a mean.
     */
    private boolean isUniform(Call call) {
        if (!isElementwise(call) || !(call.writes()[0].buffer() instanceof Tracer.Traced traced) || traced.constant
                || !Views.coversBuffer(call.writes()[0])) {
            return false;
        }
        for (StridedView view : call.reads()) {
            if (view.size() != 1 && !isBroadcastNumber(view) && !postponedWriters.containsKey(view.buffer())
                    && !open.uniform.contains(view.buffer())) {
                return false;
            }
        }
        return true;
    }

    /** A view all of whose elements are one element (strides 0). */
    private static boolean isBroadcastNumber(StridedView view) {
        for (long stride : view.strides()) {
            if (stride != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isElementwise(Call call) {
        return call instanceof Call.Unary || call instanceof Call.Binary || call instanceof Call.Where
                || call instanceof Call.Copy copy && Arrays.equals(copy.in().shape(), copy.out().shape())
                && copy.out().isContiguous();
    }

    /** Emits the open group, if any, and returns the calls to add again: those postponed behind it. */
    private List<Integer> closeGroup() {
        Group group = open;
        open = null;
        List<Integer> again = postponed;
        postponed = new ArrayList<>();
        postponedReads.clear();
        postponedWriters.clear();
        if (group != null) {
            // scalars the kernel computed per element whose numbers nothing else reads need not run again
            again.removeAll(group.emit());
        }
        return again;
    }

    /** A register's source: an input view (index into inputs) or a step's result. */
    private record Ref(boolean input, int index) {
    }

    private final class Group {
        final int[] dims;
        final long size;
        final List<Call> members = new ArrayList<>();
        final List<Integer> memberIndices = new ArrayList<>();
        // the trace index of the call behind each step
        final List<Integer> stepIndices = new ArrayList<>();
        final List<StridedView> inputs = new ArrayList<>();
        final List<Primitive> ops = new ArrayList<>();
        final List<Ref[]> operands = new ArrayList<>();
        final List<dev.quiver.DType> types = new ArrayList<>();
        // buffers written over their whole extent by a member: the step holding the newest value
        final Map<DeviceBuffer, Integer> registers = new IdentityHashMap<>();
        // registers holding one number (a scalar computed per element): read through any view
        final Set<DeviceBuffer> uniform = Collections.newSetFromMap(new IdentityHashMap<>());
        // buffers written through a partial or outside view, with that view and the step that wrote it
        final Map<DeviceBuffer, StridedView> partialWrites = new IdentityHashMap<>();
        final Map<DeviceBuffer, Integer> partialSteps = new IdentityHashMap<>();
        // buffers read from memory (inputs), with the views used
        final Map<DeviceBuffer, List<StridedView>> inputReads = new IdentityHashMap<>();
        final Set<DeviceBuffer> written = Collections.newSetFromMap(new IdentityHashMap<>());
        // reductions joined: the reduced step, and the call (its block and output); written when the kernel ends
        final List<Call.Reduce> reductions = new ArrayList<>();
        final List<Integer> reducedSteps = new ArrayList<>();
        final Set<DeviceBuffer> reductionOutputs = Collections.newSetFromMap(new IdentityHashMap<>());

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

        /**
         * Adds {@code call} to the group, after computing the postponed uniform calls it reads ({@code scalars}, trace
         * indices) per element; false when it cannot join (the scalars may have joined: they are pure).
         */
        boolean tryAdd(int index, Call call, List<Integer> scalars) {
            if (size == 0) {
                return false;
            }
            if (call instanceof Call.Reduce reduce) {
                return scalars.isEmpty() && tryReduce(index, reduce);
            }
            if (!isElementwise(call)) {
                return false;
            }
            StridedView out = Views.reshape(call.writes()[0], dims);
            if (out == null || !out.isContiguous()) {
                return false;
            }
            StridedView[] reads = call.reads();
            List<StridedView> views = new ArrayList<>(reads.length);
            for (StridedView read : reads) {
                StridedView view = Views.reshape(read, dims);
                if (view == null) {
                    return false;
                }
                views.add(generated(view));
            }
            for (int scalar : scalars) {
                if (!registers.containsKey(calls.get(scalar).writes()[0].buffer())
                        && (size == 1 || !tryScalar(scalar, calls.get(scalar)))) {
                    return false;
                }
            }
            return accept(index, call, views, out, false);
        }

        /**
         * A uniform call ({@link #isUniform}) postponed behind the group joins as a uniform register: every element
         * computes the same number. Its operands are read broadcast; the call itself stays postponed, and runs after
         * the kernel when something outside the group needs its value.
         */
        private boolean tryScalar(int index, Call call) {
            StridedView target = call.writes()[0];
            if (written.contains(target.buffer()) || inputReads.containsKey(target.buffer())) {
                return false;
            }
            List<StridedView> views = new ArrayList<>();
            for (StridedView read : call.reads()) {
                if (!uniform.contains(read.buffer()) && written.contains(read.buffer())) {
                    return false;
                }
                views.add(new StridedView(read.buffer(), dims, new long[dims.length], read.offset()));
            }
            return accept(index, call, views, StridedView.contiguous(target.buffer(), dims), true);
        }

        /** Adds an elementwise member reading {@code reads} (in the group's dimensions) and writing {@code out}. */
        private boolean accept(int index, Call call, List<StridedView> reads, StridedView out, boolean scalar) {
            Ref[] refs = new Ref[reads.size()];
            List<StridedView> newInputs = new ArrayList<>();
            for (int i = 0; i < refs.length; i++) {
                StridedView view = reads.get(i);
                DeviceBuffer buffer = view.buffer();
                if (reductionOutputs.contains(buffer)) {
                    return false; // written when the kernel ends
                }
                Integer step = registers.get(buffer);
                if (step != null) {
                    if (!uniform.contains(buffer) && !Views.coversBuffer(view)) {
                        return false;
                    }
                    refs[i] = new Ref(false, step);
                } else if (partialWrites.containsKey(buffer)) {
                    if (scalar || !partialWrites.get(buffer).equals(view)) {
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
            if (!reductions.isEmpty()) {
                // the kernel runs over the reductions' block: every input must be seen in it
                for (StridedView view : newInputs) {
                    if (Views.reshape(view, reductions.getFirst().in().shape()) == null) {
                        return false;
                    }
                }
            }
            DeviceBuffer target = out.buffer();
            // a scalar's target is one traced number (tryScalar checked it), seen here broadcast to the group
            boolean whole = scalar
                    || Views.coversBuffer(out) && target instanceof Tracer.Traced traced && !traced.constant;
            // a write must not change what an earlier member read from memory through another view, nor a register
            // a reduction still reads
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
            if (reductionOutputs.contains(target) || registers.containsKey(target) && isReduced(registers.get(target))) {
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
            stepIndices.add(index);
            written.add(target);
            if (whole) {
                registers.put(target, step);
                partialWrites.remove(target);
                if (scalar) {
                    uniform.add(target);
                } else {
                    uniform.remove(target);
                }
            } else {
                partialWrites.put(target, out);
                partialSteps.put(target, step);
            }
            members.add(call);
            memberIndices.add(index);
            return true;
        }

        private boolean isReduced(int step) {
            return reducedSteps.contains(step);
        }

        /**
         * A reduction of a register over its whole buffer joins when its block is the group's reductions' block
         * and every input of the group can be seen in that block.
         */
        private boolean tryReduce(int index, Call.Reduce reduce) {
            StridedView in = reduce.in();
            Integer step = registers.get(in.buffer());
            Primitive op = reduce.op();
            if (step == null || uniform.contains(in.buffer()) || !Views.coversBuffer(in) || in.rank() != 3
                    || op != Primitive.SUM && op != Primitive.MAX && op != Primitive.MIN
                    || reductions.size() == FusedElementwise.MAX_REDUCTIONS || reduce.out().dtype() != types.get(step)
                    || !(reduce.out().buffer() instanceof Tracer.Traced traced) || traced.constant
                    || !Views.coversBuffer(reduce.out())) {
                return false;
            }
            DeviceBuffer target = reduce.out().buffer();
            if (written.contains(target) || inputReads.containsKey(target)) {
                return false;
            }
            int[] block = in.shape();
            if (!reductions.isEmpty() && !Arrays.equals(block, reductions.getFirst().in().shape())) {
                return false;
            }
            for (StridedView view : inputs) {
                if (Views.reshape(view, block) == null) {
                    return false;
                }
            }
            reductions.add(reduce);
            reducedSteps.add(step);
            reductionOutputs.add(target);
            written.add(target);
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

        /**
         * Whether the value step {@code step} left in {@code buffer} is read outside the group (by a call after that
         * step's) or outlives the program.
         */
        private boolean neededAfter(DeviceBuffer buffer, int step) {
            if (liveOut.contains(buffer) || !(buffer instanceof Tracer.Traced)) {
                return true;
            }
            int writer = stepIndices.get(step);
            for (int reader : readers.getOrDefault(buffer, List.of())) {
                if (reader > writer && !memberIndices.contains(reader)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Emits the group's kernel (or its one call); returns the trace indices of the scalars computed per element
         * whose numbers nothing outside the group reads (their postponed calls need not run).
         */
        List<Integer> emit() {
            List<StridedView> outViews = new ArrayList<>();
            List<Integer> outSteps = new ArrayList<>();
            List<Integer> unneeded = new ArrayList<>();
            for (Map.Entry<DeviceBuffer, Integer> entry : registers.entrySet()) {
                boolean needed = neededAfter(entry.getKey(), entry.getValue());
                if (uniform.contains(entry.getKey())) {
                    if (!needed) {
                        unneeded.add(stepIndices.get(entry.getValue()));
                    }
                } else if (needed) {
                    outViews.add(StridedView.contiguous(entry.getKey(), dims));
                    outSteps.add(entry.getValue());
                }
            }
            for (Map.Entry<DeviceBuffer, StridedView> entry : partialWrites.entrySet()) {
                outViews.add(entry.getValue());
                outSteps.add(partialSteps.get(entry.getKey()));
            }
            if (!reductions.isEmpty() && emitReduction(outViews, outSteps)) {
                return unneeded;
            }
            // no reduction, or written outputs that cannot be seen in the block: the chain, then each reduction
            for (int r = 0; r < reductions.size(); r++) {
                DeviceBuffer reduced = reductions.get(r).in().buffer();
                if (!containsBuffer(outViews, reduced)) {
                    outViews.add(StridedView.contiguous(reduced, dims));
                    outSteps.add(reducedSteps.get(r));
                }
            }
            if (members.size() == 1) {
                result.add(members.getFirst());
            } else if (!outViews.isEmpty()) {
                result.add(new Call.Fused(kernel(outSteps), inputs.toArray(new StridedView[0]),
                        outViews.toArray(new StridedView[0])));
            }
            result.addAll(reductions);
            return unneeded;
        }

        private static boolean containsBuffer(List<StridedView> views, DeviceBuffer buffer) {
            for (StridedView view : views) {
                if (view.buffer() == buffer) {
                    return true;
                }
            }
            return false;
        }

        /** The group as one fused reduction over the reductions' block; false when an output cannot be seen in it. */
        private boolean emitReduction(List<StridedView> written, List<Integer> writtenSteps) {
            int[] block = reductions.getFirst().in().shape();
            StridedView[] blockInputs = new StridedView[inputs.size()];
            for (int i = 0; i < blockInputs.length; i++) {
                blockInputs[i] = Views.reshape(inputs.get(i), block);
                if (blockInputs[i] == null) {
                    return false;
                }
            }
            List<StridedView> outputs = new ArrayList<>();
            List<Integer> steps = new ArrayList<>(reducedSteps);
            Primitive[] ops = new Primitive[reductions.size()];
            for (int r = 0; r < ops.length; r++) {
                ops[r] = reductions.get(r).op();
                outputs.add(reductions.get(r).out());
            }
            if (ops.length + written.size() > FusedElementwise.MAX_REDUCE_OUTPUTS || FusedElementwise.reduceArguments(
                    inputs, ops.length + written.size()) > FusedElementwise.MAX_KERNEL_ARGUMENTS) {
                return false;
            }
            for (int j = 0; j < written.size(); j++) {
                StridedView view = Views.reshape(written.get(j), block);
                if (view == null || !view.isContiguous()) {
                    return false;
                }
                outputs.add(view);
                steps.add(writtenSteps.get(j));
            }
            result.add(new Call.FusedReduce(kernel(steps), blockInputs, ops, outputs.toArray(new StridedView[0])));
            return true;
        }

        /**
         * The group's steps as a kernel writing {@code outSteps}. A step that repeats an earlier one (the same
         * primitive of the same registers, the same dtype) is computed once: elementwise primitives are pure, so the
         * value is the same bits (the gradient of {@code r * r} is {@code g * r + r * g}, two equal products).
         */
        private FusedElementwise kernel(List<Integer> outSteps) {
            int inputCount = inputs.size();
            List<dev.quiver.DType> inputTypes = new ArrayList<>();
            for (StridedView view : inputs) {
                inputTypes.add(view.dtype());
            }
            List<FusedElementwise.Step> steps = new ArrayList<>();
            // the kernel step computing each group step's value, and the steps already in the kernel
            int[] computedBy = new int[ops.size()];
            Map<FusedElementwise.Step, Integer> computed = new java.util.HashMap<>();
            for (int s = 0; s < ops.size(); s++) {
                Ref[] refs = operands.get(s);
                int[] registerOperands = new int[refs.length];
                for (int i = 0; i < refs.length; i++) {
                    registerOperands[i] = refs[i].input() ? refs[i].index() : inputCount + computedBy[refs[i].index()];
                }
                FusedElementwise.Step step = new FusedElementwise.Step(ops.get(s), registerOperands, types.get(s));
                Integer earlier = computed.get(step);
                if (earlier != null) {
                    computedBy[s] = earlier;
                } else {
                    computedBy[s] = steps.size();
                    computed.put(step, steps.size());
                    steps.add(step);
                }
            }
            int[] outputs = new int[outSteps.size()];
            for (int j = 0; j < outputs.length; j++) {
                outputs[j] = inputCount + computedBy[outSteps.get(j)];
            }
            return new FusedElementwise(inputTypes, steps, outputs);
        }
    }
}
