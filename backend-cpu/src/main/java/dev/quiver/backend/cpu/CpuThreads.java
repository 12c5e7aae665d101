package dev.quiver.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.Future;

/**
 * The backend's worker threads: a small {@link ForkJoinPool} of daemon threads, or none when one thread is
 * configured. Kernels split an index range into one contiguous chunk per thread; nothing finer is needed
 * for the few kernels that are worth splitting (large matmuls, random fills).
 */
final class CpuThreads implements AutoCloseable {
    /** A kernel body over the index range {@code [from, to)}. */
    interface RangeBody {
        void run(int from, int to);
    }

    private final int count;
    // made on the first parallel call: most programs' first ops are small, and starting a pool is not free
    private volatile ForkJoinPool pool;
    private volatile boolean closed;

    CpuThreads(int count) {
        this.count = count;
    }

    private ForkJoinPool pool() {
        ForkJoinPool current = pool;
        if (current == null) {
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("cpu: the backend was closed; its worker threads are gone");
                }
                current = pool;
                if (current == null) {
                    pool = current = new ForkJoinPool(count, new Workers(), null, false);
                }
            }
        }
        return current;
    }

    /** Named daemon workers (a class, not a method reference: no lambda bootstrap on the way to the first op). */
    private static final class Workers implements ForkJoinPool.ForkJoinWorkerThreadFactory {
        @Override
        public ForkJoinWorkerThread newThread(ForkJoinPool pool) {
            ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            thread.setName("quiver-cpu-" + thread.getPoolIndex());
            thread.setDaemon(true);
            return thread;
        }
    }

    int count() {
        return count;
    }

    /** Runs {@code body} over {@code [0, total)}, split into at most {@link #count()} chunks when allowed. */
    void forRange(int total, boolean parallel, RangeBody body) {
        if (count == 1 || !parallel || total < 2) {
            body.run(0, total);
            return;
        }
        ForkJoinPool pool = pool();
        int parts = Math.min(count, total);
        List<Callable<Void>> tasks = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) {
            int from = (int) ((long) total * p / parts);
            int to = (int) ((long) total * (p + 1) / parts);
            tasks.add(() -> {
                body.run(from, to);
                return null;
            });
        }
        List<Future<Void>> futures = new ArrayList<>(parts);
        for (Callable<Void> task : tasks) {
            futures.add(pool.submit(task));
        }
        for (Future<Void> future : futures) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("cpu: interrupted while waiting for worker threads", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException("cpu: worker thread failed", e.getCause());
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }
}
