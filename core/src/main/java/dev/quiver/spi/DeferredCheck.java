package dev.quiver.spi;

/**
 * An error a device kernel could not throw, kept for the op that made it: the op's own status word on the device
 * (zeroed before the op, set by the kernel, e.g. on an integer division by zero) and, once the host has read it,
 * the error it reports. Every {@link PooledBuffer} computed from the op's result carries the check, so reading any
 * of them throws {@link #error()}, every time, while unrelated buffers read normally.
 *
 * <pre>{@code
 * Tensor q = a.floorDiv(zeroInts);   // queued; its status word is not read yet
 * Tensor r = q.add(one);             // r carries q's check
 * unrelated.toArray();               // reads normally (and reads q's status word on the way)
 * r.toArray();                       // ArithmeticException: floor_div: integer division by zero ... in floor_div int32 ...
 * }</pre>
 *
 * @param <M> the driver's handle of the status word's block
 */
public final class DeferredCheck<M> {
    private final String description;
    private final M status;
    private boolean read;
    private RuntimeException error;

    /** The check of the op {@code description}, whose kernels report into {@code status}. */
    public DeferredCheck(String description, M status) {
        this.description = description;
        this.status = status;
    }

    /** The op that owns the status word, as its launch describes it. */
    public String description() {
        return description;
    }

    /** The status word's block (the backend hands it to the op's kernels). */
    public M status() {
        return status;
    }

    /** Records what the host read from the status word: {@code failure} is null when it said nothing went wrong. */
    public void complete(RuntimeException failure) {
        this.read = true;
        this.error = failure;
    }

    /** True once the status word was read and said nothing went wrong: the check can be dropped. */
    public boolean passed() {
        return read && error == null;
    }

    /** True once the status word was read and reported an error. */
    public boolean failed() {
        return error != null;
    }

    /** What the status word reported, naming the op; null unless {@link #failed()}. */
    public RuntimeException error() {
        return error;
    }
}
