package dev.quiver.backend.opencl;

import org.jocl.cl_mem;

/**
 * An error a kernel could not throw, kept for the op that made it: the op's own status word on the device (zeroed
 * before the op, set by the kernel, e.g. to {@link dev.quiver.kernels.ElementwiseKernels#STATUS_DIVISION_BY_ZERO}),
 * and, once the host has read it, its value. Every buffer computed from the op's result carries the check, so
 * reading any of them throws {@link #error()}, every time, while unrelated buffers read normally.
 *
 * <pre>{@code
 * Tensor q = a.div(zeroInts);        // queued; its status word is not read yet
 * Tensor r = q.add(one);             // r carries q's check
 * unrelated.toArray();               // reads normally (and reads q's status word on the way)
 * r.toArray();                       // ArithmeticException: div: integer division by zero ... in div int32 ...
 * }</pre>
 */
final class DeferredCheck {
    private static final int UNREAD = Integer.MIN_VALUE;

    final String description;
    final cl_mem status;
    private final String deviceName;
    int result = UNREAD;

    DeferredCheck(String description, String deviceName, cl_mem status) {
        this.description = description;
        this.deviceName = deviceName;
        this.status = status;
    }

    /** True once the status word was read and said nothing went wrong: the check can be dropped. */
    boolean passed() {
        return result == 0;
    }

    /** True once the status word was read and reported an error. */
    boolean failed() {
        return result != UNREAD && result != 0;
    }

    /** What the status word reported, naming the op. */
    RuntimeException error() {
        if (result == dev.quiver.kernels.ElementwiseKernels.STATUS_DIVISION_BY_ZERO) {
            return new ArithmeticException("div: integer division by zero on opencl (" + deviceName + ") in "
                    + description + "; every tensor computed from its result fails the same way");
        }
        return new IllegalStateException("opencl: " + description + " reported status " + result + " on "
                + deviceName);
    }
}
