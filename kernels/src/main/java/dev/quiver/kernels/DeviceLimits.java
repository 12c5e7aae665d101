package dev.quiver.kernels;

/**
 * What the launch planner needs to know about a device to size its launches and pick its kernels.
 *
 * <pre>{@code
 * DeviceLimits pocl = new DeviceLimits(4096, 2, true, true);
 * DeviceLimits h100 = new DeviceLimits(1024, 132, true, false);
 * }</pre>
 *
 * @param maxGroupSize the largest work-group (thread block) the device runs
 * @param computeUnits compute units (OpenCL) or streaming multiprocessors (CUDA)
 * @param float64      whether the device computes in float64 ({@code cl_khr_fp64}; always on CUDA)
 * @param cpu          a CPU device (PoCL): it runs a work-group's items one after another, so each item should
 *                     stream through its own contiguous slice rather than stride across the group's range
 */
public record DeviceLimits(int maxGroupSize, int computeUnits, boolean float64, boolean cpu) {
    public DeviceLimits {
        if (maxGroupSize < 1 || computeUnits < 1) {
            throw new IllegalArgumentException("device limits must be positive: max group " + maxGroupSize
                    + ", compute units " + computeUnits);
        }
    }
}
