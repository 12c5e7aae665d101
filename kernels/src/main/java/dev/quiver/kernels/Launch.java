package dev.quiver.kernels;

import java.util.List;

/**
 * One kernel launch, planned once for every device backend: which program and kernel, how many work-groups of
 * which size, and the arguments. OpenCL enqueues {@code groups * groupSize} work-items per axis; CUDA launches a
 * grid of {@code groups} blocks of {@code groupSize} threads: the same thing.
 *
 * <pre>{@code
 * Launch launch = planner.unary(Primitive.EXP, in, out);
 * backend.enqueue(launch);   // compile (cached), set launch.args(), run
 * }</pre>
 *
 * @param source      the program
 * @param kernel      the kernel's name in it
 * @param groups      work-groups per axis (1 to 3 axes)
 * @param groupSize   work-items per group per axis
 * @param args        the arguments, in the kernel's order
 * @param op          the op this launch runs, formatted by {@link #description()} for error messages
 * @param checksStatus true when the kernel may report an error in the status word (integer division by zero)
 */
public record Launch(KernelSource source, String kernel, long[] groups, long[] groupSize, List<KernelArg> args,
                     Object op, boolean checksStatus) {
    public Launch {
        if (groups.length != groupSize.length || groups.length < 1 || groups.length > 3) {
            throw new IllegalArgumentException("launch of " + kernel + ": groups and group size need 1 to 3 axes");
        }
        args = List.copyOf(args);
    }

    /** The op for error messages: {@code exp float32 (1031,) <- float32 (1031,)}. */
    public String description() {
        return String.valueOf(op);
    }

    /** Work-items per axis: {@code groups[d] * groupSize[d]} (OpenCL's global work size). */
    public long[] globalSize() {
        long[] global = new long[groups.length];
        for (int d = 0; d < global.length; d++) {
            global[d] = groups[d] * groupSize[d];
        }
        return global;
    }
}
