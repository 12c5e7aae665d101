package dev.quiver.backend.cpu;

import dev.quiver.DType;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.Drawn;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.Arrays;
import java.util.List;

/**
 * The CPU backend's fused kernels ({@link CpuBackend#fused}, {@link CpuBackend#fusedReduce}): one loop over chunks of
 * the common shape that runs every step of a {@link FusedElementwise} on the chunk before moving on, so the
 * intermediate registers live in small per-thread scratch arrays (L1/L2) instead of full-size temporaries.
 *
 * <p>Each step of a chunk calls the same generated row kernel ({@code Float32Elementwise}, {@code ScalarElementwise},
 * ...) that the step's own {@code unary}/{@code binary}/{@code where}/{@code copy} call would, on the same element
 * values, and the SIMD rows give their scalar twins' bits (GeneratedElementwiseTest); so a fused kernel gives the
 * unfused calls' bits exactly, at every SIMD width and thread count.
 *
 * <ul>
 *   <li>Inputs are read in place when the chunk is one row of stride 1 or 0 in them (dense, broadcast, a host
 *       scalar); any other layout is gathered into the register's scratch row ({@code copyRow} per piece).</li>
 *   <li>A register whose operands are all uniform (host scalars, fully broadcast views) is computed once per chunk
 *       as one element and read with stride 0.</li>
 *   <li>An output register is written straight into its contiguous output view (no scratch, no copy) unless an input
 *       shares that output's buffer (an in-place update: later steps must still read the old values) or the dtypes
 *       differ; otherwise it is copied (converted) at the end of the chunk.</li>
 *   <li>Scratch rows are reused between registers whose lives do not overlap, so a chain of any length needs only a
 *       few rows; all of it is allocated once per thread and kept, so a warm call allocates nothing on the heap
 *       (FusedLoopTest counts it; the parallel path allocates the thread pool's task objects, a few hundred bytes).</li>
 * </ul>
 *
 * <p>A call with the very views of the kernel's last call (a compiled step's replay) is neither checked nor planned
 * again: it only looks its buffers' arrays up and moves its draws ({@link Plan#repeats}).
 *
 * <p>Chunks are {@link #CHUNK} elements: rows of the common shape's innermost dimension are split into near-equal
 * pieces of at most that, and shorter rows are grouped whole. Chains of {@link CpuBackend#PARALLEL_MIN_ELEMENTS}+
 * elements split their chunks across the worker threads (each chunk is independent, so the bits do not change).
 *
 * <pre>{@code
 * // out = (x * w + b - y)^2 over 1M float32, one pass over x and y
 * backend.fused(kernel, new StridedView[] {x, w, b, y}, new StridedView[] {out});
 * }</pre>
 */
final class FusedLoop {
    /**
     * Elements per chunk. 2048 float32 are 8 KiB per register: a 6-register chain (x*w+b-y)^2 keeps its inputs'
     * chunks and its scratch rows inside the 48 KiB L1 of Zen 5, and a piece is long enough that the per-step call
     * (a few ns) is small against its ~100 ns of work. Timed on that chain at 1M float32 with chunks of 256 to 65536
     * (2026-12-02, one thread, 512-bit): every size from 512 to 65536 measured 1.3-2.7 ms, within the noise of a
     * 2-core machine at load average 19, so the choice rests on the cache sizes. It also fixes a fused SUM's order
     * ({@link #reduce}), so it is a constant, not a setting.
     */
    static final int CHUNK = 2048;

    private static final int UNIFORM = 0;       // one value, read with stride 0: a host scalar or a broadcast view
    private static final int DENSE = 1;         // an input read in place at offset + start, stride 1
    private static final int GATHERED = 2;      // an input read in place when the chunk is one unit/zero-stride row
    private static final int STEP = 3;          // computed per chunk into a scratch row or an output
    private static final int UNIFORM_STEP = 4;  // computed per chunk as one element
    private static final int DRAWN = 5;         // random numbers generated per chunk into a scratch row (a Drawn input)
    private static final int DTYPES = DType.values().length;
    // float arithmetic a uniform step computes inline (compute): the row kernels' formula, one IEEE operation
    private static final int NONE = 0;
    private static final int ADD = 1;
    private static final int SUB = 2;
    private static final int MUL = 3;
    private static final int DIV = 4;
    private static final int NEG = 5;

    /** The scalar twins seen as row kernels: what runs when SIMD is off or a chunk is shorter than a vector. */
    private static final Simd.ElementwiseKernels SCALAR_ROWS = new ScalarRows();

    private final CpuBackend backend;
    private final int chunk;
    private final boolean repeats;
    private final ThreadLocal<Scratch> scratch;
    // calls checked and planned in full (not repeats), for the test of the fast path; plain: a count, not a guard
    private long prepared;

    FusedLoop(CpuBackend backend, int chunk) {
        this(backend, chunk, true);
    }

    /**
     * {@code repeats}: whether a call with the very views of the kernel's last call skips the checks and the planning
     * ({@link Plan#repeats}); false only for the test that compares that fast path with its slow twin.
     */
    FusedLoop(CpuBackend backend, int chunk, boolean repeats) {
        if (chunk < 64 || chunk % 64 != 0) {
            throw new IllegalArgumentException("cpu: fused chunk " + chunk + " must be a positive multiple of 64");
        }
        this.backend = backend;
        this.chunk = chunk;
        this.repeats = repeats;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(chunk));
    }

    /** How many calls were checked and planned in full rather than taken as repeats ({@link Plan#repeats}). */
    long prepared() {
        return prepared;
    }

    // ---------------------------------------------------------------- elementwise

    /** {@link CpuBackend#fused}: every output view receives its register. */
    void run(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputs) {
        Scratch own = scratch.get();
        Plan plan = own.planFor(kernel);
        int[] shape = outputs.length > 0 ? outputs[0].shape() : inputs.length > 0 ? inputs[0].shape() : new int[0];
        if (repeats && plan.repeats(kernel, inputs, outputs, null)) {
            plan.refresh(kernel, inputs, outputs);
        } else {
            kernel.checkOperands("cpu: fused", inputs, outputs.length);
            for (StridedView output : outputs) {
                if (!Arrays.equals(output.shape(), shape)) {
                    throw new IllegalArgumentException("cpu: fused " + kernel + ": output " + output
                            + " is not of shape " + Arrays.toString(shape));
                }
            }
            plan.prepare(kernel, inputs, outputs, 0, shape, true);
            plan.seen(inputs, outputs, null);
            prepared++;
        }
        try {
            if (plan.size == 0) {
                return;
            }
            plan.grid(plan.allLinear ? plan.size : innermost(shape), chunk);
            if (parallel(plan, plan.chunkCount)) {
                backend.workerThreads().forRange(plan.chunkCount, true, (from, to) -> runChunks(plan, scratch.get(), from, to));
            } else {
                runChunks(plan, own, 0, plan.chunkCount);
            }
        } catch (RuntimeException e) {
            throw CpuBackend.failure(e, kernel.toString(), concat(inputs, outputs));
        } finally {
            plan.clear();
        }
    }

    private void runChunks(Plan plan, Scratch own, int from, int to) {
        own.fit(plan);
        for (int c = from; c < to; c++) {
            long start = plan.chunkStart(c);
            int length = plan.chunkLength(c, start);
            compute(plan, own, start, length);
            writeOutputs(plan, own, start, length);
        }
    }

    /** The size of the innermost dimension longer than 1 (1 when there is none). */
    private static int innermost(int[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] > 1) {
                return shape[d];
            }
        }
        return 1;
    }

    private boolean parallel(Plan plan, int units) {
        return CpuBackend.PARALLEL_ELEMENTWISE && backend.workerThreads().count() > 1 && units > 1
                && plan.size >= (plan.draws ? CpuBackend.RANDOM_PARALLEL_MIN_ELEMENTS : CpuBackend.PARALLEL_MIN_ELEMENTS);
    }

    /** The row kernels for a row of {@code n}: the backend's SIMD rows, or the scalar twins below a vector. */
    private Simd.ElementwiseKernels rows(int n) {
        Simd.ElementwiseKernels kernels = backend.elementwiseKernels(n);
        return kernels != null ? kernels : SCALAR_ROWS;
    }

    /** Runs every step on elements {@code [start, start + length)}; afterwards each register's row is in {@code own}. */
    private void compute(Plan plan, Scratch own, long start, int length) {
        Simd.ElementwiseKernels kernels = rows(length);
        for (int r = 0; r < plan.inputCount; r++) {
            switch (plan.kind[r]) {
                case UNIFORM -> own.set(r, plan.array[r], (int) plan.offset[r], 0);
                case DENSE -> own.set(r, plan.array[r], (int) (plan.offset[r] + start), 1);
                case DRAWN -> generate(plan, own, r, start, length);
                default -> locate(plan, own, r, start, length, kernels);
            }
        }
        for (int s = 0; s < plan.stepCount; s++) {
            int r = plan.inputCount + s;
            DType type = plan.type[r];
            if (plan.arithmetic[s] != NONE && plan.kind[r] == UNIFORM_STEP) {
                uniformArithmetic(plan, own, s, r, type);
                continue;
            }
            Object out;
            int at;
            int n;
            Simd.ElementwiseKernels rows;
            if (plan.kind[r] == UNIFORM_STEP) {
                out = own.cells[type.ordinal()];   // register r's cell: element r of its dtype's cell row
                at = r;
                n = 1;
                rows = SCALAR_ROWS;
            } else if (plan.direct[r] >= 0) {
                int j = plan.direct[r];
                out = plan.array[plan.inputCount + j];
                at = (int) (plan.offset[plan.inputCount + j] + start);
                n = length;
                rows = kernels;
            } else {
                out = own.slots[type.ordinal()][plan.slot[r]];
                at = 0;
                n = length;
                rows = kernels;
            }
            int a = plan.firstOperand[s];
            switch (plan.stepKind[s]) {
                case UNARY -> rows.unaryRow(plan.stepOp[s], plan.operandType[s], own.array[a], own.offset[a], own.stride[a],
                        out, at, 1, n);
                case BINARY -> {
                    int b = plan.secondOperand[s];
                    rows.binaryRow(plan.stepOp[s], plan.operandType[s], own.array[a], own.offset[a], own.stride[a],
                            own.array[b], own.offset[b], own.stride[b], out, at, 1, n);
                }
                case WHERE -> {
                    int t = plan.secondOperand[s];
                    int f = plan.thirdOperand[s];
                    rows.whereRow(type, (boolean[]) own.array[a], own.offset[a], own.stride[a],
                            own.array[t], own.offset[t], own.stride[t], own.array[f], own.offset[f], own.stride[f],
                            out, at, 1, n);
                }
                default -> rows.copyRow(plan.operandType[s], own.array[a], own.offset[a], own.stride[a], type, out, at, 1, n);
            }
            own.set(r, out, at, plan.kind[r] == UNIFORM_STEP ? 0 : 1);
        }
    }

    /**
     * Uniform step {@code s} of float add, sub, mul, div or neg, computed inline into its cell: an optimizer's
     * step-number state is a chain of thirty such scalars, where the row kernel's dispatch (an interface, two switches,
     * a loop of one) cost several times the operation. Each is the one IEEE operation in the dtype that the generated
     * row kernel's formula is ({@code x0 + x1}, ..., {@code -x0}; Java float arithmetic is strict), so the same bits;
     * FusedLoopTest compares it with the unfused calls.
     */
    private static void uniformArithmetic(Plan plan, Scratch own, int s, int r, DType type) {
        int a = plan.firstOperand[s];
        int b = plan.secondOperand[s];
        int op = plan.arithmetic[s];
        Object cells = own.cells[type.ordinal()];
        if (type == DType.FLOAT64) {
            double x = ((double[]) own.array[a])[own.offset[a]];
            double y = b < 0 ? 0 : ((double[]) own.array[b])[own.offset[b]];
            ((double[]) cells)[r] = op == ADD ? x + y : op == SUB ? x - y : op == MUL ? x * y : op == DIV ? x / y : -x;
        } else {
            float x = ((float[]) own.array[a])[own.offset[a]];
            float y = b < 0 ? 0 : ((float[]) own.array[b])[own.offset[b]];
            ((float[]) cells)[r] = op == ADD ? x + y : op == SUB ? x - y : op == MUL ? x * y : op == DIV ? x / y : -x;
        }
        own.set(r, cells, r, 0);
    }

    /** What {@link #uniformArithmetic} computes for {@code step}, or NONE: float add, sub, mul, div, neg. */
    private static int arithmetic(FusedElementwise.Step step, DType operandType) {
        if (operandType != DType.FLOAT32 && operandType != DType.FLOAT64 || step.type() != operandType) {
            return NONE;
        }
        return switch (step.op()) {
            case ADD -> ADD;
            case SUB -> SUB;
            case MUL -> MUL;
            case DIV -> DIV;
            case NEG -> NEG;
            default -> NONE;
        };
    }

    /**
     * Generates register {@code r} (a {@link Drawn} input, contiguous) for elements {@code [start, start + length)}
     * into its scratch row: the values {@link CpuBackend#random} writes for the same stream elements, by the same
     * fill ({@link RandomFill}), so a fused draw has the bits of the draw it replaces. The stream's position is read
     * from the draw's counter (its array is the register's {@code array}) as the call runs: a compiled step advances
     * it between replays.
     */
    private void generate(Plan plan, Scratch own, int r, long start, int length) {
        Drawn draw = plan.drawn[r];
        Object row = own.slots[plan.type[r].ordinal()][plan.slot[r]];
        long counter = ((long[]) plan.array[r])[0];
        RandomFill.fill(backend.simdBits(), draw.distribution(), draw.seed(),
                counter + draw.position() + plan.offset[r] + start, draw.first(), draw.second(), draw.dtype(), row, 0,
                0, length);
        own.set(r, row, 0, 1);
    }

    /**
     * Points register {@code r} (a strided input) at the chunk: in place when the chunk lies inside one row of its
     * innermost (merged) dimension and that row's stride is 0 or 1, else gathered into its scratch row.
     */
    private void locate(Plan plan, Scratch own, int r, long start, int length, Simd.ElementwiseKernels kernels) {
        int dims = plan.dims[r];
        int base = r * plan.rank;
        int rowLength = plan.sizes[base];
        long position = start % rowLength;
        long stride = plan.strides[base];
        if (position + length <= rowLength && (stride == 0 || stride == 1)) {
            long rest = start / rowLength;
            long at = plan.offset[r] + position * stride;
            for (int d = 1; d < dims; d++) {
                at += rest % plan.sizes[base + d] * plan.strides[base + d];
                rest /= plan.sizes[base + d];
            }
            own.set(r, plan.array[r], (int) at, (int) stride);
            return;
        }
        Object row = own.slots[plan.type[r].ordinal()][plan.slot[r]];
        walk(plan, own, r, start, length, row, 0, 1, plan.type[r], true, kernels);
        own.set(r, row, 0, 1);
    }

    /**
     * Copies elements {@code [start, start + length)} of operand {@code k} (an input or an output, by its merged
     * dimensions) to ({@code gather}) or from a row {@code (other, at, step)} of {@code otherType}, piece by piece along
     * its innermost dimension; each piece is one {@code copyRow} (an array copy, a fill or a strided loop).
     */
    private static void walk(Plan plan, Scratch own, int k, long start, int length, Object other, int at, int step,
            DType otherType, boolean gather, Simd.ElementwiseKernels kernels) {
        int dims = plan.dims[k];
        int base = k * plan.rank;
        int[] counters = own.counters;
        long rest = start;
        long offset = plan.offset[k];
        for (int d = 0; d < dims; d++) {
            counters[d] = (int) (rest % plan.sizes[base + d]);
            rest /= plan.sizes[base + d];
            if (d > 0) {
                offset += counters[d] * plan.strides[base + d];
            }
        }
        int rowLength = dims == 0 ? 1 : plan.sizes[base];
        int stride = dims == 0 ? 0 : (int) plan.strides[base];
        int position = dims == 0 ? 0 : counters[0];
        int done = 0;
        while (done < length) {
            int piece = Math.min(rowLength - position, length - done);
            int from = (int) (offset + (long) position * stride);
            if (gather) {
                kernels.copyRow(plan.viewType[k], plan.array[k], from, stride, otherType, other, at + done * step, step, piece);
            } else {
                kernels.copyRow(otherType, other, at + done * step, step, plan.viewType[k], plan.array[k], from, stride, piece);
            }
            done += piece;
            position = 0;
            for (int d = 1; d < dims; d++) {   // the odometer over the outer dimensions
                offset += plan.strides[base + d];
                if (++counters[d] < plan.sizes[base + d]) {
                    break;
                }
                offset -= plan.strides[base + d] * plan.sizes[base + d];
                counters[d] = 0;
            }
        }
    }

    /** Copies (converting) every output register that was not written in place into its output view. */
    private void writeOutputs(Plan plan, Scratch own, long start, int length) {
        Simd.ElementwiseKernels kernels = null;
        for (int j = plan.reducedCount; j < plan.outputCount; j++) {
            int r = plan.outputs[j];
            if (plan.direct[r] == j) {
                continue;
            }
            int k = plan.inputCount + j;
            if (kernels == null) {
                kernels = rows(length);
            }
            if (plan.dense[k]) {
                kernels.copyRow(plan.type[r], own.array[r], own.offset[r], own.stride[r], plan.viewType[k], plan.array[k],
                        (int) (plan.offset[k] + start), 1, length);
            } else {
                walk(plan, own, k, start, length, own.array[r], own.offset[r], own.stride[r], plan.type[r], false, kernels);
            }
        }
    }

    // ---------------------------------------------------------------- reduction

    /**
     * {@link CpuBackend#fusedReduce}: one pass over the block computes the kernel once per chunk, folds each reduced
     * output register ({@code j < reductions.length}) into its own accumulators and writes the others into their
     * contiguous block views as {@link #run} does. Each reduction's order is that of the kernel reduced alone, so a
     * sibling has the bits of its own single-output call. SUM of floats: each row of the reduced axis
     * ({@code inner == 1}) is cut into near-equal pieces of at most {@link #CHUNK}; each piece is added into
     * {@value Reductions#LANE_SUMS} running sums in the dtype (element {@code i} of the piece into sum {@code i % 64}, in
     * order), the sums are added in double in lane order, the pieces' totals in double in piece order, and the row's
     * total is rounded once. Columns ({@code inner > 1}) are summed in double, row after row. Both orders depend only on
     * the shape, never on the thread count or SIMD width. MAX and MIN are exact (NaN wins); ints sum in long and wrap as
     * eager does.
     */
    void reduce(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions, StridedView[] outputs) {
        Scratch own = scratch.get();
        Plan plan = own.planFor(kernel);
        boolean repeated = repeats && plan.repeats(kernel, inputs, outputs, reductions);
        if (!repeated) {
            kernel.checkReduceOperands("cpu: fusedReduce", inputs, reductions, outputs);
        }
        int[] block = inputs[0].shape();
        int outer = block[0];
        int reduced = block[1];
        int inner = block[2];
        if ((long) outer * inner == 0) {
            return;
        }
        try {
            plan.reduction(kernel, reductions, outputs, outer, reduced, inner);
            if (reduced == 0) {   // what reduce gives: 0 for SUM, the identity for MAX and MIN; nothing is written
                for (int j = 0; j < reductions.length; j++) {
                    Object target = plan.targets[j];
                    ScalarKernels.reduce(reductions[j], kernel.registerType(plan.outputs[j]), target, 0, target,
                            plan.targetOffsets[j], outer, 0, inner);
                }
                return;
            }
            if (repeated) {
                plan.refresh(kernel, inputs, outputs);
            } else {
                plan.prepare(kernel, inputs, outputs, reductions.length, block, true);
                plan.seen(inputs, outputs, reductions);
                prepared++;
            }
            if (inner == 1) {
                plan.grid(reduced, chunk);
                if (parallel(plan, plan.chunkCount)) {
                    backend.workerThreads().forRange(plan.chunkCount, true, (from, to) -> reduceRows(plan, scratch.get(), from, to));
                } else {
                    reduceRows(plan, own, 0, plan.chunkCount);
                }
                if (plan.pieces > 1) {
                    combinePieces(plan);
                }
            } else {
                plan.columnGrid(chunk);
                int units = outer * plan.pieces;
                if (parallel(plan, units)) {
                    backend.workerThreads().forRange(units, true, (from, to) -> reduceColumns(plan, scratch.get(), from, to));
                } else {
                    reduceColumns(plan, own, 0, units);
                }
            }
        } catch (RuntimeException e) {
            throw CpuBackend.failure(e, kernel + " " + Arrays.toString(reductions), concat(inputs, outputs));
        } finally {
            plan.clear();
        }
    }

    /**
     * Row reductions ({@code inner == 1}): each chunk is a piece of one row (a partial per reduction) or whole rows
     * (finished). The reductions read the chunk before the written outputs are stored, since a written output may
     * share its buffer with an input that a reduction reads in place.
     */
    private void reduceRows(Plan plan, Scratch own, int from, int to) {
        own.fit(plan);
        int row = plan.reducedLength;
        for (int c = from; c < to; c++) {
            long start = plan.chunkStart(c);
            int length = plan.chunkLength(c, start);
            compute(plan, own, start, length);
            for (int j = 0; j < plan.reducedCount; j++) {
                boolean floating = plan.type[plan.outputs[j]].isFloating();
                Object values = values(plan, own, j, length);
                int at = own.valuesAt;
                if (plan.pieces > 1) {
                    int partial = j * plan.chunkCount + c;
                    if (floating) {
                        plan.partials[partial] = reduceFloating(plan, own, j, values, at, length);
                    } else {
                        plan.longPartials[partial] = reduceIntegral(plan, j, values, at, length);
                    }
                    continue;
                }
                int first = (int) (start / row);
                if (floating && plan.reductions[j] == Primitive.SUM && row <= Reductions.LANE_SUMS) {
                    sumShortRows(plan, own, j, values, at, row, length / row, first);
                    continue;
                }
                for (int i = 0; i < length / row; i++) {
                    if (floating) {
                        plan.writeFloating(j, first + i, reduceFloating(plan, own, j, values, at + i * row, row));
                    } else {
                        plan.writeIntegral(j, first + i, reduceIntegral(plan, j, values, at + i * row, row));
                    }
                }
            }
            writeOutputs(plan, own, start, length);
        }
    }

    /**
     * Row sums of {@code rows} consecutive rows of {@code row <= LANE_SUMS} elements, four rows at a time. With at most
     * one element per running sum, {@link #reduceFloating}'s order is the row's elements added one by one in double
     * (the unused sums are {@code +0}, which leave a total that started at {@code +0} unchanged), so each row here is
     * that chain and has its bits (FusedLoopTest); four independent chains hide the add latency that one row's 64
     * dependent adds cost (a K = 10,000 × 64 regression step reduces 30,000 such rows).
     */
    private static void sumShortRows(Plan plan, Scratch own, int j, Object values, int at, int row, int rows,
            int first) {
        double[] x;
        if (values instanceof float[] floats) {   // widened once (exactly), so one loop serves both dtypes
            if (own.widened.length < rows * row) {
                own.widened = new double[rows * row];
            }
            x = own.widened;
            for (int i = 0; i < rows * row; i++) {
                x[i] = floats[at + i];
            }
            at = 0;
        } else {
            x = (double[]) values;
        }
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int a = at + r * row;
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            for (int i = 0; i < row; i++) {
                s0 += x[a + i];
                s1 += x[a + row + i];
                s2 += x[a + 2 * row + i];
                s3 += x[a + 3 * row + i];
            }
            plan.writeFloating(j, first + r, s0);
            plan.writeFloating(j, first + r + 1, s1);
            plan.writeFloating(j, first + r + 2, s2);
            plan.writeFloating(j, first + r + 3, s3);
        }
        for (; r < rows; r++) {
            double sum = 0;
            for (int i = 0; i < row; i++) {
                sum += x[at + r * row + i];
            }
            plan.writeFloating(j, first + r, sum);
        }
    }

    /** The row partials combined in piece order (double for floats, long for ints), one rounding per row. */
    private static void combinePieces(Plan plan) {
        for (int j = 0; j < plan.reducedCount; j++) {
            Primitive op = plan.reductions[j];
            int base = j * plan.chunkCount;
            for (int o = 0; o < plan.outer; o++) {
                int first = base + o * plan.pieces;
                if (plan.type[plan.outputs[j]].isFloating()) {
                    double total = plan.partials[first];
                    for (int p = 1; p < plan.pieces; p++) {
                        total = combine(op, total, plan.partials[first + p]);
                    }
                    plan.writeFloating(j, o, total);
                } else {
                    long total = plan.longPartials[first];
                    for (int p = 1; p < plan.pieces; p++) {
                        total = combine(op, total, plan.longPartials[first + p]);
                    }
                    plan.writeIntegral(j, o, total);
                }
            }
        }
    }

    /**
     * Column reductions ({@code inner > 1}): a unit is one outer index and one piece of the inner axis; its rows are
     * computed a tile at a time and folded into per-column accumulators in row order, one stretch of
     * {@link #chunk} accumulators per reduction.
     */
    private void reduceColumns(Plan plan, Scratch own, int from, int to) {
        own.fit(plan);
        int inner = plan.innerLength;
        for (int u = from; u < to; u++) {
            int o = u / plan.pieces;
            int j0 = (u % plan.pieces) * plan.pieceLength;
            int width = Math.min(plan.pieceLength, inner - j0);
            int tile = width == inner ? plan.rowsPerChunk : 1;
            for (int j = 0; j < plan.reducedCount; j++) {
                Primitive op = plan.reductions[j];
                if (plan.type[plan.outputs[j]].isFloating()) {
                    Arrays.fill(own.accumulator, j * chunk, j * chunk + width, op == Primitive.SUM ? 0
                            : op == Primitive.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
                } else {
                    Arrays.fill(own.longAccumulator, j * chunk, j * chunk + width, op == Primitive.SUM ? 0
                            : op == Primitive.MAX ? Long.MIN_VALUE : Long.MAX_VALUE);
                }
            }
            for (int r = 0; r < plan.reducedLength; r += tile) {
                int rows = Math.min(tile, plan.reducedLength - r);
                long start = ((long) o * plan.reducedLength + r) * inner + j0;
                compute(plan, own, start, rows * width);
                for (int j = 0; j < plan.reducedCount; j++) {
                    DType type = plan.type[plan.outputs[j]];
                    Object values = values(plan, own, j, rows * width);
                    int at = own.valuesAt;
                    for (int i = 0; i < rows; i++) {
                        if (type.isFloating()) {
                            fold(plan.reductions[j], type, values, at + i * width, own.accumulator, j * chunk, width);
                        } else {
                            fold(plan.reductions[j], type, values, at + i * width, own.longAccumulator, j * chunk, width);
                        }
                    }
                }
                writeOutputs(plan, own, start, rows * width);
            }
            int at = o * inner + j0;
            for (int j = 0; j < plan.reducedCount; j++) {
                boolean floating = plan.type[plan.outputs[j]].isFloating();
                for (int i = 0; i < width; i++) {
                    if (floating) {
                        plan.writeFloating(j, at + i, own.accumulator[j * chunk + i]);
                    } else {
                        plan.writeIntegral(j, at + i, own.longAccumulator[j * chunk + i]);
                    }
                }
            }
        }
    }

    /** {@code accumulator[base + i] = op(accumulator[base + i], values[at + i])} in double, for a float row. */
    private static void fold(Primitive op, DType type, Object values, int at, double[] accumulator, int base,
            int width) {
        if (type == DType.FLOAT32) {
            float[] x = (float[]) values;
            if (op == Primitive.SUM) {
                for (int i = 0; i < width; i++) {
                    accumulator[base + i] += x[at + i];
                }
            } else {
                for (int i = 0; i < width; i++) {
                    accumulator[base + i] = combine(op, accumulator[base + i], x[at + i]);
                }
            }
        } else {
            double[] x = (double[]) values;
            if (op == Primitive.SUM) {
                for (int i = 0; i < width; i++) {
                    accumulator[base + i] += x[at + i];
                }
            } else {
                for (int i = 0; i < width; i++) {
                    accumulator[base + i] = combine(op, accumulator[base + i], x[at + i]);
                }
            }
        }
    }

    /** The same in long, for an int or bool row (bool: 0/1), as {@link ScalarKernels#reduce} accumulates them. */
    private static void fold(Primitive op, DType type, Object values, int at, long[] accumulator, int base,
            int width) {
        for (int i = 0; i < width; i++) {
            accumulator[base + i] = combine(op, accumulator[base + i], ScalarKernels.readLong(type, values, at + i));
        }
    }

    /**
     * The chunk's reduced output {@code j} as a dense row: its register's own row when that has stride 1 (a scratch
     * row, an output or an input read in place), else (uniform) spread into the dtype's values row. The row starts at
     * {@code own.valuesAt}.
     */
    private Object values(Plan plan, Scratch own, int j, int length) {
        int r = plan.outputs[j];
        if (own.stride[r] == 1) {
            own.valuesAt = own.offset[r];
            return own.array[r];
        }
        DType type = plan.type[r];
        Object row = own.slots[type.ordinal()][plan.valuesSlots[type.ordinal()]];
        rows(length).copyRow(type, own.array[r], own.offset[r], own.stride[r], type, row, 0, 1, length);
        own.valuesAt = 0;
        return row;
    }

    /** One row piece of floats: MAX/MIN exactly, SUM through the 64 running sums (see {@link #reduce}). */
    private double reduceFloating(Plan plan, Scratch own, int j, Object values, int at, int length) {
        DType type = plan.type[plan.outputs[j]];
        Primitive op = plan.reductions[j];
        Simd.ReductionKernels simd = backend.reductionKernels(length);
        if (op != Primitive.SUM) {
            Object cell = own.cells[type.ordinal()];   // the cell past the registers': the piece's extreme
            int extreme = plan.registers;
            if (simd != null) {
                simd.reduce(op, type, values, at, cell, extreme, 1, length, 1);
            } else {
                ScalarKernels.reduce(op, type, values, at, cell, extreme, 1, length, 1);
            }
            return ScalarKernels.readDouble(type, cell, extreme);
        }
        double total = 0;
        if (type == DType.FLOAT32) {
            float[] sums = own.floatLanes;
            Arrays.fill(sums, 0);
            if (simd != null) {
                simd.accumulateLanes(type, values, at, length, sums);
            } else {
                float[] x = (float[]) values;
                for (int i = 0; i < length; i++) {
                    sums[i % Reductions.LANE_SUMS] += x[at + i];
                }
            }
            for (float sum : sums) {
                total += sum;
            }
        } else {
            double[] sums = own.doubleLanes;
            Arrays.fill(sums, 0);
            if (simd != null) {
                simd.accumulateLanes(type, values, at, length, sums);
            } else {
                double[] x = (double[]) values;
                for (int i = 0; i < length; i++) {
                    sums[i % Reductions.LANE_SUMS] += x[at + i];
                }
            }
            for (double sum : sums) {
                total += sum;
            }
        }
        return total;
    }

    /** One row piece of ints or bools in long (bool: 0/1), as {@link ScalarKernels#reduce} accumulates them. */
    private static long reduceIntegral(Plan plan, int j, Object values, int at, int length) {
        DType type = plan.type[plan.outputs[j]];
        Primitive op = plan.reductions[j];
        long total = ScalarKernels.readLong(type, values, at);
        for (int i = 1; i < length; i++) {
            total = combine(op, total, ScalarKernels.readLong(type, values, at + i));
        }
        return total;
    }

    private static double combine(Primitive op, double a, double b) {
        return op == Primitive.SUM ? a + b : op == Primitive.MAX ? Math.max(a, b) : Math.min(a, b);
    }

    private static long combine(Primitive op, long a, long b) {
        return op == Primitive.SUM ? a + b : op == Primitive.MAX ? Math.max(a, b) : Math.min(a, b);
    }

    // ---------------------------------------------------------------- checks

    private static StridedView[] concat(StridedView[] a, StridedView[] b) {
        StridedView[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    // ---------------------------------------------------------------- per-call plan and per-thread scratch

    /**
     * What one call needs to know, worked out once by the calling thread and only read by the workers: each
     * register's kind, dtype and scratch row, each operand's merged dimensions, and the chunk grid. One per kernel
     * per thread, reused from call to call: the kernel's steps are read once, and the register kinds, in-place outputs
     * and scratch rows are planned again only when the layout differs from the last call's, so a replay neither
     * allocates nor plans.
     */
    private static final class Plan {
        FusedElementwise kernel;
        int inputCount;
        int outputCount;
        int registers;
        int rank;
        int[] outputs = new int[0];
        FusedElementwise outputsOf;
        // per register
        int[] kind = new int[0];
        DType[] type = new DType[0];
        int[] slot = new int[0];
        int[] direct = new int[0];
        boolean[] freed = new boolean[0];
        // per step, worked out once per kernel (a plan is kept per kernel: Scratch.planFor): its primitive, kind,
        // operand registers, the dtype its row kernel computes in; and per register its last reader
        FusedElementwise analyzed;
        int stepCount;
        Primitive[] stepOp = new Primitive[0];
        Primitive.Kind[] stepKind = new Primitive.Kind[0];
        int[] firstOperand = new int[0];
        int[] secondOperand = new int[0];
        int[] thirdOperand = new int[0];
        DType[] operandType = new DType[0];
        int[] readUntil = new int[0];
        // per step: the float arithmetic a uniform step computes inline (see arithmetic), NONE for the row kernel
        int[] arithmetic = new int[0];
        // the layout the register kinds, in-place outputs and scratch rows were planned for (see prepare)
        boolean planned;
        int[] plannedKinds = new int[0];
        boolean[] plannedEligible = new boolean[0];
        boolean plannedShares;
        int plannedReducedCount;
        boolean plannedDirect;
        int plannedOutputCount;
        // per operand (inputs, then outputs; input i is register i): array, dtype, offset, merged dimensions
        // innermost first, and whether it is one dense row
        Object[] array = new Object[0];
        DType[] viewType = new DType[0];
        boolean[] dense = new boolean[0];
        long[] offset = new long[0];
        int[] dims = new int[0];
        int[] sizes = new int[0];
        long[] strides = new long[0];
        Object[] hostCells = new Object[0];
        // the draw behind each DRAWN input (its array is the draw's counter)
        Drawn[] drawn = new Drawn[0];
        // whether an input is DRAWN: generating random numbers is compute-bound, so such a call is split across the
        // worker threads from a much smaller size than a memory-bound one (as CpuBackend.random is)
        boolean draws;
        final int[] slotCount = new int[DTYPES];
        final int[] valuesSlots = new int[DTYPES];   // per dtype: the row a uniform reduced register is spread into
        boolean allLinear;
        // the chunk grid
        long size;
        int rowLength;
        int pieceLength;
        int pieces;
        int rowsPerChunk;
        int chunkCount;
        // reductions: kernel outputs j < reducedCount are reduced with reductions[j] into targets[j]
        int reducedCount;
        Primitive[] reductions;
        Object[] targets = new Object[0];
        int[] targetOffsets = new int[0];
        int outer;
        int reducedLength;
        int innerLength;
        double[] partials = new double[0];
        long[] longPartials = new long[0];


        // the views of the last call that was checked and planned (see repeats); reductions null for a fused call
        StridedView[] seenInputs = new StridedView[0];
        StridedView[] seenOutputs = new StridedView[0];
        Primitive[] seenReductions;
        boolean seenValid;

        /**
         * Whether this call repeats the last checked and planned one: the same views (the same objects, which the SPI
         * never changes) for every operand and the same reductions, so its checks passed and its plan holds. A
         * compiled step's replay passes its calls' views again every step (its draws read their stream position
         * from a counter on the device, so they too are the same views).
         */
        boolean repeats(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputViews,
                Primitive[] reductionOps) {
            if (!seenValid || analyzed != kernel || inputs.length != seenInputs.length
                    || outputViews.length != seenOutputs.length
                    || (reductionOps == null) != (seenReductions == null)
                    || reductionOps != null && !Arrays.equals(reductionOps, seenReductions)) {
                return false;
            }
            for (int j = 0; j < outputViews.length; j++) {
                if (outputViews[j] != seenOutputs[j]) {
                    return false;
                }
            }
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i] != seenInputs[i]) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Remembers the views of a call just checked and planned. The plan thus keeps the last call's views (and their
         * buffers) reachable while the thread keeps the plan: a compiled program's own buffers, which it keeps anyway.
         */
        void seen(StridedView[] inputs, StridedView[] outputViews, Primitive[] reductionOps) {
            seenInputs = inputs.length == seenInputs.length ? seenInputs : new StridedView[inputs.length];
            seenOutputs = outputViews.length == seenOutputs.length ? seenOutputs : new StridedView[outputViews.length];
            System.arraycopy(inputs, 0, seenInputs, 0, inputs.length);
            System.arraycopy(outputViews, 0, seenOutputs, 0, outputViews.length);
            seenReductions = reductionOps == null ? null : reductionOps.clone();
            seenValid = true;
        }

        /**
         * What a repeated call changes in the plan ({@link #repeats}): the buffers' arrays (looked up again, so a
         * released buffer still fails loudly); everything else is planned already.
         */
        void refresh(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputViews) {
            this.kernel = kernel;
            for (int i = 0; i < inputCount; i++) {
                StridedView view = inputs[i];
                if (view.buffer() instanceof HostScalar) {
                    array[i] = hostCells[i];
                } else if (view.buffer() instanceof Drawn draw) {
                    array[i] = counterArray(draw, i);
                } else {
                    array[i] = bufferArray(view, "input ", i);
                }
            }
            for (int j = reducedCount; j < outputCount; j++) {
                array[inputCount + j] = bufferArray(outputViews[j], "output ", j);
            }
        }

        /** The kernel's output registers; {@code outputs()} copies its array, so once per kernel, not per replay. */
        int[] outputsOf(FusedElementwise kernel) {
            if (kernel != outputsOf) {
                outputs = kernel.outputs();
                outputsOf = kernel;
            }
            return outputs;
        }

        /**
         * Plans a call over {@code shape}: output views {@code j >= reducedCount} are written, the first
         * {@code reducedCount} are reduced (not operands of the loop; see {@link #reduction}).
         */
        void prepare(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputViews, int reducedCount,
                int[] shape, boolean directOutputs) {
            seenValid = false;   // until seen(...): a prepare that fails half way must not be taken for planned
            this.kernel = kernel;
            draws = false;
            this.reducedCount = reducedCount;
            inputCount = inputs.length;
            outputCount = outputViews.length;
            registers = kernel.registerCount();
            rank = shape.length;
            size = 1;
            for (int d : shape) {
                size *= d;
            }
            outputsOf(kernel);
            int operands = inputCount + outputCount;
            int cells = Math.max(registers, operands);
            if (kind.length < cells) {
                kind = new int[cells];
                type = new DType[cells];
                slot = new int[cells];
                direct = new int[cells];
                analyzed = null;   // the per-kernel facts live in these arrays too
                freed = new boolean[cells];
                array = new Object[cells];
                viewType = new DType[cells];
                dense = new boolean[cells];
                offset = new long[cells];
                dims = new int[cells];
                hostCells = new Object[cells];
                drawn = new Drawn[cells];
            }
            analyze(kernel);
            if (sizes.length < operands * rank) {
                sizes = new int[operands * rank];
                strides = new long[operands * rank];
            }
            allLinear = true;
            for (int i = 0; i < inputCount; i++) {
                StridedView view = inputs[i];
                type[i] = view.dtype();
                viewType[i] = view.dtype();
                if (view.buffer() instanceof HostScalar scalar) {
                    kind[i] = UNIFORM;
                    array[i] = hostCell(i, scalar);
                    offset[i] = 0;
                    continue;
                }
                if (view.buffer() instanceof Drawn draw) {
                    if (!view.isContiguous()) {
                        throw new IllegalArgumentException("cpu: fused " + kernel + ": input " + i + " draws random "
                                + "numbers through a non-contiguous view (" + view + "); a drawn input must be "
                                + "contiguous");
                    }
                    kind[i] = DRAWN;
                    draws = true;
                    drawn[i] = draw;
                    array[i] = counterArray(draw, i);
                    offset[i] = view.offset();
                    continue;
                }
                array[i] = bufferArray(view, "input ", i);
                offset[i] = view.offset();
                merge(i, view, shape);
                boolean uniform = dims[i] == 0 || dims[i] == 1 && strides[i * rank] == 0;
                kind[i] = uniform ? UNIFORM : dims[i] == 1 && strides[i * rank] == 1 ? DENSE : GATHERED;
                allLinear &= kind[i] != GATHERED;
            }
            // outputs as operands inputCount + j: only their arrays, offsets and dims (their register kinds stay)
            for (int j = 0; j < outputCount; j++) {
                StridedView view = outputViews[j];
                int k = inputCount + j;
                if (j < reducedCount) {
                    array[k] = null;
                    dims[k] = 0;
                    dense[k] = false;
                    continue;
                }
                array[k] = bufferArray(view, "output ", j);
                viewType[k] = view.dtype();
                offset[k] = view.offset();
                merge(k, view, shape);
                dense[k] = dims[k] == 0 || dims[k] == 1 && strides[k * rank] == 1;
            }
            boolean shares = directOutputs && sharesBuffer(inputs, outputViews, reducedCount);
            if (!samePlan(shares, directOutputs)) {
                planKinds();
                planOutputs(shares, directOutputs);
                planSlots();
                remember(shares, directOutputs);
            }
        }

        /** The kernel's steps as flat arrays, its register dtypes and last readers: once per kernel. */
        private void analyze(FusedElementwise kernel) {
            if (analyzed == kernel) {
                return;
            }
            analyzed = null;
            planned = false;
            List<FusedElementwise.Step> steps = kernel.steps();
            stepCount = steps.size();
            if (stepOp.length < stepCount) {
                stepOp = new Primitive[stepCount];
                stepKind = new Primitive.Kind[stepCount];
                firstOperand = new int[stepCount];
                secondOperand = new int[stepCount];
                thirdOperand = new int[stepCount];
                operandType = new DType[stepCount];
                arithmetic = new int[stepCount];
            }
            if (readUntil.length < registers) {
                readUntil = new int[registers];
            }
            Arrays.fill(readUntil, 0, registers, -1);
            for (int s = 0; s < stepCount; s++) {
                FusedElementwise.Step step = steps.get(s);
                stepOp[s] = step.op();
                stepKind[s] = step.op().kind();
                firstOperand[s] = step.operand(0);
                secondOperand[s] = step.arity() > 1 ? step.operand(1) : -1;
                thirdOperand[s] = step.arity() > 2 ? step.operand(2) : -1;
                operandType[s] = kernel.operandType(s);
                arithmetic[s] = arithmetic(step, operandType[s]);
                type[inputCount + s] = step.type();
                for (int i = 0; i < step.arity(); i++) {
                    readUntil[step.operand(i)] = s;
                }
            }
            for (int output : outputs) {
                readUntil[output] = Integer.MAX_VALUE;   // read at the end of the chunk (or by the reduction)
            }
            analyzed = kernel;
        }

        /**
         * Whether the register kinds, in-place outputs and scratch rows planned for the last call still hold: they
         * depend only on the inputs' kinds, which outputs could be written in place, and whether buffers are shared
         * (a replay repeats its layouts, so it plans once).
         */
        private boolean samePlan(boolean shares, boolean directOutputs) {
            if (!planned || plannedShares != shares || plannedDirect != directOutputs
                    || plannedReducedCount != reducedCount || plannedOutputCount != outputCount) {
                return false;
            }
            for (int i = 0; i < inputCount; i++) {
                if (plannedKinds[i] != kind[i]) {
                    return false;
                }
            }
            for (int j = reducedCount; j < outputCount; j++) {
                if (plannedEligible[j] != eligible(j)) {
                    return false;
                }
            }
            return true;
        }

        private void remember(boolean shares, boolean directOutputs) {
            if (plannedKinds.length < inputCount) {
                plannedKinds = new int[inputCount];
            }
            if (plannedEligible.length < outputCount) {
                plannedEligible = new boolean[outputCount];
            }
            System.arraycopy(kind, 0, plannedKinds, 0, inputCount);
            for (int j = reducedCount; j < outputCount; j++) {
                plannedEligible[j] = eligible(j);
            }
            plannedShares = shares;
            plannedDirect = directOutputs;
            plannedReducedCount = reducedCount;
            plannedOutputCount = outputCount;
            planned = true;
        }

        /** Whether written output {@code j} could receive its register in place: one dense row of its dtype. */
        private boolean eligible(int j) {
            int k = inputCount + j;
            return dense[k] && viewType[k] == type[outputs[j]];
        }

        /** A step whose operands are all uniform is computed once per chunk, as one element. */
        private void planKinds() {
            for (int s = 0; s < stepCount; s++) {
                boolean uniform = isUniform(kind[firstOperand[s]]) && (secondOperand[s] < 0
                        || isUniform(kind[secondOperand[s]])) && (thirdOperand[s] < 0 || isUniform(kind[thirdOperand[s]]));
                kind[inputCount + s] = uniform ? UNIFORM_STEP : STEP;
            }
        }

        private static boolean isUniform(int kind) {
            return kind == UNIFORM || kind == UNIFORM_STEP;
        }

        /** The view's Java array; the message is built only on failure (a replay must not allocate). */
        private Object bufferArray(StridedView view, String which, int index) {
            if (view.buffer() instanceof CpuBuffer buffer) {
                return buffer.array();
            }
            throw new IllegalArgumentException("cpu: fused " + kernel + ": " + which + index + " is not a buffer of the cpu "
                    + "backend (" + view + (view.buffer() instanceof HostScalar ? ", a host scalar" : "") + ")");
        }

        /** The array of drawn input {@code i}'s stream counter, a cpu int64 buffer. */
        private Object counterArray(Drawn draw, int i) {
            if (draw.counter() instanceof CpuBuffer buffer) {
                return buffer.array();
            }
            throw new IllegalArgumentException("cpu: fused " + kernel + ": input " + i + " draws from a stream counter "
                    + "that is not a buffer of the cpu backend (" + draw.counter().getClass().getSimpleName() + ")");
        }

        /** A one-element array of the host scalar's dtype holding its value, kept per input for reuse. */
        private Object hostCell(int i, HostScalar scalar) {
            Object cell = Scratch.cell(hostCells, i, scalar.dtype());
            ScalarKernels.fillRow(scalar.dtype(), cell, 0, 1, 1, scalar.value());
            return cell;
        }

        /**
         * Operand {@code k}'s dimensions over {@code shape}, innermost first: sizes of 1 dropped, and a dimension
         * merged into the inner one when it steps exactly over it (as {@link StridedWalk} does), so a dense view is
         * one dimension of stride 1 and a broadcast scalar one of stride 0.
         */
        private void merge(int k, StridedView view, int[] shape) {
            int base = k * rank;
            int merged = 0;
            for (int d = shape.length - 1; d >= 0; d--) {
                if (shape[d] == 1) {
                    continue;
                }
                long stride = view.strides()[d];
                if (merged > 0 && stride == strides[base + merged - 1] * sizes[base + merged - 1]) {
                    sizes[base + merged - 1] *= shape[d];
                    continue;
                }
                sizes[base + merged] = shape[d];
                strides[base + merged] = stride;
                merged++;
            }
            dims[k] = merged;
            if (merged > 0 && (strides[base] > Integer.MAX_VALUE || strides[base] < Integer.MIN_VALUE)) {
                throw new IllegalArgumentException("cpu: fused: stride " + strides[base] + " of " + view
                        + " does not fit a Java array index");
            }
        }

        /** Which output registers are written in place, and for how long every register must be kept. */
        private void planOutputs(boolean shares, boolean directOutputs) {
            Arrays.fill(direct, 0, registers, -1);
            if (!directOutputs || shares) {
                return;
            }
            for (int j = reducedCount; j < outputCount; j++) {
                int r = outputs[j];
                if (kind[r] == STEP && direct[r] < 0 && eligible(j)) {
                    direct[r] = j;
                }
            }
        }

        /**
         * Whether a written output shares its buffer with an input or another written output (then nothing is written
         * early); reduced outputs are only written once their rows are done.
         */
        private static boolean sharesBuffer(StridedView[] inputs, StridedView[] outputViews, int reducedCount) {
            for (int j = reducedCount; j < outputViews.length; j++) {
                for (StridedView input : inputs) {
                    if (input.buffer() == outputViews[j].buffer()) {
                        return true;
                    }
                }
                for (int i = reducedCount; i < j; i++) {
                    if (outputViews[i].buffer() == outputViews[j].buffer()) {
                        return true;
                    }
                }
            }
            return false;
        }

        /**
         * Scratch rows per dtype, reused once a register's last reader has run: a result never shares a row with its
         * own operands (a row kernel must not overwrite what it still reads), and outputs are kept to the end.
         */
        private void planSlots() {
            Arrays.fill(slotCount, 0);
            Arrays.fill(freed, 0, registers, false);
            // free rows per dtype as a bit set (a kernel has few live rows; 64 per dtype is far beyond any chain)
            long[] free = freeRows;
            Arrays.fill(free, 0);
            for (int i = 0; i < inputCount; i++) {
                slot[i] = kind[i] == GATHERED || kind[i] == DRAWN ? take(type[i], free) : -1;
            }
            for (int s = 0; s < stepCount; s++) {
                int r = inputCount + s;
                slot[r] = kind[r] == STEP && direct[r] < 0 ? take(type[r], free) : -1;
                release(firstOperand[s], s, free);
                if (secondOperand[s] >= 0) {
                    release(secondOperand[s], s, free);
                }
                if (thirdOperand[s] >= 0) {
                    release(thirdOperand[s], s, free);
                }
                release(r, s, free);   // a result nobody reads is dropped after its step
            }
            Arrays.fill(valuesSlots, -1);
            for (int j = 0; j < reducedCount; j++) {
                int d = type[outputs[j]].ordinal();
                if (valuesSlots[d] < 0) {
                    valuesSlots[d] = take(type[outputs[j]], free);
                }
            }
        }

        private final long[] freeRows = new long[DTYPES];

        private int take(DType dtype, long[] free) {
            int d = dtype.ordinal();
            if (free[d] != 0) {
                int row = Long.numberOfTrailingZeros(free[d]);
                free[d] &= ~(1L << row);
                return row;
            }
            if (slotCount[d] == 64) {
                throw new IllegalStateException("cpu: fused " + kernel + " keeps more than 64 " + dtype
                        + " rows alive at once");
            }
            return slotCount[d]++;
        }

        private void release(int r, int step, long[] free) {
            if (slot[r] >= 0 && !freed[r] && readUntil[r] <= step) {
                free[type[r].ordinal()] |= 1L << slot[r];
                freed[r] = true;   // the register keeps its row index: its row is only reused by later steps
            }
        }

        /** The chunk grid over rows of {@code rowLength} elements: pieces of long rows, groups of short ones. */
        void grid(long rowLength, int chunk) {
            this.rowLength = (int) rowLength;
            long rows = size / rowLength;
            if (rowLength >= chunk) {
                int count = (int) ((rowLength + chunk - 1) / chunk);
                long even = (rowLength + count - 1) / count;
                pieceLength = (int) Math.min(chunk, (even + 15) / 16 * 16);   // vector- and cache-line-aligned pieces
                pieces = (int) ((rowLength + pieceLength - 1) / pieceLength);
                rowsPerChunk = 1;
                chunkCount = Math.toIntExact(rows * pieces);
            } else {
                pieceLength = (int) rowLength;
                pieces = 1;
                rowsPerChunk = (int) (chunk / rowLength);
                chunkCount = Math.toIntExact((rows + rowsPerChunk - 1) / rowsPerChunk);
            }
            if (reducedCount > 0 && pieces > 1 && partials.length < (long) chunkCount * reducedCount) {
                partials = new double[Math.multiplyExact(chunkCount, reducedCount)];
                longPartials = new long[partials.length];
            }
        }

        /** The column grid of a reduction: pieces of the inner axis, and rows per tile when a row is short. */
        void columnGrid(int chunk) {
            long saved = size;
            size = innerLength;
            grid(innerLength, chunk);
            size = saved;
        }

        long chunkStart(int c) {
            return (long) (c / pieces) * rowsPerChunk * rowLength + (long) (c % pieces) * pieceLength;
        }

        int chunkLength(int c, long start) {
            return rowsPerChunk > 1 ? (int) Math.min((long) rowsPerChunk * rowLength, size - start)
                    : Math.min(pieceLength, rowLength - (c % pieces) * pieceLength);
        }

        /** The reductions of a call: their ops, the shape of the block, and each reduced output's array. */
        void reduction(FusedElementwise kernel, Primitive[] reductions, StridedView[] outputViews, int outer,
                int reduced, int inner) {
            this.kernel = kernel;
            outputsOf(kernel);
            this.reductions = reductions;
            if (targets.length < reductions.length) {
                targets = new Object[reductions.length];
                targetOffsets = new int[reductions.length];
            }
            for (int j = 0; j < reductions.length; j++) {
                targets[j] = bufferArray(outputViews[j], "output ", j);
                targetOffsets[j] = (int) outputViews[j].offset();
            }
            this.outer = outer;
            this.reducedLength = reduced;
            this.innerLength = inner;
        }

        void writeFloating(int j, int index, double value) {
            if (targets[j] instanceof float[] values) {
                values[targetOffsets[j] + index] = (float) value;
            } else {
                ((double[]) targets[j])[targetOffsets[j] + index] = value;
            }
        }

        /** As {@link ScalarKernels#reduce} narrows: int32 wraps, bool MIN is "all", SUM and MAX "any". */
        void writeIntegral(int j, int index, long value) {
            if (targets[j] instanceof int[] values) {
                values[targetOffsets[j] + index] = (int) value;
            } else if (targets[j] instanceof long[] values) {
                values[targetOffsets[j] + index] = value;
            } else {
                ((boolean[]) targets[j])[targetOffsets[j] + index] = reductions[j] == Primitive.MIN ? value != 0 : value > 0;
            }
        }

        /**
         * Drops the references to the call's arrays, so a kept plan does not keep buffers alive beyond the last call's
         * views, which it keeps while they are seen ({@link #seen}) and which hold those arrays anyway.
         */
        void clear() {
            if (!seenValid) {
                Arrays.fill(array, null);
            }
            Arrays.fill(targets, null);
            kernel = null;
            reductions = null;
        }
    }

    /** One thread's scratch: rows of {@link #chunk} elements per dtype, one-element cells, the chunk's registers. */
    private final class Scratch {
        /**
         * A plan per kernel, so a replayed step finds each kernel's analysis and its layout plan from the last replay;
         * forgotten all at once beyond {@value #KEPT_PLANS} kernels (a step has a handful; the bound only keeps a
         * thread that meets endless kernels from growing).
         */
        private static final int KEPT_PLANS = 64;
        private final java.util.IdentityHashMap<FusedElementwise, Plan> plans = new java.util.IdentityHashMap<>();

        Plan planFor(FusedElementwise kernel) {
            Plan plan = plans.get(kernel);
            if (plan == null) {
                if (plans.size() >= KEPT_PLANS) {
                    plans.clear();
                }
                plan = new Plan();
                plans.put(kernel, plan);
            }
            return plan;
        }
        final Object[][] slots = new Object[DTYPES][0];
        // per dtype one row of one-element cells, element r register r's (a uniform step's value): indexed, so a step
        // finds its cell without testing what array it is
        final Object[] cells = new Object[DTYPES];
        private int cellCount;
        // where each register's row of the current chunk is: array, offset, stride
        Object[] array = new Object[0];
        int[] offset = new int[0];
        int[] stride = new int[0];
        int[] counters = new int[0];
        final float[] floatLanes = new float[Reductions.LANE_SUMS];
        final double[] doubleLanes = new double[Reductions.LANE_SUMS];
        double[] widened = new double[0];   // a chunk's float32 values as double (sumShortRows)
        double[] accumulator;
        long[] longAccumulator;
        int valuesAt;   // where the row that values(...) returned starts
        private final int rowLength;

        Scratch(int rowLength) {
            this.rowLength = rowLength;
            growCells(16);
            accumulator = new double[rowLength];
            longAccumulator = new long[rowLength];
        }

        /** Grows the scratch to what {@code plan} needs (nothing to do once it has seen the kernel). */
        void fit(Plan plan) {
            for (DType dtype : DTYPE_VALUES) {
                int d = dtype.ordinal();
                if (slots[d].length < plan.slotCount[d]) {
                    Object[] grown = Arrays.copyOf(slots[d], plan.slotCount[d]);
                    for (int i = slots[d].length; i < grown.length; i++) {
                        grown[i] = CpuBuffer.newArray(dtype, rowLength);
                    }
                    slots[d] = grown;
                }
            }
            if (array.length < plan.registers + 1) {
                array = new Object[plan.registers + 1];
                offset = new int[plan.registers + 1];
                stride = new int[plan.registers + 1];
            }
            if (cellCount < plan.registers + 1) {
                growCells(plan.registers + 1);
            }
            if (counters.length < plan.rank) {
                counters = new int[plan.rank];
            }
            if (accumulator.length < plan.reducedCount * rowLength) {   // one stretch of a chunk per reduction
                accumulator = new double[plan.reducedCount * rowLength];
                longAccumulator = new long[plan.reducedCount * rowLength];
            }
        }

        void set(int r, Object values, int at, int step) {
            array[r] = values;
            offset[r] = at;
            stride[r] = step;
        }

        private void growCells(int count) {
            for (DType dtype : DTYPE_VALUES) {
                cells[dtype.ordinal()] = CpuBuffer.newArray(dtype, count);
            }
            cellCount = count;
        }

        /** A kept one-element array of {@code dtype} at {@code cells[r]} (made again only if the dtype changed). */
        static Object cell(Object[] cells, int r, DType dtype) {
            Object cell = cells[r];
            if (cell == null || !holds(cell, dtype)) {
                cells[r] = cell = CpuBuffer.newArray(dtype, 1);
            }
            return cell;
        }
    }

    private static final DType[] DTYPE_VALUES = DType.values();

    private static boolean holds(Object array, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> array instanceof float[];
            case FLOAT64 -> array instanceof double[];
            case INT32 -> array instanceof int[];
            case INT64 -> array instanceof long[];
            case BOOL -> array instanceof boolean[];
        };
    }

    /** The scalar twins behind the {@link Simd.ElementwiseKernels} interface. */
    private static final class ScalarRows implements Simd.ElementwiseKernels {
        @Override
        public void unaryRow(Primitive op, DType type, Object in, int io, int is, Object out, int oo, int os, int n) {
            ScalarElementwise.unaryRow(op, type, in, io, is, out, oo, os, n);
        }

        @Override
        public void binaryRow(Primitive op, DType type, Object a, int ao, int as, Object b, int bo, int bs, Object out,
                int oo, int os, int n) {
            ScalarElementwise.binaryRow(op, type, a, ao, as, b, bo, bs, out, oo, os, n);
        }

        @Override
        public void whereRow(DType type, boolean[] c, int co, int cs, Object t, int to, int ts, Object f, int fo,
                int fss, Object out, int oo, int os, int n) {
            ScalarElementwise.whereRow(type, c, co, cs, t, to, ts, f, fo, fss, out, oo, os, n);
        }

        @Override
        public void copyRow(DType inType, Object in, int io, int is, DType outType, Object out, int oo, int os, int n) {
            ScalarKernels.copyRow(inType, in, io, is, outType, out, oo, os, n);
        }

        @Override
        public void fillRow(DType type, Object out, int oo, int os, int n, double value) {
            ScalarKernels.fillRow(type, out, oo, os, n, value);
        }
    }
}
