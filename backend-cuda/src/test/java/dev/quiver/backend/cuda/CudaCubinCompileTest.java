package dev.quiver.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quiver.DType;
import dev.quiver.kernels.DeviceLimits;
import dev.quiver.kernels.Dialect;
import dev.quiver.kernels.DrawnInputs;
import dev.quiver.kernels.KernelSource;
import dev.quiver.kernels.LaunchPlanner;
import dev.quiver.spi.FusedElementwise;
import dev.quiver.spi.Primitive;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles every program the CUDA backend can launch to CUBIN with {@code nvcc -cubin} for the oldest (sm_75) and the
 * Hopper (sm_90) targets, with the language level the backend gives NVRTC, so ptxas checks registers and shared
 * memory on a machine without a GPU (the widest fused reduction included). Skips, saying why, where nvcc is not
 * installed.
 */
class CudaCubinCompileTest {
    /** The oldest target (Turing) and the GPUs this workplace lends (Hopper). */
    private static final int[] ARCHS = {75, 90};

    @Test
    void everyProgramCompilesToCubinForSm75AndSm90(@TempDir Path dir) throws Exception {
        String nvcc = findNvcc();
        assumeTrue(nvcc != null, "nvcc is not on the PATH nor in /usr/local/cuda/bin: CUBIN not compile-checked here");
        // the planner of an H100-like device (1024 threads per block, float64 on), as CudaDevice.limits() gives
        LaunchPlanner planner = new LaunchPlanner(new CudaDevice(0, "test", 9, 0, 132, 1024, 1L << 30).limits());
        List<String> files = new ArrayList<>();
        // the elementwise programs share their only define (Q_FP64) and have unique kernel names: one file holds all
        StringBuilder elementwise = new StringBuilder("#define Q_FP64 1\n").append(Dialect.CUDA.prelude());
        for (KernelSource source : planner.allElementwiseSources()) {
            elementwise.append("\n/* ---- ").append(source.name()).append(" */\n").append(source.body());
        }
        Files.writeString(dir.resolve("elementwise.cu"), elementwise);
        files.add("elementwise.cu");
        List<KernelSource> programs = new ArrayList<>(planner.allResourceSources());
        programs.add(widestFusedReduction(planner));
        programs.add(drawnFusedReduction(planner));
        for (KernelSource source : programs) {
            Files.writeString(dir.resolve(source.name() + ".cu"), source.defineLines() + Dialect.CUDA.render(source));
            files.add(source.name() + ".cu");
        }
        // the C++ front end once, to PTX for the oldest target (PTX is forward compatible), then ptxas per target;
        // unoptimized front end: this checks the source, not speed (cicc -O3 takes minutes for the whole table)
        List<String> frontEnd = new ArrayList<>(List.of(nvcc, "-ptx", "-arch=compute_75", "--std=c++17", "-Werror",
                "all-warnings", "-Xcicc", "-O0"));
        frontEnd.addAll(files);
        nvcc(frontEnd, dir);
        List<String> ptx = files.stream().map(file -> file.replace(".cu", ".ptx")).toList();
        // ptxas allocates registers and lays out shared memory: what a kernel too big for the target fails on. The
        // two targets assemble side by side, each into its own folder
        List<Process> assemblers = new ArrayList<>();
        List<List<String>> commands = new ArrayList<>();
        for (int arch : ARCHS) {
            Path out = Files.createDirectories(dir.resolve("sm_" + arch));
            List<String> assemble = new ArrayList<>(List.of(nvcc, "-cubin", "-arch=sm_" + arch, "-Xptxas", "-O1",
                    "-odir", out.toString()));
            assemble.addAll(ptx);
            commands.add(assemble);
            assemblers.add(new ProcessBuilder(assemble).directory(dir.toFile()).redirectErrorStream(true).start());
        }
        for (int i = 0; i < ARCHS.length; i++) {
            finish(assemblers.get(i), commands.get(i));
            for (String file : files) {
                Path cubin = dir.resolve("sm_" + ARCHS[i]).resolve(file.replace(".cu", ".cubin"));
                assertTrue(Files.isRegularFile(cubin) && Files.size(cubin) > 0, "no sm_" + ARCHS[i] + " CUBIN for "
                        + file);
            }
        }
    }

    /**
     * The largest fused reduction the planner takes: {@link LaunchPlanner#MAX_REDUCED_OUTPUTS} float64 reductions
     * (the most local memory: an accumulator per reduction and work-item) and written outputs up to {@link
     * LaunchPlanner#MAX_FUSED_REDUCE_OUTPUTS}, of a chain with an integer division (the status word).
     */
    private static KernelSource widestFusedReduction(LaunchPlanner planner) {
        DType f64 = DType.FLOAT64;
        List<FusedElementwise.Step> steps = List.of(
                new FusedElementwise.Step(Primitive.SUB, new int[] {0, 1}, f64),              // 3
                new FusedElementwise.Step(Primitive.DIV, new int[] {2, 2}, DType.INT32),      // 4
                new FusedElementwise.Step(Primitive.CAST, new int[] {4}, f64),                // 5
                new FusedElementwise.Step(Primitive.MUL, new int[] {3, 5}, f64));             // 6
        int[] outputs = new int[LaunchPlanner.MAX_FUSED_REDUCE_OUTPUTS];
        Primitive[] reductions = new Primitive[LaunchPlanner.MAX_REDUCED_OUTPUTS];
        Primitive[] ops = {Primitive.SUM, Primitive.MAX, Primitive.MIN};
        for (int j = 0; j < outputs.length; j++) {
            outputs[j] = j % 2 == 0 ? 6 : 3;
            if (j < reductions.length) {
                reductions[j] = ops[j % ops.length];
            }
        }
        return planner.fusedReduceSource(new FusedElementwise(List.of(f64, f64, DType.INT32), steps, outputs), 0,
                reductions);
    }

    /**
     * A fused reduction whose inputs are draws of each dtype ({@link DrawnInputs}: the Philox recipe in the visit), a
     * normal float32 and a uniform float64 one: {@code sum(x + y)} in float64 and {@code max(x)} in float32.
     */
    private static KernelSource drawnFusedReduction(LaunchPlanner planner) {
        List<FusedElementwise.Step> steps = List.of(
                new FusedElementwise.Step(Primitive.CAST, new int[] {0}, DType.FLOAT64),       // 2
                new FusedElementwise.Step(Primitive.ADD, new int[] {2, 1}, DType.FLOAT64));    // 3
        FusedElementwise kernel = new FusedElementwise(List.of(DType.FLOAT32, DType.FLOAT64), steps, new int[] {3, 0});
        return planner.fusedReduceSource(kernel, 0, new DrawnInputs(0b10, 0b01),
                new Primitive[] {Primitive.SUM, Primitive.MAX});
    }

    private static void nvcc(List<String> command, Path dir) throws Exception {
        finish(new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start(), command);
    }

    private static void finish(Process process, List<String> command) throws Exception {
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(300, TimeUnit.SECONDS), "nvcc did not finish in 5 minutes");
        assertEquals(0, process.exitValue(), String.join(" ", command.subList(0, 6)) + " ... failed:\n" + output);
    }

    /** The NVRTC options the backend passes are the ones this test gives nvcc: the arch, C++17, the defines. */
    @Test
    void theBackendGivesNvrtcTheSameLanguageLevelAndDefines() {
        KernelSource source = new LaunchPlanner(new DeviceLimits(1024, 132, true, false)).allResourceSources().get(0);
        List<String> options = ModuleCache.options(new CompileTarget(true, 90), source);
        assertEquals("--gpu-architecture=sm_90", options.get(0));
        assertTrue(options.contains("--std=c++17"), options.toString());
        // the rendered formulas round once per statement on every backend: no a * b + c contraction
        assertTrue(options.contains("--fmad=false"), options.toString());
        source.defines().forEach((key, value) -> assertTrue(options.contains("-D" + key + "=" + value), options.toString()));
    }

    private static String findNvcc() {
        List<String> candidates = new ArrayList<>();
        for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!folder.isEmpty()) {
                candidates.add(folder + "/nvcc");
            }
        }
        candidates.add("/usr/local/cuda/bin/nvcc");
        return candidates.stream().filter(candidate -> Files.isExecutable(Path.of(candidate))).findFirst().orElse(null);
    }
}
