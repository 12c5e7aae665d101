package dev.quiver;

import dev.quiver.spi.DeviceBuffer;
import dev.quiver.spi.StridedView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A pass of the compiler: draws of one random stream that follow each other in the stream (the same distribution,
 * parameters and dtype, each starting where the one before ended) become one draw into one buffer, and the tensors
 * they made become views of it. Element {@code e} of a stream depends only on {@code (seed, e)} ({@link
 * dev.quiver.spi.Philox}), so the merged draw gives the same bits; a step drawing its inputs and its noise makes one
 * launch instead of two.
 *
 * <pre>{@code
 * // before: normal t0[64] (counter c), normal t1[64] (counter c + 64)
 * // after:  normal t2[128] (counter c); t0 -> t2[0:64], t1 -> t2[64:128]
 * List<Call> merged = Draws.merge(calls, liveOut, firstId);
 * }</pre>
 */
final class Draws {
    private Draws() {
    }

    /** What draws must share to be one draw. */
    private record Stream(dev.quiver.spi.RandomDistribution distribution, long seed, boolean streamRelative,
                          long first, long second, DType dtype) {
        static Stream of(Call.Random draw) {
            return new Stream(draw.distribution(), draw.seed(), draw.streamRelative(),
                    Double.doubleToRawLongBits(draw.first()), Double.doubleToRawLongBits(draw.second()),
                    draw.out().dtype());
        }
    }

    /**
     * {@code calls} with each run of consecutive draws merged into one, placed where the first of them was; the
     * buffers in {@code liveOut} (read after the program) are never merged. New buffers are numbered from
     * {@code firstId}.
     */
    static List<Call> merge(List<Call> calls, Set<DeviceBuffer> liveOut, int firstId) {
        Map<Stream, List<Call.Random>> streams = new LinkedHashMap<>();
        for (Call call : calls) {
            if (call instanceof Call.Random draw && mergeable(draw, liveOut)) {
                streams.computeIfAbsent(Stream.of(draw), s -> new ArrayList<>()).add(draw);
            }
        }
        // for each merged buffer: where its parts now live; the first part's call becomes the merged draw
        Map<DeviceBuffer, StridedView> parts = new IdentityHashMap<>();
        Map<Call, Call> replaced = new IdentityHashMap<>();
        int id = firstId;
        for (List<Call.Random> draws : streams.values()) {
            draws.sort(Comparator.comparingLong(Call.Random::counter));
            int start = 0;
            while (start < draws.size()) {
                int end = start + 1;
                long next = draws.get(start).counter() + draws.get(start).out().size();
                while (end < draws.size() && draws.get(end).counter() == next) {
                    next += draws.get(end).out().size();
                    end++;
                }
                if (end - start > 1) {
                    Call.Random first = draws.get(start);
                    long total = next - first.counter();
                    Tracer.Traced merged = new Tracer.Traced(id++, first.out().dtype(), total);
                    long offset = 0;
                    for (int k = start; k < end; k++) {
                        StridedView out = draws.get(k).out();
                        parts.put(out.buffer(), new StridedView(merged, out.shape(), out.strides(), offset));
                        replaced.put(draws.get(k), null);
                        offset += out.size();
                    }
                    replaced.put(first, new Call.Random(first.distribution(), first.seed(), first.streamRelative(),
                            first.counter(), first.first(), first.second(),
                            StridedView.contiguous(merged, Math.toIntExact(total))));
                }
                start = end;
            }
        }
        if (parts.isEmpty()) {
            return calls;
        }
        List<Call> result = new ArrayList<>(calls.size());
        for (Call call : calls) {
            if (replaced.containsKey(call)) {
                if (replaced.get(call) != null) {
                    result.add(replaced.get(call));
                }
                continue;
            }
            result.add(call.remap(view -> {
                StridedView part = parts.get(view.buffer());
                return part == null ? view : new StridedView(part.buffer(), view.shape(), view.strides(),
                        part.offset() + view.offset());
            }));
        }
        return result;
    }

    /** A draw filling a whole buffer of the trace that nothing reads after the program. */
    private static boolean mergeable(Call.Random draw, Set<DeviceBuffer> liveOut) {
        StridedView out = draw.out();
        return out.buffer() instanceof Tracer.Traced traced && !traced.constant && Views.coversBuffer(out)
                && !liveOut.contains(out.buffer()) && Objects.nonNull(traced.real);
    }
}
