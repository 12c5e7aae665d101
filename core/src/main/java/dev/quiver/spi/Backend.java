package dev.quiver.spi;

import dev.quiver.DType;

/**
 * What a device must do for Quiver: allocate buffers, move data in and out, and run the {@link Primitive}s.
 * Core validates every call first (dtypes agree, shapes match, axes in range), so a backend checks only what
 * it alone can know (out of device memory, a kernel that failed) and reports it with the op's name.
 *
 * <p>Contract shared by every method:
 * <ul>
 *   <li>Work may be asynchronous; calls are ordered as issued (one in-order queue). Only {@link #download}
 *       and {@link #synchronize()} wait for the device.</li>
 *   <li>Operands are {@link StridedView}s over this backend's own {@link DeviceBuffer}s. Inputs may be any
 *       strided layout (stride 0 = broadcast). Outputs are contiguous unless a method says otherwise.</li>
 *   <li>An input of {@link #unary}, {@link #binary} or {@link #where} may instead be a view of a {@link HostScalar}
 *       (a Java number, {@code x.mul(7.0)}): every element is its value, whatever the view's strides, and it is
 *       passed to the kernel by value. No other method receives one; a backend refuses it there, naming the op.</li>
 *   <li>An output may alias an input with the same layout (in-place {@code assignAdd}); elementwise kernels
 *       must read element {@code i} before writing it.</li>
 * </ul>
 *
 * <pre>{@code
 * Backend cpu = Quiver.backend();
 * DeviceBuffer a = cpu.upload(new float[] {1, 2, 3});
 * DeviceBuffer out = cpu.allocate(DType.FLOAT32, 3);
 * cpu.unary(Primitive.EXP, StridedView.contiguous(a, 3), StridedView.contiguous(out, 3));
 * float[] values = (float[]) cpu.download(out, 0, 3);
 * }</pre>
 */
public interface Backend extends AutoCloseable {

    /** The name used to select the backend: {@code cpu}, {@code opencl}, {@code cuda}. */
    String name();

    /** One line saying which device this is and how it is configured (for {@code diagnose()} and logs). */
    String deviceDescription();

    /** A new buffer of {@code length} elements; its contents are unspecified. */
    DeviceBuffer allocate(DType dtype, long length);

    /**
     * Copies a Java array to a new buffer: {@code float[]} becomes float32, {@code double[]} float64,
     * {@code int[]} int32, {@code long[]} int64 and {@code boolean[]} bool. Counted in {@link #transfers()}.
     */
    DeviceBuffer upload(Object hostArray);

    /**
     * Copies {@code length} elements starting at {@code offset} into a new Java array of the buffer's dtype
     * (the same array types as {@link #upload}). Waits for pending work. Counted in {@link #transfers()}.
     */
    Object download(DeviceBuffer buffer, long offset, long length);

    /** Sets every element of {@code out} (any layout) to {@code value} converted to the buffer's dtype. No transfer. */
    void fill(StridedView out, double value);

    /** {@code out = op(in)} elementwise; {@code op.kind() == UNARY}; {@code out} has the shape of {@code in}. */
    void unary(Primitive op, StridedView in, StridedView out);

    /**
     * {@code out = op(a, b)} elementwise; {@code op.kind() == BINARY}; {@code a}, {@code b}, {@code out} have one
     * shape and {@code a}, {@code b} one dtype; {@code out} is bool when {@link Primitive#producesBool()}.
     */
    void binary(Primitive op, StridedView a, StridedView b, StridedView out);

    /** {@code out = condition ? whenTrue : whenFalse} elementwise; condition is bool; all of one shape. */
    void where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out);

    /**
     * Copies {@code in} to {@code out} element by element, converting dtype when they differ (float to int
     * truncates toward zero, anything to bool is {@code != 0}). {@code out} may be strided: this is how slices
     * are written (concat, the gradient of a slice) and how views are made contiguous.
     */
    void copy(StridedView in, StridedView out);

    /**
     * Reduces the middle axis of {@code in}, a contiguous view of shape {@code (outer, reduced, inner)}, into
     * {@code out}, a contiguous view of shape {@code (outer, inner)}. {@code op} is SUM, MAX or MIN; a
     * reduction over zero elements gives 0 for SUM and is rejected by core for MAX and MIN.
     */
    void reduce(Primitive op, StridedView in, StridedView out);

    /**
     * Batched matrix product {@code out[b] = a[b] @ b[b]}: {@code a} is {@code (batch, m, k)}, {@code b} is
     * {@code (batch, k, n)}, both any strides (a transposed operand or a broadcast batch costs no copy);
     * {@code out} is contiguous {@code (batch, m, n)}. All three share one dtype.
     */
    void matmul(StridedView a, StridedView b, StridedView out);

    /**
     * Rows picked by index, {@code out[o, j, i] = params[o, indices[j], i]} ({@code tf.gather} along one axis):
     * {@code params} is {@code (outer, axis, inner)} with any strides, {@code indices} a 1-D int32 or int64 view
     * {@code (n)} with any stride, {@code out} contiguous {@code (outer, n, inner)} of the dtype of {@code params}.
     * An index outside {@code [0, axis)} is an error made by {@link #indexOutOfRange}: thrown by the call on a
     * backend that runs it at once, and where the result (or anything computed from it) is read on one that queues
     * it.
     */
    void gather(StridedView params, StridedView indices, StridedView out);

    /**
     * The adjoint of {@link #gather}: {@code out[o, indices[j], i] += updates[o, j, i]} for {@code j} in increasing
     * order (a repeated index adds up, in the same order on every backend, so every backend gives the same bits).
     * {@code updates} is {@code (outer, n, inner)} with any strides, {@code indices} as for gather, {@code out}
     * contiguous {@code (outer, axis, inner)}, numeric, holding what is added to (core fills it with zeros first).
     * Out-of-range indices are reported as by {@link #gather} and add nothing.
     */
    void scatterAdd(StridedView updates, StridedView indices, StridedView out);

    /**
     * The error every backend gives for an index outside {@code [0, limit)} of {@code op} (gather, scatter_add):
     * {@code gather: indices[3] = 7 is out of range [0, 5)}, like TensorFlow's {@code indices[3] = 7 is not in
     * [0, 5)}.
     */
    static IllegalArgumentException indexOutOfRange(String op, long position, long value, long limit) {
        return new IllegalArgumentException(op + ": indices[" + position + "] = " + value + " is out of range [0, "
                + limit + ")");
    }

    /**
     * Fills contiguous floating {@code out} from the counter-based Philox-4x32-10 generator, so the same
     * {@code (seed, counter)} gives the same bits on every backend. Element {@code i} is element
     * {@code counter + i} of the stream of key {@code seed}, taken from Philox block {@code (counter + i) / 4}
     * (float32) or {@code / 2} (float64): see {@link Philox} for the exact recipe.
     */
    void random(RandomDistribution distribution, long seed, long counter, double first, double second, StridedView out);

    /**
     * Whether {@link #fused} and {@link #fusedReduce} run as single kernels here. The compiler of traced steps fuses
     * only for a backend that says so, and says when it does not; the default methods are the unfused slow twin.
     */
    default boolean runsFusedKernels() {
        return false;
    }

    /**
     * Whether {@link #fused} and {@link #fusedReduce} take inputs that are contiguous views of a {@link Drawn} buffer
     * and generate their values in the kernel (the compiler then never writes a step's draws to memory). The
     * defaults (the slow twins) draw them into temporaries first.
     */
    default boolean fusesDraws() {
        return false;
    }

    /**
     * Runs {@code kernel} elementwise: {@code inputs[i]} (any strides, broadcast, or a {@link HostScalar}) and
     * {@code outputs[j]} (contiguous) all have one shape; output {@code j} receives register
     * {@code kernel.outputs()[j]}. Must give the bits of the kernel's steps run one by one as {@link #unary},
     * {@link #binary}, {@link #where} and {@link #copy} calls, which is what this default does (allocating a
     * temporary per step: a backend that fuses overrides it and {@link #runsFusedKernels()}).
     */
    default void fused(FusedElementwise kernel, StridedView[] inputs, StridedView[] outputs) {
        FusedElementwise.runUnfused(this, kernel, inputs, outputs);
    }

    /**
     * Runs {@code kernel} over a block and reduces some of its outputs as they are computed, without writing them to
     * memory: sibling reductions of one pass, and the elementwise results the rest of the step still needs. Every input
     * is a view of the block shape {@code (outer, reduced, inner)} (any strides, broadcast or a {@link HostScalar}).
     * Kernel output {@code j < reductions.length} is reduced with {@code reductions[j]} (SUM, MAX or MIN) into
     * {@code outputs[j]}, contiguous {@code (outer, inner)}; kernel output {@code j >= reductions.length} is written
     * elementwise into {@code outputs[j]}, the contiguous block. The order of a SUM may differ from {@link #reduce}'s
     * (the result within float rounding of it); written outputs have the bits of {@link #fused}. The default runs the
     * kernel into temporaries, then {@link #reduce} ({@link FusedElementwise#runUnfusedReduce}, the slow twin).
     *
     * <pre>{@code
     * // loss = sum((x - y)^2) and grad = sum(x - y) in one pass over (1, n, 1) blocks x, y
     * backend.fusedReduce(kernel, new StridedView[] {x, y}, new Primitive[] {Primitive.SUM, Primitive.SUM},
     *         new StridedView[] {loss, grad});
     * }</pre>
     */
    default void fusedReduce(FusedElementwise kernel, StridedView[] inputs, Primitive[] reductions,
                             StridedView[] outputs) {
        FusedElementwise.runUnfusedReduce(this, kernel, inputs, reductions, outputs);
    }

    /**
     * Records the device work that {@code calls} issues on this backend, without running it, as one unit the device
     * replays ({@link CapturedWork#launch}): a CUDA graph. The calls must be ones a capture can hold: kernels and
     * device-side copies and fills, no transfer and no wait; a backend refuses any other with an exception naming it
     * (a compiled step then replays call by call and says why). Memory a call takes for itself (a reduction's
     * scratch) stays with the capture until it is closed. The default refuses, saying {@link #captureUnavailable()}.
     */
    default CapturedWork capture(Runnable calls) {
        throw new UnsupportedOperationException(name() + ": capture: " + captureUnavailable());
    }

    /** Why {@link #capture} cannot record work on this backend, or null when it can. */
    default String captureUnavailable() {
        return "the " + name() + " backend runs each call as it is made (it has no device-side graphs)";
    }

    /** Waits until all issued work is done; surfaces any deferred device error. */
    void synchronize();

    /** Host-device copies made so far by this backend (uploads and downloads). */
    TransferStats transfers();

    /** Releases the device and its pools. Buffers must not be used afterwards. */
    @Override
    void close();
}
