package dev.quiver;

import dev.quiver.spi.Backend;
import dev.quiver.spi.DeviceBuffer;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend buffer shared by a tensor and its views (reshape, transpose, slice, broadcast). The buffer goes back
 * to the backend when every tensor using it has been closed, or, for code that never calls {@code close()},
 * when the storage becomes unreachable (the {@link Cleaner}), so a naive training loop stays flat in memory.
 * Buffers that the garbage collector reclaims by itself ({@link DeviceBuffer#reclaimedByGarbageCollector()}) get no
 * Cleaner.
 */
final class Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    final Backend backend;
    final DeviceBuffer buffer;
    private final AtomicInteger users = new AtomicInteger();
    private final Cleaner.Cleanable cleanable;

    Storage(Backend backend, DeviceBuffer buffer) {
        this.backend = backend;
        this.buffer = buffer;
        // the action must not capture `this`, or the storage could never become unreachable; memory the garbage
        // collector frees by itself needs no Cleaner, whose registration would cost more than a tiny op
        this.cleanable = buffer.reclaimedByGarbageCollector() ? null : CLEANER.register(this, new Release(buffer));
    }

    void retain() {
        users.incrementAndGet();
    }

    /** Called by {@link Tensor#close()}; the last user releases the buffer at once. */
    void releaseUser() {
        if (users.decrementAndGet() == 0) {
            if (cleanable != null) {
                cleanable.clean();
            } else {
                buffer.release();
            }
        }
    }

    private record Release(DeviceBuffer buffer) implements Runnable {
        @Override
        public void run() {
            buffer.release();
        }
    }
}
