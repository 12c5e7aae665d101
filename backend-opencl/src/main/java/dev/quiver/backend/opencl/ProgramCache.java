package dev.quiver.backend.opencl;

import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.clBuildProgram;
import static org.jocl.CL.clCreateKernel;
import static org.jocl.CL.clCreateProgramWithSource;
import static org.jocl.CL.clGetProgramBuildInfo;
import static org.jocl.CL.clReleaseKernel;
import static org.jocl.CL.clReleaseProgram;

import dev.quiver.kernels.Dialect;
import dev.quiver.kernels.KernelSource;
import dev.quiver.spi.SignalHandlers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * Compiled programs and their kernels, keyed by (hash of the rendered source, compiler options, device), so each
 * program is built once per backend. A failed build throws with the compiler's log.
 *
 * <pre>{@code
 * cl_kernel kernel = programs.kernel(ElementwiseKernels.source(...), "exp_f32_c");
 * }</pre>
 */
final class ProgramCache {
    private final cl_context context;
    private final OpenClDevice device;
    private final Map<String, cl_program> programs = new HashMap<>();
    // the planner hands out the same KernelSource instances, so this lookup costs no rendering and no hashing
    private final Map<KernelSource, Map<String, cl_kernel>> kernels = new HashMap<>();
    private long buildNanos;

    ProgramCache(cl_context context, OpenClDevice device) {
        this.context = context;
        this.device = device;
    }

    /** The kernel {@code name} of {@code source}, building the program on first use. Not thread-safe: callers lock. */
    cl_kernel kernel(KernelSource source, String name) {
        Map<String, cl_kernel> ofSource = kernels.computeIfAbsent(source, key -> new HashMap<>());
        cl_kernel kernel = ofSource.get(name);
        if (kernel == null) {
            String text = Dialect.OPENCL.render(source);
            String programKey = sha256(text) + " " + source.options() + " @" + device.index();
            cl_program program = programs.computeIfAbsent(programKey, key -> build(source, text));
            kernel = clCreateKernel(program, name, null);
            ofSource.put(name, kernel);
        }
        return kernel;
    }

    private cl_program build(KernelSource source, String text) {
        long start = System.nanoTime();
        cl_program program = clCreateProgramWithSource(context, 1, new String[] {text}, null, null);
        try {
            clBuildProgram(program, 1, new cl_device_id[] {device.device()}, source.options(), null, null);
        } catch (CLException failure) {
            String log = buildLog(program);
            clReleaseProgram(program);
            throw new IllegalStateException("opencl: building kernel program " + source.name() + " for " + device.name()
                    + " failed (" + failure.getMessage() + ", options '" + source.options() + "'):\n" + log, failure);
        } finally {
            // a compiler inside the driver (PoCL's LLVM) installs its crash handlers on every build
            SignalHandlers.restoreJvmHandlers("opencl: building kernel program " + source.name());
        }
        buildNanos += System.nanoTime() - start;
        return program;
    }

    private String buildLog(cl_program program) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(program, device.device(), CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) size[0]];
            clGetProgramBuildInfo(program, device.device(), CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            return new String(log, StandardCharsets.UTF_8).trim();
        } catch (CLException e) {
            return "(no build log: " + e.getMessage() + ")";
        }
    }

    /** Programs built and the time spent building them. */
    String describe() {
        return programs.size() + " programs built in " + buildNanos / 1_000_000 + " ms";
    }

    void close() {
        kernels.values().forEach(ofSource -> ofSource.values().forEach(kernel -> clReleaseKernel(kernel)));
        programs.values().forEach(program -> clReleaseProgram(program));
        kernels.clear();
        programs.clear();
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
