package dev.quiver.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;
import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTX;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTXSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

import dev.quiver.kernels.Dialect;
import dev.quiver.kernels.KernelSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Compiled kernel modules: each program is rendered in the CUDA dialect, compiled by NVRTC for the device's
 * {@link CompileTarget} and loaded with {@code cuModuleLoadData}, once per backend. Binaries are also kept on disk
 * under {@value #CACHE_DIR_PROPERTY} (default {@code $XDG_CACHE_HOME/quiver/cuda}, else {@code ~/.cache/quiver/cuda}),
 * named by (source hash, target, NVRTC version), so a second run skips NVRTC. A failed compile throws with NVRTC's log.
 *
 * <pre>{@code
 * CUfunc_st kernel = modules.function(launch.source(), launch.kernel());
 * }</pre>
 */
final class ModuleCache {
    /** System property: the folder of the on-disk CUBIN cache. */
    static final String CACHE_DIR_PROPERTY = "quiver.cuda.cacheDir";

    private final CompileTarget target;
    private final int nvrtcVersion;
    private final Path cacheDir;
    private final Map<String, CUmod_st> modules = new HashMap<>();
    // the planner hands out the same KernelSource instances, so this lookup costs no rendering and no hashing
    private final Map<KernelSource, Map<String, CUfunc_st>> functions = new HashMap<>();
    private long compileNanos;
    private int diskHits;
    private String diskProblem;

    ModuleCache(CompileTarget target, int nvrtcVersion, Path cacheDir) {
        this.target = target;
        this.nvrtcVersion = nvrtcVersion;
        this.cacheDir = cacheDir;
    }

    /** The folder {@value #CACHE_DIR_PROPERTY} names, else the user's cache directory. */
    static Path cacheDirFromProperty() {
        String configured = System.getProperty(CACHE_DIR_PROPERTY, "").trim();
        if (!configured.isEmpty()) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("quiver").resolve("cuda");
    }

    /** The kernel {@code name} of {@code source}, compiling and loading its module on first use. Callers lock. */
    CUfunc_st function(KernelSource source, String name) {
        Map<String, CUfunc_st> ofSource = functions.computeIfAbsent(source, key -> new HashMap<>());
        CUfunc_st function = ofSource.get(name);
        if (function == null) {
            String text = Dialect.CUDA.render(source);
            String file = target.cacheFileName(text, source.options(), nvrtcVersion);
            CUmod_st module = modules.get(file);
            if (module == null) {
                module = load(source, binary(source, text, file));
                modules.put(file, module);
            }
            function = new CUfunc_st();
            CudaCheck.check(cuModuleGetFunction(function, module, name), "cuModuleGetFunction(" + name + ") of "
                    + source.name());
            ofSource.put(name, function);
        }
        return function;
    }

    private byte[] binary(KernelSource source, String text, String file) {
        Path cached = cacheDir == null ? null : cacheDir.resolve(file);
        if (cached != null && Files.isRegularFile(cached)) {
            try {
                byte[] bytes = Files.readAllBytes(cached);
                diskHits++;
                return bytes;
            } catch (IOException unreadable) {
                diskProblem = "cannot read " + cached + ": " + unreadable.getMessage();
            }
        }
        byte[] bytes = compile(source, text);
        if (cached != null) {
            try {   // written aside and moved, so a concurrent reader never sees half a binary
                Files.createDirectories(cacheDir);
                Path partial = Files.createTempFile(cacheDir, file, ".partial");
                Files.write(partial, bytes);
                Files.move(partial, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | UnsupportedOperationException unwritable) {
                diskProblem = "cannot write " + cached + ": " + unwritable;
            }
        }
        return bytes;
    }

    /**
     * NVRTC's options for a program: the target, C++17, no fused multiply-add contraction (rendered formulas
     * round once per statement, like the CPU and OpenCL; fma only where a formula says fma), and the defines.
     */
    static List<String> options(CompileTarget target, KernelSource source) {
        List<String> options = new ArrayList<>(List.of(target.option(), "--std=c++17", "--fmad=false"));
        if (!source.options().isEmpty()) {
            options.addAll(Arrays.asList(source.options().split(" ")));
        }
        return options;
    }

    private byte[] compile(KernelSource source, String text) {
        long start = System.nanoTime();
        List<String> options = options(target, source);
        _nvrtcProgram program = new _nvrtcProgram();
        CudaCheck.checkNvrtc(nvrtcCreateProgram(program, new BytePointer(text), new BytePointer(source.name() + ".cu"),
                0, (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram for " + source.name());
        try (PointerPointer<BytePointer> optionPointers = new PointerPointer<>(options.toArray(String[]::new))) {
            int status = nvrtcCompileProgram(program, options.size(), optionPointers);
            if (status != NVRTC_SUCCESS) {
                throw new IllegalStateException("cuda: NVRTC compiling kernel program " + source.name() + " for "
                        + target.name() + " failed (" + nvrtcGetErrorString(status).getString() + ", options "
                        + options + "):\n" + log(program));
            }
            try (SizeTPointer size = new SizeTPointer(1)) {
                CudaCheck.checkNvrtc(target.cubin() ? nvrtcGetCUBINSize(program, size) : nvrtcGetPTXSize(program, size),
                        "size of the binary of " + source.name());
                try (BytePointer image = new BytePointer(size.get())) {
                    CudaCheck.checkNvrtc(target.cubin() ? nvrtcGetCUBIN(program, image) : nvrtcGetPTX(program, image),
                            "binary of " + source.name());
                    byte[] bytes = new byte[(int) size.get()];
                    image.get(bytes);
                    compileNanos += System.nanoTime() - start;
                    return bytes;   // PTX includes its terminating NUL, as cuModuleLoadData wants it
                }
            }
        } finally {
            nvrtcDestroyProgram(program);
        }
    }

    private static String log(_nvrtcProgram program) {
        try (SizeTPointer size = new SizeTPointer(1)) {
            if (nvrtcGetProgramLogSize(program, size) != NVRTC_SUCCESS) {
                return "(no log)";
            }
            try (BytePointer log = new BytePointer(size.get())) {
                nvrtcGetProgramLog(program, log);
                return log.getString(StandardCharsets.UTF_8).trim();
            }
        }
    }

    private CUmod_st load(KernelSource source, byte[] binary) {
        CUmod_st module = new CUmod_st();
        try (BytePointer image = new BytePointer(binary)) {
            CudaCheck.check(cuModuleLoadData(module, image), "cuModuleLoadData of " + source.name() + " ("
                    + target.name() + ", " + binary.length + " bytes)");
        }
        return module;
    }

    /** Modules loaded, how many came from disk, the time spent in NVRTC, and any disk cache problem. */
    String describe() {
        return modules.size() + " modules for " + target.name() + " (" + diskHits + " from " + cacheDir + ", NVRTC "
                + compileNanos / 1_000_000 + " ms)" + (diskProblem == null ? "" : "; disk cache: " + diskProblem);
    }

    void close() {
        modules.values().forEach(module -> cuModuleUnload(module));
        modules.clear();
        functions.clear();
    }
}
