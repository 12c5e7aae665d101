package dev.quiver.kernels;

import dev.quiver.DType;
import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.RandomDistribution;
import dev.quiver.spi.StridedView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What every kernel-launching device backend shares: each op is planned by the {@link LaunchPlanner} and its
 * launches handed to {@link #launch(Launch)}; the backend remembers the last few launches since the host waited, so
 * a device error surfacing at the next wait can name them, and the launches that may set the status word (integer
 * division by zero), so it is read only when one ran. A backend adds memory, transfers, its launch call and its wait.
 * The CUDA backend is built on it; the OpenCL backend has the same shape and can adopt it.
 *
 * <pre>{@code
 * final class MyBackend extends PlannedBackend {
 *     MyBackend(DeviceLimits limits) { super(new LaunchPlanner(limits)); }
 *     protected void enter(String op) { ... }               // refuse a closed backend, make the context current
 *     protected void launch(Launch launch) { ... }          // compile (cached), set launch.args(), enqueue
 *     // allocate, upload, download, synchronize, transfers, close, name, deviceDescription
 * }
 * }</pre>
 */
public abstract class PlannedBackend implements Backend {
    private static final int RECENT_OPS = 8;

    /** The planner of this backend's device. */
    protected final LaunchPlanner planner;
    // launches since the host last waited, kept as launches and formatted only if an error needs them
    private final ArrayDeque<Launch> recentOps = new ArrayDeque<>();
    private final List<Launch> statusChecks = new ArrayList<>();
    private long launches;

    /** A backend whose ops {@code planner} plans. */
    protected PlannedBackend(LaunchPlanner planner) {
        this.planner = planner;
    }

    /** Called before every op: refuses a closed backend (naming {@code op}) and readies the device context. */
    protected abstract void enter(String op);

    /** Enqueues one planned launch without waiting for it. */
    protected abstract void launch(Launch launch);

    @Override
    public synchronized void fill(StridedView out, double value) {
        run("fill", planner.fill(out, value));
    }

    @Override
    public synchronized void unary(Primitive op, StridedView in, StridedView out) {
        run(op.opName(), planner.unary(op, in, out));
    }

    @Override
    public synchronized void binary(Primitive op, StridedView a, StridedView b, StridedView out) {
        run(op.opName(), planner.binary(op, a, b, out));
    }

    @Override
    public synchronized void where(StridedView condition, StridedView whenTrue, StridedView whenFalse, StridedView out) {
        run("where", planner.where(condition, whenTrue, whenFalse, out));
    }

    @Override
    public synchronized void copy(StridedView in, StridedView out) {
        run("copy", planner.copy(in, out));
    }

    @Override
    public synchronized void reduce(Primitive op, StridedView in, StridedView out) {
        enter(op.opName());
        long scratchLength = planner.reduceScratchLength(in);
        DeviceBuffer scratch = scratchLength == 0 ? null : allocate(in.dtype(), scratchLength);
        try {
            run(op.opName(), planner.reduce(op, in, out, scratch));
        } finally {
            if (scratch != null) {
                scratch.release();   // safe at once: later users of the block queue behind this reduction
            }
        }
    }

    /** The tiled matmul kernel; a backend with a vendor library overrides this and keeps it as the slow twin. */
    @Override
    public synchronized void matmul(StridedView a, StridedView b, StridedView out) {
        run("matmul", planner.matmul(a, b, out));
    }

    @Override
    public synchronized void random(RandomDistribution distribution, long seed, long counter, double first,
                                    double second, StridedView out) {
        run("random", planner.random(distribution, seed, counter, first, second, out));
    }

    /** Enters {@code op} and launches its plan. */
    protected final void run(String op, List<Launch> plan) {
        enter(op);
        for (Launch planned : plan) {
            launch(planned);
            launches++;
            if (recentOps.size() == RECENT_OPS) {
                recentOps.removeFirst();
            }
            recentOps.addLast(planned);
            if (planned.checksStatus() && statusChecks.size() < RECENT_OPS) {   // the first few name the suspects
                statusChecks.add(planned);
            }
        }
    }

    /** Kernel launches so far. */
    protected final long launches() {
        return launches;
    }

    /**
     * The ops of the launches that may have set the status word since the last call, or an empty set when none
     * ran (then the word need not be read).
     */
    protected final Set<String> takeStatusSuspects() {
        Set<String> suspects = new LinkedHashSet<>();
        statusChecks.forEach(launch -> suspects.add(launch.description()));
        statusChecks.clear();
        return suspects;
    }

    /** Forgets the launches since the last wait: the host waited and they all succeeded, or their error was thrown. */
    protected final void forgetRecentOps() {
        recentOps.clear();
    }

    /** {@code "; ops launched since the last wait: ..."} for an error message, or {@code ""}; then forgets them. */
    protected final String recentOpsText() {
        String recent = recentOps.isEmpty() ? "" : "; ops launched since the last wait: "
                + String.join(", ", recentOps.stream().map(Launch::description).toList());
        recentOps.clear();
        return recent;
    }

    /** The error a status word value reports, naming the backend, device and suspect ops. */
    protected static RuntimeException statusError(int value, String backend, String device, Set<String> suspects) {
        if (value == ElementwiseKernels.STATUS_DIVISION_BY_ZERO) {
            return new ArithmeticException("div: integer division by zero on " + backend + " (" + device + ") in "
                    + String.join(" or ", suspects));
        }
        return new IllegalStateException(backend + ": a kernel reported status " + value + " in " + suspects);
    }

    /** The dtype of a host array {@link Backend#upload} accepts, or an error naming the backend. */
    protected static DType dtypeOf(Object hostArray, String backend) {
        return switch (hostArray) {
            case float[] ignored -> DType.FLOAT32;
            case double[] ignored -> DType.FLOAT64;
            case int[] ignored -> DType.INT32;
            case long[] ignored -> DType.INT64;
            case boolean[] ignored -> DType.BOOL;
            case null -> throw new IllegalArgumentException(backend + ": upload of null");
            default -> throw new IllegalArgumentException(backend + ": upload takes float[], double[], int[], long[] "
                    + "or boolean[], not " + hostArray.getClass().getSimpleName());
        };
    }

    /** Bools as the devices store them: one byte, 0 or 1. */
    protected static byte[] toBytes(boolean[] values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) (values[i] ? 1 : 0);
        }
        return bytes;
    }

    /** Device bytes back to bools (any non-zero byte is true). */
    protected static boolean[] toBooleans(byte[] bytes) {
        boolean[] values = new boolean[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            values[i] = bytes[i] != 0;
        }
        return values;
    }
}
