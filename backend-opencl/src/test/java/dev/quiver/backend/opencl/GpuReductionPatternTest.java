package dev.quiver.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiver.DType;
import dev.quiver.conformance.BackendConformance;
import dev.quiver.kernels.DeviceLimits;
import dev.quiver.kernels.LaunchPlanner;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.FusedElementwise.Step;
import dev.quiver.spi.HostScalar;
import dev.quiver.spi.Primitive;
import dev.quiver.spi.StridedView;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The launch pattern of a GPU run on PoCL: a planner told the device is not a CPU interleaves a group's items and
 * splits long reductions in two stages, the path CUDA and GPU OpenCL devices take and PoCL's own planner never does.
 * There, sibling reductions and written outputs of one chain have the bits of one fused reduction (or fused kernel)
 * at a time, as the shared suite checks in PoCL's own pattern.
 */
class GpuReductionPatternTest {
    @Test
    void siblingReductionsAndWrittenOutputsMatchOneAtATimeInTheGpuPattern() {
        BackendConformance.assumeRunnable("opencl", true);
        OpenClDevice device = OpenClDevice.choose(OpenClDevice.all(), true).device();
        DeviceLimits own = device.limits();
        DeviceLimits gpu = new DeviceLimits(own.maxGroupSize(), own.computeUnits(), own.float64(), false);
        DType f32 = DType.FLOAT32;
        // r = x - y, then r * r and r * scale: sum(r * r), max(r), min(r * scale); r * scale and x < y written
        FusedElementwise kernel = new FusedElementwise(List.of(f32, f32, f32), List.of(
                new Step(Primitive.SUB, new int[] {0, 1}, f32),
                new Step(Primitive.MUL, new int[] {3, 3}, f32),
                new Step(Primitive.MUL, new int[] {3, 2}, f32),
                new Step(Primitive.LESS, new int[] {0, 1}, DType.BOOL)), new int[] {4, 3, 5, 5, 6});
        Primitive[] reductions = {Primitive.SUM, Primitive.MAX, Primitive.MIN};
        Random random = new Random(23);
        try (OpenClBackend backend = new OpenClBackend(device, gpu, true)) {
            for (int[] block : new int[][] {{1, 20_000, 1}, {3, 41, 4}}) {
                int size = block[0] * block[1] * block[2];
                StridedView x = StridedView.contiguous(backend.upload(floats(random, size)), block);
                StridedView y = StridedView.contiguous(backend.upload(floats(random, size)), block);
                StridedView[] inputs = {x, y, HostScalar.of(f32, 0.37).broadcast(block)};
                boolean split = new LaunchPlanner(gpu).reduceScratchLength(x) > 0;
                assertEquals(block[1] > 1000, split, "the long block is the split case");
                List<DType> types = kernel.outputTypes();
                StridedView[] outputs = new StridedView[types.size()];
                for (int j = 0; j < outputs.length; j++) {
                    outputs[j] = j < reductions.length
                            ? StridedView.contiguous(backend.allocate(types.get(j), block[0] * block[2]), block[0],
                                    block[2])
                            : StridedView.contiguous(backend.allocate(types.get(j), size), block);
                }
                backend.fusedReduce(kernel, inputs, reductions, outputs);
                for (int j = 0; j < outputs.length; j++) {
                    FusedElementwise alone = new FusedElementwise(kernel.inputTypes(), kernel.steps(),
                            new int[] {kernel.outputs()[j]});
                    StridedView expected = StridedView.contiguous(backend.allocate(types.get(j), outputs[j].size()),
                            outputs[j].shape());
                    if (j < reductions.length) {
                        backend.fusedReduce(alone, inputs, new Primitive[] {reductions[j]},
                                new StridedView[] {expected});
                    } else {
                        backend.fused(alone, inputs, new StridedView[] {expected});
                    }
                    Object want = backend.download(expected.buffer(), 0, expected.size());
                    Object got = backend.download(outputs[j].buffer(), 0, outputs[j].size());
                    String what = "output " + j + " of " + kernel + " over " + java.util.Arrays.toString(block);
                    if (want instanceof float[] floats) {
                        assertArrayEquals(floats, (float[]) got, what);
                    } else {
                        assertArrayEquals((boolean[]) want, (boolean[]) got, what);
                    }
                }
                float[] sum = (float[]) backend.download(outputs[0].buffer(), 0, outputs[0].size());
                assertTrue(sum[0] > 0, "a sum of squares of random numbers: " + sum[0]);
            }
        }
    }

    private static float[] floats(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * 3);
        }
        return values;
    }
}
