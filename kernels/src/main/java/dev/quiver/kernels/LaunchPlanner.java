package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Drawn;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * Turns each {@link dev.quiver.spi.Backend} operation into kernel {@link Launch}es, once for every device
 * backend: it picks the program and kernel, merges dimensions, sizes the grid for the device and orders the
 * arguments. An OpenCL or CUDA backend is then only memory management plus "compile, set arguments, enqueue".
 *
 * <pre>{@code
 * LaunchPlanner planner = new LaunchPlanner(new DeviceLimits(1024, 132, true, false));
 * for (Launch launch : planner.unary(Primitive.EXP, in, out)) {
 *     backend.enqueue(launch);
 * }
 * }</pre>
 */
public final class LaunchPlanner {
    /**
     * Status word value for an index outside its axis (gather, scatter_add); the words after it hold the position,
     * the value and the limit as 64-bit integers (see gather.qk).
     */
    public static final int STATUS_INDEX_OUT_OF_RANGE = 2;
    /** Work-items per group for elementwise and random kernels. */
    private static final int ELEMENTWISE_GROUP = 256;
    /** Matmul tile: a TILE x TILE block of the output per work-group, OUTPUTS_PER_ITEM outputs per work-item. */
    private static final int MATMUL_TILE = 16;
    private static final int MATMUL_OUTPUTS_PER_ITEM = 4;
    /**
     * The most arguments a planned kernel takes: OpenCL guarantees 1024 bytes of them (8 bytes each here), and the
     * CUDA backend packs this many slots. Only fused kernels come near it (many operands of a high rank).
     */
    public static final int MAX_KERNEL_ARGUMENTS = FusedElementwise.MAX_KERNEL_ARGUMENTS;
    /**
     * The most reductions one {@link #fusedReduce} takes: each keeps a work-group's accumulators in local memory
     * (256 of at most 8 bytes), and 8 of them (16 KiB) stay within the 32 KiB every OpenCL device offers.
     */
    public static final int MAX_REDUCED_OUTPUTS = FusedElementwise.MAX_REDUCTIONS;
    /**
     * The most outputs, reduced and written, one {@link #fusedReduce} takes: two kernel arguments each, so 16 leave
     * {@link #MAX_KERNEL_ARGUMENTS} room for 18 strided inputs (5 arguments each).
     */
    public static final int MAX_FUSED_REDUCE_OUTPUTS = FusedElementwise.MAX_REDUCE_OUTPUTS;
    /** CUDA's grid limit on its second and third axes; OpenCL devices allow at least this. */
    private static final long MAX_GROUPS_YZ = 65_535;

    private final DeviceLimits limits;
    private final boolean fastPaths;
    private final int elementwiseGroup;
    private final int reduceGroup;
    private final long maxElementwiseGroups;
    private final Map<String, String> baseDefines;
    private final Map<ElementwiseKey, KernelSource> elementwiseSources = new ConcurrentHashMap<>();
    private final Map<String, KernelSource> resourceSources = new ConcurrentHashMap<>();
    private final Map<FusedKey, KernelSource> fusedSources = new ConcurrentHashMap<>();

    /** A planner that takes every fast path: contiguous kernels and split (two-stage) reductions. */
    public LaunchPlanner(DeviceLimits limits) {
        this(limits, true);
    }

    /**
     * @param fastPaths {@code false} plans the slow twin of every fast path: the general strided kernel even for
     *                  contiguous operands, and one-pass reductions only. Results must agree with the fast plan
     *                  (tests compare the two), which is what makes the fast paths trustworthy.
     */
    public LaunchPlanner(DeviceLimits limits, boolean fastPaths) {
        this.limits = limits;
        this.fastPaths = fastPaths;
        this.elementwiseGroup = Math.min(ELEMENTWISE_GROUP, limits.maxGroupSize());
        this.reduceGroup = Integer.highestOneBit(Math.min(256, limits.maxGroupSize()));
        // one element per work-item up to 2^28 elements, the kernels loop beyond. Measured on PoCL: a grid-stride
        // loop over a small grid (64 groups) ran a 4M-element add at 1 GB/s, one element per item at 4.4 GB/s,
        // because PoCL vectorizes across work-items and the kernel's own loop defeats that.
        this.maxElementwiseGroups = 1L << 20;
        this.baseDefines = limits.float64() ? Map.of("Q_FP64", "1") : Map.of();
    }

    public DeviceLimits limits() {
        return limits;
    }

    // ---------------------------------------------------------------- elementwise

    public List<Launch> unary(Primitive op, StridedView in, StridedView out) {
        return elementwise(op, List.of(in), out, null);
    }

    public List<Launch> binary(Primitive op, StridedView a, StridedView b, StridedView out) {
        return elementwise(op, List.of(a, b), out, null);
    }

    public List<Launch> where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) {
        return elementwise(Primitive.WHERE, List.of(condition, whenTrue, whenFalse), out, null);
    }

    /** A strided copy converting dtypes as {@link dev.quiver.spi.Backend#copy} specifies. */
    public List<Launch> copy(StridedView in, StridedView out) {
        return elementwise(Primitive.CAST, List.of(in), out, null);
    }

    public List<Launch> fill(StridedView out, double value) {
        return elementwise(null, List.of(), out, KernelArg.scalar(out.dtype(), value));
    }

    /**
     * Every elementwise program a backend may compile for these dtypes (the CUDA compile check walks them). Of the
     * variants that take inputs by value ({@link HostScalar}), whose by-value part does not depend on the op, one
     * binary op per dtype with each input by value and {@code where} with both branches by value stand for all.
     */
    public List<KernelSource> allElementwiseSources() {
        List<KernelSource> sources = new ArrayList<>();
        for (DType type : DType.values()) {
            if (type == DType.FLOAT64 && !limits.float64()) {
                continue;
            }
            boolean valueVariants = false;
            for (Primitive op : Primitive.values()) {
                if (op.kind() == Primitive.Kind.UNARY && ElementwiseKernels.supports(op, type)) {
                    sources.add(elementwiseSource(op, List.of(type), op.producesBool() ? DType.BOOL : type));
                } else if (op.kind() == Primitive.Kind.BINARY && ElementwiseKernels.supports(op, type)) {
                    DType output = op.producesBool() ? DType.BOOL : type;
                    sources.add(elementwiseSource(op, List.of(type, type), output));
                    if (!valueVariants) {
                        valueVariants = true;
                        sources.add(elementwiseSource(op, List.of(type, type), 0b01, output));
                        sources.add(elementwiseSource(op, List.of(type, type), 0b10, output));
                    }
                } else if (op == Primitive.WHERE) {
                    sources.add(elementwiseSource(op, List.of(DType.BOOL, type, type), type));
                    sources.add(elementwiseSource(op, List.of(DType.BOOL, type, type), 0b110, type));
                }
            }
            sources.add(elementwiseSource(null, List.of(), type));
            for (DType to : DType.values()) {
                if (to != DType.FLOAT64 || limits.float64()) {
                    sources.add(elementwiseSource(Primitive.CAST, List.of(type), to));
                }
            }
        }
        return sources;
    }

    /**
     * Which elementwise program: looked up on every op, so a record rather than a formatted name.
     * {@code valueInputs} has bit {@code i} set when input {@code i} is a {@link HostScalar} passed by value.
     */
    private record ElementwiseKey(Primitive op, List<DType> inputs, int valueInputs, DType output) {
    }

    private KernelSource elementwiseSource(Primitive op, List<DType> inputs, DType output) {
        return elementwiseSource(op, inputs, 0, output);
    }

    private KernelSource elementwiseSource(Primitive op, List<DType> inputs, int valueInputs, DType output) {
        return elementwiseSources.computeIfAbsent(new ElementwiseKey(op, inputs, valueInputs, output),
                key -> ElementwiseKernels.source(op, inputs, valueInputs, output, baseDefines));
    }

    private List<Launch> elementwise(Primitive op, List<StridedView> inputs, StridedView out, KernelArg fillValue) {
        DType[] dtypes = new DType[inputs.size()];
        int valueInputs = valueInputs(inputs);
        for (int i = 0; i < dtypes.length; i++) {
            dtypes[i] = inputs.get(i).dtype();
        }
        List<DType> types = List.of(dtypes);
        KernelSource source = elementwiseSource(op, types, valueInputs, out.dtype());
        StridedView[] all = new StridedView[inputs.size() + 1];
        all[0] = out;
        for (int i = 0; i < inputs.size(); i++) {
            all[i + 1] = inputs.get(i);
        }
        OpDescription description = describe(op == null ? "fill" : op == Primitive.CAST ? "cast" : op.opName(), all);
        boolean status = op != null && ElementwiseKernels.usesStatus(op, types.get(0));
        return elementwiseLaunches(new StridedView[] {out}, inputs, fillValue, status, description,
                rank -> source, false);
    }

    /** Bit {@code i} set when input {@code i} is a {@link HostScalar}, passed to the kernel by value. */
    private static int valueInputs(List<StridedView> inputs) {
        int valueInputs = 0;
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).buffer() instanceof HostScalar) {
                valueInputs |= 1 << i;
            }
        }
        return valueInputs;
    }

    /**
     * The launches of an elementwise kernel over {@code outputs} and {@code inputs} of one shape (arguments as
     * {@link ElementwiseKernels#kernel} declares them): dimensions merged over the operands in memory, the
     * contiguous kernel when the merged layout allows, else the strided kernel of the merged rank, and ranks
     * beyond the largest strided kernel (or beyond {@link #MAX_KERNEL_ARGUMENTS}) looped here, one launch per slice.
     *
     * @param sourceOfRank     the program holding the kernel of a rank (0: contiguous)
     * @param programPerRank   each rank is a program of its own whose one kernel has the program's name (fused);
     *                         else one program holds every rank, as {@link ElementwiseKernels#kernelName} names them
     */
    private List<Launch> elementwiseLaunches(StridedView[] outputs, List<StridedView> inputs, KernelArg fillValue,
                                             boolean status, OpDescription description,
                                             IntFunction<KernelSource> sourceOfRank, boolean programPerRank) {
        int valueInputs = valueInputs(inputs);
        int valueCount = Integer.bitCount(valueInputs);
        StridedView[] all = new StridedView[outputs.length + inputs.size()];
        // the layout is merged over the operands in memory only: a value passed by value has no strides
        StridedView[] views = new StridedView[all.length - valueCount];
        System.arraycopy(outputs, 0, all, 0, outputs.length);
        System.arraycopy(outputs, 0, views, 0, outputs.length);
        for (int i = 0, v = outputs.length; i < inputs.size(); i++) {
            all[outputs.length + i] = inputs.get(i);
            if ((valueInputs & (1 << i)) == 0) {
                views[v++] = inputs.get(i);
            }
        }
        MergedLayout layout = MergedLayout.of(views);
        long n = layout.size();
        if (n == 0) {
            return List.of();
        }
        // a contiguous layout runs the _c kernel over all n elements; a strided one runs _s<rank>, and ranks beyond
        // the largest strided kernel loop over their outermost dimensions here, one launch per slice
        boolean contiguous = fastPaths && layout.contiguous();
        int rank = contiguous ? 0 : Math.max(1, layout.rank());
        // n, a pointer and an offset per operand (a value: one), the fill value, the status word: then per kernel
        // dimension one size (but the first) and a stride per operand in memory
        // (a drawn input: its seed, counter and start where a pointer and offset would be, then its scale and shift)
        int drawnCount = DrawnInputs.of(inputs.toArray(StridedView[]::new)).count();
        int fixedArguments = 1 + 2 * all.length - valueCount + 3 * drawnCount + (fillValue != null ? 1 : 0)
                + (status ? 1 : 0);
        int maxKernelRank = Math.min(ElementwiseKernels.MAX_STRIDED_RANK,
                (MAX_KERNEL_ARGUMENTS - fixedArguments + 1) / (views.length + 1));
        if (fixedArguments > MAX_KERNEL_ARGUMENTS || !contiguous && maxKernelRank < 1) {
            throw new IllegalArgumentException("kernels: " + description + " needs more than "
                    + MAX_KERNEL_ARGUMENTS + " kernel arguments even in its rank-1 strided kernel (" + all.length
                    + " operands)");
        }
        int hostRank = Math.max(0, rank - maxKernelRank);
        int kernelRank = rank - hostRank;
        if (layout.rank() == 0 && rank == 1) {   // one element, walked by the rank-1 strided kernel
            layout = new MergedLayout(new long[] {1}, new long[views.length][1], layout.offsets());
        }
        long[] innerShape = Arrays.copyOfRange(layout.shape(), hostRank, rank);
        long innerSize = contiguous ? n : 1;
        for (long d : innerShape) {
            innerSize *= d;
        }
        long slices = n / innerSize;
        KernelSource source = sourceOfRank.apply(kernelRank);
        String kernel = programPerRank ? source.name() : ElementwiseKernels.kernelName(source.name(), kernelRank);
        List<Launch> launches = new ArrayList<>();
        for (long slice = 0; slice < slices; slice++) {
            long[] offsets = layout.offsets().clone();
            long rest = slice;
            for (int d = hostRank - 1; d >= 0; d--) {
                long coordinate = rest % layout.shape()[d];
                rest /= layout.shape()[d];
                for (int o = 0; o < views.length; o++) {
                    offsets[o] += coordinate * layout.strides()[o][d];
                }
            }
            List<KernelArg> args = new ArrayList<>();
            args.add(new KernelArg.I64(innerSize));
            for (int o = 0, v = 0; o < all.length; o++) {
                if (all[o].buffer() instanceof HostScalar scalar) {
                    args.add(KernelArg.scalar(scalar.dtype(), scalar.value()));
                } else if (all[o].buffer() instanceof Drawn draw) {
                    args.addAll(DrawnInputs.arguments(draw, offsets[v++]));
                } else {
                    args.add(new KernelArg.Buffer(views[v].buffer()));
                    args.add(new KernelArg.I64(offsets[v++]));
                }
            }
            if (fillValue != null) {
                args.add(fillValue);
            }
            if (status) {
                args.add(new KernelArg.StatusWord());
            }
            for (int d = 1; d < kernelRank; d++) {
                args.add(new KernelArg.I64(innerShape[d]));
            }
            for (int o = 0; o < views.length; o++) {
                for (int d = 0; d < kernelRank; d++) {
                    args.add(new KernelArg.I64(layout.strides()[o][hostRank + d]));
                }
            }
            launches.add(grid1d(source, kernel, innerSize, args, description, status));
        }
        return launches;
    }

    // ---------------------------------------------------------------- fused

    /**
     * Which fused program: the chain, its by-value inputs, and the layout's kernel rank (elementwise) or the
     * reductions of its first outputs (reduce).
     */
    private record FusedKey(FusedElementwise kernel, int valueInputs, DrawnInputs draws, int rank,
                            List<Primitive> reductions) {
    }

    /**
     * {@code kernel} over {@code inputs} (any strides, broadcast, or {@link HostScalar}s) into {@code outputs}, one
     * kernel, as {@link dev.quiver.spi.Backend#fused} specifies ({@link FusedKernels#source}).
     */
    public List<Launch> fused(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputs) {
        checkFused("fused", kernel, inputs, outputs.length);
        int[] shape = inputs[0].shape();
        List<DType> outputTypes = kernel.outputTypes();
        for (int j = 0; j < outputs.length; j++) {
            if (outputs[j].dtype() != outputTypes.get(j) || !Arrays.equals(outputs[j].shape(), shape)) {
                throw new IllegalArgumentException("fused: output " + j + " of " + kernel + " is " + outputs[j]
                        + ", expected " + outputTypes.get(j) + " of shape " + Arrays.toString(shape));
            }
        }
        List<StridedView> inputList = List.of(inputs);
        int valueInputs = valueInputs(inputList);
        DrawnInputs draws = DrawnInputs.of(inputs);
        StridedView[] all = new StridedView[outputs.length + inputs.length];
        System.arraycopy(outputs, 0, all, 0, outputs.length);
        System.arraycopy(inputs, 0, all, outputs.length, inputs.length);
        OpDescription description = new OpDescription(kernel, all, outputs.length, "");
        return elementwiseLaunches(outputs, inputList, null, FusedKernels.usesStatus(kernel), description,
                rank -> fusedSources.computeIfAbsent(new FusedKey(kernel, valueInputs, draws, rank, null),
                        key -> FusedKernels.source(kernel, valueInputs, draws, rank, baseDefines)), true);
    }

    /**
     * {@code kernel} computed from {@code inputs}, views of the block {@code (outer, reduced, inner)} (any strides,
     * broadcast, or {@link HostScalar}s), as {@link dev.quiver.spi.Backend#fusedReduce} specifies: its output {@code j
     * < reductions.length} reduced into contiguous {@code outputs[j]} {@code (outer, inner)} without being written, the
     * rest written into the contiguous block. The launches of one reduction whatever the number of outputs: the first
     * stage runs the chain once per element as the reductions' visit ({@link FusedKernels#reduceSource}), each
     * reduction in its own accumulator; a second stage, when the reduction is split, reduces every output's partials
     * ({@code scratch[j]}, {@link #reduceScratchLength} elements of output {@code j}'s dtype) in one launch too. The
     * split is the plain reduction's for the same block, so the order of a SUM is too: each output gets the bits of a
     * plain reduction of its register alone.
     *
     * <pre>{@code
     * // loss = sum(r * r) and grad = sum(r) of r = x - y over (1, n, 1), and r written
     * List<Launch> plan = planner.fusedReduce(kernel, new StridedView[] {x, y},
     *         new Primitive[] {Primitive.SUM, Primitive.SUM}, new StridedView[] {loss, grad, r}, scratch);
     * }</pre>
     *
     * @param scratch one buffer per reduction when {@link #reduceScratchLength} is not 0; else unused (may be empty)
     */
    public List<Launch> fusedReduce(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions,
                                    StridedView[] outputs, DeviceBuffer[] scratch) {
        String method = "fusedReduce";
        checkFused(method, kernel, inputs, outputs.length);
        kernel.checkReduceOperands(method, inputs, reductions, outputs);
        if (reductions.length > MAX_REDUCED_OUTPUTS || outputs.length > MAX_FUSED_REDUCE_OUTPUTS) {
            throw new IllegalArgumentException(method + ": " + kernel + " has " + reductions.length + " reductions and "
                    + outputs.length + " outputs; a planned kernel takes at most " + MAX_REDUCED_OUTPUTS
                    + " reductions (LaunchPlanner.MAX_REDUCED_OUTPUTS: an accumulator each in local memory) and "
                    + MAX_FUSED_REDUCE_OUTPUTS + " outputs (LaunchPlanner.MAX_FUSED_REDUCE_OUTPUTS: kernel arguments)");
        }
        for (int j = 0; j < reductions.length; j++) {
            if (outputs[j].dtype() == DType.BOOL) {
                throw new IllegalArgumentException(method + ": " + reductions[j].opName() + " of output " + j + " of "
                        + kernel + " is of bool; a reduction takes a numeric register");
            }
        }
        int[] block = inputs[0].shape();
        long outer = block[0];
        long reduced = block[1];
        long inner = block[2];
        long reducedOutputs = outer * inner;
        if (reducedOutputs == 0) {
            return List.of();
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].buffer() instanceof Drawn && !inputs[i].isContiguous()) {
                // the kernel walks a drawn input by the block's own strides (five arguments, as a strided input's)
                throw new IllegalArgumentException(method + ": input " + i + " of " + kernel + " is " + inputs[i]
                        + ", a view of a drawn buffer that is not contiguous; a drawn input must be contiguous");
            }
        }
        long chunks = reduceChunks(inputs[0]);
        int valueInputs = valueInputs(List.of(inputs));
        StridedView[] all = new StridedView[outputs.length + inputs.length];
        System.arraycopy(outputs, 0, all, 0, outputs.length);
        System.arraycopy(inputs, 0, all, outputs.length, inputs.length);
        OpDescription description = new OpDescription(new ReducedChain(reductions, kernel), all, outputs.length, "");
        if (chunks == 1) {
            return List.of(reduceChainLaunch(kernel, valueInputs, inputs, reductions, outputs, reduced, inner, 1,
                    description));
        }
        // the first stage writes each reduction's partials, a contiguous (outer * inner, chunks, 1) block of its
        // scratch; the second reduces them all at once, a chain of no steps whose outputs are its inputs
        StridedView[] partials = new StridedView[reductions.length];
        List<DType> partialTypes = new ArrayList<>();
        int[] partialRegisters = new int[reductions.length];
        int[] partialBlock = {Math.toIntExact(reducedOutputs), Math.toIntExact(chunks), 1};
        for (int j = 0; j < reductions.length; j++) {
            if (scratch == null || scratch.length != reductions.length || scratch[j] == null
                    || scratch[j].dtype() != outputs[j].dtype() || scratch[j].length() < reducedOutputs * chunks) {
                throw new IllegalArgumentException(method + ": " + description + " is split in " + chunks + " chunks "
                        + "and needs a scratch buffer of " + reducedOutputs * chunks + " elements of its dtype per "
                        + "reduction, got " + (scratch == null ? null : Arrays.toString(scratch)));
            }
            partials[j] = StridedView.contiguous(scratch[j], partialBlock);
            partialTypes.add(outputs[j].dtype());
            partialRegisters[j] = j;
        }
        StridedView[] firstOutputs = outputs.clone();
        System.arraycopy(partials, 0, firstOutputs, 0, partials.length);
        FusedElementwise partialsOnly = new FusedElementwise(partialTypes, List.of(), partialRegisters);
        return List.of(
                reduceChainLaunch(kernel, valueInputs, inputs, reductions, firstOutputs, reduced, inner, chunks,
                        description.withSuffix(" (partials)")),
                reduceChainLaunch(partialsOnly, 0, partials, reductions, Arrays.copyOf(outputs, reductions.length),
                        chunks, 1, 1, description));
    }

    /**
     * The one launch of {@link FusedKernels#reduceSource} of {@code kernel} over {@code inputs}, views of the block
     * {@code (groups / chunks, reduced, inner)}, writing {@code outputs} (the first {@code reductions.length} at one
     * element per work-group).
     */
    private Launch reduceChainLaunch(FusedElementwise kernel, int valueInputs, StridedView[] inputs,
                                     Primitive[] reductions, StridedView[] outputs, long reduced, long inner,
                                     long chunks, OpDescription description) {
        KernelSource source = fusedReduceSource(kernel, valueInputs, DrawnInputs.of(inputs), reductions);
        boolean status = FusedKernels.usesStatus(kernel);
        List<KernelArg> args = new ArrayList<>(List.of(new KernelArg.I64(reduced), new KernelArg.I64(inner),
                new KernelArg.I64(chunks)));
        for (StridedView input : inputs) {
            if (input.buffer() instanceof HostScalar scalar) {
                args.add(KernelArg.scalar(scalar.dtype(), scalar.value()));
            } else if (input.buffer() instanceof Drawn draw) {
                args.addAll(DrawnInputs.arguments(draw, input.offset()));
            } else {
                args.add(new KernelArg.Buffer(input.buffer()));
                args.add(new KernelArg.I64(input.offset()));
                for (long stride : input.strides()) {
                    args.add(new KernelArg.I64(stride));
                }
            }
        }
        if (status) {
            args.add(new KernelArg.StatusWord());
        }
        for (StridedView output : outputs) {
            args.add(new KernelArg.Buffer(output.buffer()));
            args.add(new KernelArg.I64(output.offset()));
        }
        if (args.size() > MAX_KERNEL_ARGUMENTS) {
            throw new IllegalArgumentException("kernels: " + description + " needs " + args.size() + " kernel "
                    + "arguments, more than " + MAX_KERNEL_ARGUMENTS);
        }
        long groups = (long) inputs[0].shape()[0] * inputs[0].shape()[2] * chunks;
        return new Launch(source, "reduce_axis", new long[] {groups}, new long[] {reduceGroup}, args, description,
                status);
    }

    /**
     * The program {@link #fusedReduce} launches for {@code kernel} with the inputs of {@code valueInputs} (a bit each)
     * by value, reducing its first {@code reductions.length} outputs and writing the rest (compile checks walk these).
     */
    public KernelSource fusedReduceSource(FusedElementwise kernel, int valueInputs, Primitive[] reductions) {
        return fusedReduceSource(kernel, valueInputs, DrawnInputs.NONE, reductions);
    }

    /** {@link #fusedReduceSource(FusedElementwise, int, Primitive[])} with the inputs of {@code draws} generated. */
    public KernelSource fusedReduceSource(FusedElementwise kernel, int valueInputs, DrawnInputs draws,
                                          Primitive[] reductions) {
        List<Primitive> ops = List.of(reductions);
        return fusedSources.computeIfAbsent(new FusedKey(kernel, valueInputs, draws, 0, ops), key -> {
            Map<String, String> defines = reduceLoopDefines();
            StringBuilder name = new StringBuilder(FusedKernels.programName(kernel, valueInputs, draws));
            ops.forEach(op -> name.append('_').append(op.opName()));
            name.append(defines.containsKey("ITEM_SLICES") ? "_slices" : "");
            return FusedKernels.reduceSource(kernel, valueInputs, draws, reductions, name.toString(), defines);
        });
    }

    /** The ops of a fused reduction, formatted only for a message: {@code sum, max of fused(...)}. */
    private record ReducedChain(Primitive[] reductions, FusedElementwise kernel) {
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder();
            for (Primitive op : reductions) {
                text.append(text.isEmpty() ? "" : ", ").append(op.opName());
            }
            return text.append(" of ").append(kernel).toString();
        }
    }

    /** Inputs match the kernel's input dtypes and share one shape; {@code outputCount} outputs are expected. */
    private static void checkFused(String method, FusedElementwise kernel, StridedView[] inputs, int outputCount) {
        if (inputs.length > Integer.SIZE - 1) { // which inputs are passed by value is a bit each in an int
            throw new IllegalArgumentException(method + ": " + kernel + " has " + inputs.length + " inputs; a fused "
                    + "kernel takes at most " + (Integer.SIZE - 1));
        }
        if (inputs.length == 0) { // the launch takes its shape from input 0
            throw new IllegalArgumentException(method + ": " + kernel + " has no input");
        }
        kernel.checkOperands(method, inputs, outputCount);
    }

    // ---------------------------------------------------------------- reduce

    /**
     * Length of the scratch buffer {@link #reduce} needs for partial results, 0 when one pass suffices. The
     * backend allocates it (of {@code in}'s dtype) and may release it as soon as the launches are enqueued.
     */
    public long reduceScratchLength(StridedView in) {
        long chunks = reduceChunks(in);
        return chunks == 1 ? 0 : (long) in.shape()[0] * in.shape()[2] * chunks;
    }

    private long reduceChunks(StridedView in) {
        if (!fastPaths) {
            return 1;
        }
        long outputs = (long) in.shape()[0] * in.shape()[2];
        long reduced = in.shape()[1];
        long wanted = 4L * limits.computeUnits();
        if (outputs >= wanted || reduced <= 8L * reduceGroup) {
            return 1;
        }
        // split each output's reduction so the device gets about `wanted` groups, each of at least 8 steps
        long byWork = (reduced + 8L * reduceGroup - 1) / (8L * reduceGroup);
        long byGroups = (wanted + outputs - 1) / outputs;
        return Math.max(1, Math.min(byWork, byGroups));
    }

    /**
     * Reduces the middle axis of contiguous {@code in} {@code (outer, reduced, inner)} into contiguous {@code out}
     * {@code (outer, inner)}: one pass, or two through {@code scratch} (see {@link #reduceScratchLength}).
     */
    public List<Launch> reduce(Primitive op, StridedView in, StridedView out, DeviceBuffer scratch) {
        long outer = in.shape()[0];
        long reduced = in.shape()[1];
        long inner = in.shape()[2];
        if (outer * inner == 0) {
            return List.of();
        }
        KernelSource source = reduceSource(op, in.dtype());
        OpDescription description = describe(op.opName(), out, in);
        long chunks = reduceChunks(in);
        if (chunks == 1) {
            return List.of(reduceLaunch(source, reduced, inner, 1, in.buffer(), in.offset(), out.buffer(),
                    out.offset(), outer * inner, description));
        }
        long outputs = outer * inner;
        return List.of(
                reduceLaunch(source, reduced, inner, chunks, in.buffer(), in.offset(), scratch, 0, outputs * chunks,
                        description.withSuffix(" (partials)")),
                reduceLaunch(source, chunks, 1, 1, scratch, 0, out.buffer(), out.offset(), outputs, description));
    }

    private Launch reduceLaunch(KernelSource source, long reduced, long inner, long chunks, DeviceBuffer in,
                                long inOffset, DeviceBuffer out, long outOffset, long groups, OpDescription description) {
        List<KernelArg> args = List.of(new KernelArg.I64(reduced), new KernelArg.I64(inner), new KernelArg.I64(chunks),
                new KernelArg.Buffer(in), new KernelArg.I64(inOffset), new KernelArg.Buffer(out),
                new KernelArg.I64(outOffset));
        return new Launch(source, "reduce_axis", new long[] {groups}, new long[] {reduceGroup}, args, description,
                false);
    }

    KernelSource reduceSource(Primitive op, DType dtype) {
        Map<String, String> defines = reduceDefines(op, dtype);
        String name = "reduce_" + op.opName() + "_" + ElementwiseKernels.shortName(dtype)
                + (defines.containsKey("ITEM_SLICES") ? "_slices" : "");
        return resourceSources.computeIfAbsent(name, key -> KernelSource.resource(key, "reduce.qk", defines));
    }

    /** The defines of {@code reduce.qk} for {@code op} on {@code dtype} on this device. */
    private Map<String, String> reduceDefines(Primitive op, DType dtype) {
        String t = ElementwiseKernels.typeName(dtype);
        if (op.kind() != Primitive.Kind.REDUCE) {
            throw new IllegalArgumentException("kernels: " + op.opName() + " is not a reduction");
        }
        Map<String, String> defines = reduceLoopDefines();
        defines.put("T", t);
        defines.put("ACC", t);
        defines.put("OP_" + op.name(), "1");
        if (dtype.isFloating()) {
            defines.put("FLOATING", "1");
        }
        defines.put("IDENTITY", identity(op, dtype));
        return defines;
    }

    /** The defines of {@code reduce.qk}'s loop on this device, whatever it reduces (a fused reduction's all). */
    private Map<String, String> reduceLoopDefines() {
        Map<String, String> defines = new HashMap<>(baseDefines);
        defines.put("WG", Integer.toString(reduceGroup));
        // on a CPU device each item streams through its own slice; the GPU pattern (items interleaved, so a
        // group's reads coalesce) is the slow twin there, which keeps both patterns tested on PoCL
        boolean slices = fastPaths && limits.cpu();
        if (slices) {
            defines.put("ITEM_SLICES", "1");
        }
        return defines;
    }

    /** The neutral element of {@code op} on {@code dtype}, as kernel C text. */
    static String identity(Primitive op, DType dtype) {
        if (op == Primitive.SUM) {
            return "0";
        }
        boolean max = op == Primitive.MAX;
        return switch (dtype) {
            case FLOAT32 -> max ? "(-Q_INFINITY_F32)" : "Q_INFINITY_F32";
            case FLOAT64 -> max ? "(-Q_INFINITY_F64)" : "Q_INFINITY_F64";
            case INT32 -> max ? "(-2147483647-1)" : "2147483647";
            case INT64 -> max ? "(-9223372036854775807L-1)" : "9223372036854775807L";
            case BOOL -> max ? "0" : "1";
        };
    }

    // ---------------------------------------------------------------- matmul

    /** {@code out[p] = a[p] @ b[p]}, shapes and layouts as {@link dev.quiver.spi.Backend#matmul} specifies. */
    public List<Launch> matmul(StridedView a, StridedView b, StridedView out) {
        long batch = out.shape()[0];
        long m = out.shape()[1];
        long n = out.shape()[2];
        long k = a.shape()[2];
        if (batch * m * n == 0) {
            return List.of();
        }
        KernelSource source = matmulSource(out.dtype());
        List<KernelArg> args = List.of(new KernelArg.I64(batch), new KernelArg.I64(m), new KernelArg.I64(n),
                new KernelArg.I64(k),
                new KernelArg.Buffer(a.buffer()), new KernelArg.I64(a.offset()), new KernelArg.I64(a.strides()[0]),
                new KernelArg.I64(a.strides()[1]), new KernelArg.I64(a.strides()[2]),
                new KernelArg.Buffer(b.buffer()), new KernelArg.I64(b.offset()), new KernelArg.I64(b.strides()[0]),
                new KernelArg.I64(b.strides()[1]), new KernelArg.I64(b.strides()[2]),
                new KernelArg.Buffer(out.buffer()), new KernelArg.I64(out.offset()));
        long[] groups = {(n + MATMUL_TILE - 1) / MATMUL_TILE, (m + MATMUL_TILE - 1) / MATMUL_TILE,
                Math.min(batch, MAX_GROUPS_YZ)};
        long[] groupSize = {MATMUL_TILE / MATMUL_OUTPUTS_PER_ITEM, MATMUL_TILE, 1};
        return List.of(new Launch(source, "matmul", groups, groupSize, args, describe("matmul", out, a, b), false));
    }

    KernelSource matmulSource(DType dtype) {
        String t = ElementwiseKernels.typeName(dtype);
        Map<String, String> defines = new HashMap<>(baseDefines);
        defines.put("T", t);
        defines.put("ACC", t);
        defines.put("TS", Integer.toString(MATMUL_TILE));
        defines.put("WPT", Integer.toString(MATMUL_OUTPUTS_PER_ITEM));
        String name = "matmul_" + ElementwiseKernels.shortName(dtype);
        return resourceSources.computeIfAbsent(name, key -> KernelSource.resource(key, "matmul.qk", defines));
    }

    // ---------------------------------------------------------------- gather and scatter_add

    /** {@code out[o, j, i] = params[o, indices[j], i]}, as {@link dev.quiver.spi.Backend#gather} specifies. */
    public List<Launch> gather(StridedView params, StridedView indices, StridedView out) {
        long total = out.size();
        if (total == 0) {
            return List.of();
        }
        List<KernelArg> args = indexArgs(total, out.shape()[1], params.shape()[1], out.shape()[2], params, indices,
                out);
        return List.of(grid1d(gatherSource(params.dtype(), indices.dtype()), "gather", total, args,
                describe("gather", out, params, indices), true));
    }

    /**
     * {@code out[o, indices[j], i] += updates[o, j, i]}, as {@link dev.quiver.spi.Backend#scatterAdd} specifies: one
     * work-item per {@code (o, i)} column, walking {@code j} in order (no atomics, the CPU's order of additions).
     */
    public List<Launch> scatterAdd(StridedView updates, StridedView indices, StridedView out) {
        long columns = (long) out.shape()[0] * out.shape()[2];
        if (columns == 0 || indices.shape()[0] == 0) {
            return List.of();
        }
        List<KernelArg> args = indexArgs(columns, indices.shape()[0], out.shape()[1], out.shape()[2], updates, indices,
                out);
        return List.of(grid1d(gatherSource(out.dtype(), indices.dtype()), "scatter_add", columns, args,
                describe("scatter_add", out, updates, indices), true));
    }

    /** The arguments gather and scatter_add share: sizes, the strided (outer, axis, inner) operand, indices, out. */
    private static List<KernelArg> indexArgs(long items, long n, long limit, long inner, StridedView strided,
                                             StridedView indices, StridedView out) {
        return List.of(new KernelArg.I64(items), new KernelArg.I64(n), new KernelArg.I64(limit),
                new KernelArg.I64(inner),
                new KernelArg.Buffer(strided.buffer()), new KernelArg.I64(strided.offset()),
                new KernelArg.I64(strided.strides()[0]), new KernelArg.I64(strided.strides()[1]),
                new KernelArg.I64(strided.strides()[2]),
                new KernelArg.Buffer(indices.buffer()), new KernelArg.I64(indices.offset()),
                new KernelArg.I64(indices.strides()[0]),
                new KernelArg.Buffer(out.buffer()), new KernelArg.I64(out.offset()), new KernelArg.StatusWord());
    }

    KernelSource gatherSource(DType dtype, DType indexType) {
        Map<String, String> defines = new HashMap<>(baseDefines);
        defines.put("T", ElementwiseKernels.typeName(dtype));
        defines.put("I", ElementwiseKernels.typeName(indexType));
        defines.put("STATUS_INDEX", Integer.toString(STATUS_INDEX_OUT_OF_RANGE));
        String name = "gather_" + ElementwiseKernels.shortName(dtype) + "_" + ElementwiseKernels.shortName(indexType);
        return resourceSources.computeIfAbsent(name, key -> KernelSource.resource(key, "gather.qk", defines));
    }

    // ---------------------------------------------------------------- random

    /** Philox numbers into contiguous floating {@code out}, as {@link dev.quiver.spi.Backend#random} specifies. */
    public List<Launch> random(RandomDistribution distribution, long seed, long counter, double first, double second,
                               StridedView out) {
        long n = out.size();
        if (n == 0) {
            return List.of();
        }
        KernelSource source = randomSource(distribution, out.dtype());
        KernelArg firstArg = limits.float64() ? new KernelArg.F64(first) : new KernelArg.F32((float) first);
        KernelArg secondArg = limits.float64() ? new KernelArg.F64(second) : new KernelArg.F32((float) second);
        List<KernelArg> args = List.of(new KernelArg.I64(n), new KernelArg.Buffer(out.buffer()),
                new KernelArg.I64(out.offset()), new KernelArg.I64(seed), new KernelArg.I64(counter), firstArg,
                secondArg);
        return List.of(grid1d(source, "random_fill", n, args,
                describe("random_" + distribution.name().toLowerCase(Locale.ROOT), out), false));
    }

    KernelSource randomSource(RandomDistribution distribution, DType dtype) {
        Map<String, String> defines = new HashMap<>(baseDefines);
        defines.put("T", ElementwiseKernels.typeName(dtype));
        defines.put("REAL", limits.float64() ? "q_f64" : "q_f32");
        defines.put("RANDOM_FILL", "1");
        String recipe = DrawnInputs.recipe(distribution, dtype);
        defines.put(recipe, "1");
        String name = "random_" + recipe.toLowerCase(Locale.ROOT) + "_" + ElementwiseKernels.shortName(dtype);
        return resourceSources.computeIfAbsent(name, key -> KernelSource.resource(key, "philox.qk", defines));
    }

    /** Every reduce, matmul, gather and random program for the floating and integer dtypes (for compile checks). */
    public List<KernelSource> allResourceSources() {
        List<KernelSource> sources = new ArrayList<>();
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT32, DType.INT64)) {
            if (type == DType.FLOAT64 && !limits.float64()) {
                continue;
            }
            for (Primitive op : List.of(Primitive.SUM, Primitive.MAX, Primitive.MIN)) {
                sources.add(reduceSource(op, type));
            }
            sources.add(matmulSource(type));
            for (DType index : List.of(DType.INT32, DType.INT64)) {
                sources.add(gatherSource(type, index));
            }
            if (type.isFloating()) {
                for (RandomDistribution distribution : RandomDistribution.values()) {
                    sources.add(randomSource(distribution, type));
                }
            }
        }
        return sources;
    }

    // ---------------------------------------------------------------- helpers

    private Launch grid1d(KernelSource source, String kernel, long items, List<KernelArg> args, Object description,
                          boolean status) {
        long groups = Math.min((items + elementwiseGroup - 1) / elementwiseGroup, maxElementwiseGroups);
        return new Launch(source, kernel, new long[] {groups}, new long[] {elementwiseGroup}, args, description,
                status);
    }

    private static OpDescription describe(String op, StridedView out, StridedView... inputs) {
        StridedView[] outThenInputs = new StridedView[inputs.length + 1];
        outThenInputs[0] = out;
        System.arraycopy(inputs, 0, outThenInputs, 1, inputs.length);
        return new OpDescription(op, outThenInputs, 1, "");
    }

    private static OpDescription describe(String op, StridedView[] outThenInputs) {
        return new OpDescription(op, outThenInputs, 1, "");
    }

    /**
     * What a launch runs, for error messages: {@code exp float32 (7, 3) <- float32 (7, 3)}; the first
     * {@code outputs} views are the outputs. Kept as parts and formatted only when a message needs it, because
     * every op makes one.
     */
    record OpDescription(Object op, StridedView[] outThenInputs, int outputs, String suffix) {
        OpDescription withSuffix(String text) {
            return new OpDescription(op, outThenInputs, outputs, text);
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder(String.valueOf(op));
            for (int i = 0; i < outThenInputs.length; i++) {
                StridedView view = outThenInputs[i];
                text.append(i == outputs ? " <- " : " ").append(view.dtype()).append(' ')
                        .append(shapeText(view.shape()));
            }
            return text.append(suffix).toString();
        }
    }

    private static String shapeText(int[] shape) {
        StringBuilder text = new StringBuilder("(");
        for (int d = 0; d < shape.length; d++) {
            text.append(d == 0 ? "" : ", ").append(shape[d]);
        }
        return text.append(shape.length == 1 ? ",)" : ")").toString();
    }
}
