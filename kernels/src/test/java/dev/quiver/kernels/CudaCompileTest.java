package dev.quiver.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quiver.DType;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.Primitive;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles every CUDA program the launch planner can produce with {@code nvcc -ptx}, so CUDA kernels are
 * compile-checked on machines without a GPU. Skips, saying why, where {@code nvcc} is not on the PATH.
 */
class CudaCompileTest {
    /** The oldest architecture Quiver's CUDA backend targets (Turing). */
    private static final String ARCH = "compute_75";

    @Test
    void everyRenderedCudaSourceCompilesWithNvcc(@TempDir Path dir) throws Exception {
        String nvcc = findNvcc();
        assumeTrue(nvcc != null, "nvcc is not on the PATH: CUDA kernels not compile-checked here");
        LaunchPlanner planner = new LaunchPlanner(new DeviceLimits(1024, 132, true, false));
        List<Path> files = new ArrayList<>();
        // the elementwise programs have no defines and unique kernel names: one translation unit holds them all
        StringBuilder elementwise = new StringBuilder(Dialect.CUDA.prelude());
        List<KernelSource> elementwiseSources = planner.allElementwiseSources();
        for (KernelSource source : elementwiseSources) {
            assertTrue(source.defines().isEmpty() || source.defines().keySet().equals(java.util.Set.of("Q_FP64")),
                    source.name() + " has defines " + source.defines());
            elementwise.append("\n/* ---- ").append(source.name()).append(" */\n").append(source.body());
        }
        files.add(write(dir.resolve("elementwise.cu"), elementwise.toString()));
        List<KernelSource> programs = new ArrayList<>(planner.allResourceSources());
        programs.addAll(fusedSamples(planner));
        for (KernelSource source : programs) {
            files.add(write(dir.resolve(source.name() + ".cu"), source.defineLines() + Dialect.CUDA.render(source)));
        }
        List<String> command = new ArrayList<>(List.of(nvcc, "-ptx", "-arch=" + ARCH, "-Werror", "all-warnings",
                // no device optimization: this is a check of the source (cicc -O3 takes 7x longer); NVRTC optimizes at load
                "-Xcicc", "-O0"));
        files.forEach(file -> command.add(file.getFileName().toString()));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(300, TimeUnit.SECONDS), "nvcc did not finish in 5 minutes");
        assertEquals(0, process.exitValue(), "nvcc -ptx failed:\n" + output);
        for (Path file : files) {
            Path ptx = dir.resolve(file.getFileName().toString().replace(".cu", ".ptx"));
            assertTrue(Files.size(ptx) > 0, "no PTX for " + file.getFileName());
        }
        // every kernel the planner launches exists in the compiled PTX
        String ptx = Files.readString(dir.resolve("elementwise.ptx"));
        for (KernelSource source : elementwiseSources) {
            for (int rank = 0; rank <= ElementwiseKernels.MAX_STRIDED_RANK; rank++) {
                String kernel = ElementwiseKernels.kernelName(source.name(), rank);
                assertTrue(ptx.contains(".entry " + kernel + "("), kernel + " missing from the PTX");
            }
        }
    }

    /**
     * Fused programs of a chain through every kind of step (a transcendental, a select on a bool, casts both ways,
     * an integer division with its status word, a comparison), a number by value: contiguous, strided, as the visit
     * of a reduction, of sibling reductions with written outputs, and the second stage of split sibling reductions.
     */
    private static List<KernelSource> fusedSamples(LaunchPlanner planner) {
        DType f64 = DType.FLOAT64;
        FusedElementwise kernel = new FusedElementwise(List.of(f64, f64, DType.BOOL, DType.INT32), List.of(
                new FusedElementwise.Step(Primitive.EXP, new int[] {0}, f64),                    // 4
                new FusedElementwise.Step(Primitive.WHERE, new int[] {2, 4, 1}, f64),            // 5
                new FusedElementwise.Step(Primitive.CAST, new int[] {5}, DType.INT32),           // 6
                new FusedElementwise.Step(Primitive.DIV, new int[] {6, 3}, DType.INT32),         // 7
                new FusedElementwise.Step(Primitive.CAST, new int[] {7}, DType.FLOAT32),         // 8
                new FusedElementwise.Step(Primitive.TANH, new int[] {8}, DType.FLOAT32),         // 9
                new FusedElementwise.Step(Primitive.LESS, new int[] {5, 0}, DType.BOOL)),        // 10
                new int[] {9, 10});
        FusedElementwise single = new FusedElementwise(kernel.inputTypes(), kernel.steps(), new int[] {9});
        // sibling reductions of three dtypes (float32 SUM, float64 MAX, int32 MIN), a bool and an int written
        FusedElementwise siblings = new FusedElementwise(kernel.inputTypes(), kernel.steps(),
                new int[] {9, 5, 7, 10, 6});
        // the second stage of a split reduction: the partials of each, a chain of no steps
        FusedElementwise partials = new FusedElementwise(List.of(DType.FLOAT32, f64, DType.INT32), List.of(),
                new int[] {0, 1, 2});
        Primitive[] three = {Primitive.SUM, Primitive.MAX, Primitive.MIN};
        Map<String, String> fp64 = Map.of("Q_FP64", "1");
        List<KernelSource> samples = new ArrayList<>(List.of(FusedKernels.source(kernel, 0b0010, 0, fp64),
                FusedKernels.source(kernel, 0b1000, 3, fp64),
                planner.fusedReduceSource(single, 0b0010, new Primitive[] {Primitive.SUM}),
                planner.fusedReduceSource(siblings, 0b1000, three), planner.fusedReduceSource(partials, 0, three)));
        samples.addAll(drawnSamples(planner, fp64));
        return samples;
    }

    /**
     * Fused programs with drawn inputs ({@link DrawnInputs}): a reduction reading a draw of every recipe (normal and
     * uniform, float32 and float64), and elementwise kernels with one normal float32 draw (contiguous) and one
     * uniform float64 draw (strided), whose other recipes' functions must not be compiled in (unused statics fail).
     */
    private static List<KernelSource> drawnSamples(LaunchPlanner planner, Map<String, String> fp64) {
        DType f32 = DType.FLOAT32;
        DType f64 = DType.FLOAT64;
        FusedElementwise everyRecipe = new FusedElementwise(List.of(f32, f64, f32, f64), List.of(
                new FusedElementwise.Step(Primitive.MUL, new int[] {0, 2}, f32),                 // 4
                new FusedElementwise.Step(Primitive.CAST, new int[] {4}, f64),                   // 5
                new FusedElementwise.Step(Primitive.ADD, new int[] {5, 1}, f64),                 // 6
                new FusedElementwise.Step(Primitive.MUL, new int[] {6, 3}, f64)),                // 7
                new int[] {7, 4, 6});
        FusedElementwise oneDraw = new FusedElementwise(List.of(f32, f64), List.of(
                new FusedElementwise.Step(Primitive.CAST, new int[] {0}, f64),                   // 2
                new FusedElementwise.Step(Primitive.SUB, new int[] {2, 1}, f64)),                // 3
                new int[] {3});
        return List.of(planner.fusedReduceSource(everyRecipe, 0, new DrawnInputs(0b0110, 0b1001),
                        new Primitive[] {Primitive.SUM, Primitive.MAX}),
                FusedKernels.source(oneDraw, 0, new DrawnInputs(0, 0b01), 0, fp64),
                FusedKernels.source(oneDraw, 0, new DrawnInputs(0b10, 0), 2, fp64));
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text);
    }

    private static String findNvcc() {
        List<String> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            candidates.add(dir + "/nvcc");
        }
        candidates.add("/usr/local/cuda/bin/nvcc");
        for (String candidate : candidates) {
            if (!candidate.startsWith("/nvcc") && Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }
}
