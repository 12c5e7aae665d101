package dev.quiver.backend.cuda;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What NVRTC compiles to for one device: CUBIN for the device's exact {@code sm_XY} whenever NVRTC knows that
 * architecture, PTX only when it does not and NVRTC is no newer than the driver. PTX from a newer NVRTC carries a
 * PTX ISA version the older driver's JIT rejects (NVRTC 13.3 writes {@code .version 9.3}, the 13.0 driver stops at
 * 9.0: "Unsupported .version 9.3"), and CUBIN needs no JIT at all.
 *
 * <pre>{@code
 * CompileTarget target = CompileTarget.choose(90, new int[] {75, 80, 86, 89, 90, 100, 120}, 13_030, 13_000);
 * target.option();     // "--gpu-architecture=sm_90"
 * target.cacheFileName("...source...", "-DT=q_f32", 13_030);   // "3fa1...-sm_90-nvrtc13.3.cubin"
 * }</pre>
 *
 * @param cubin whether the output is CUBIN (else PTX)
 * @param arch  the architecture as {@code 10 * major + minor}: {@code 90} for sm_90
 */
record CompileTarget(boolean cubin, int arch) {

    /**
     * @param deviceArch    the device's compute capability, {@code 10 * major + minor}
     * @param nvrtcArchs    the architectures NVRTC can emit ({@code nvrtcGetSupportedArchs})
     * @param nvrtcVersion  NVRTC's version as {@code 1000 * major + 10 * minor}
     * @param driverVersion the driver API version ({@code cuDriverGetVersion})
     * @throws IllegalStateException when neither CUBIN nor loadable PTX can be made, saying what to install
     */
    static CompileTarget choose(int deviceArch, int[] nvrtcArchs, int nvrtcVersion, int driverVersion) {
        if (Arrays.stream(nvrtcArchs).anyMatch(arch -> arch == deviceArch)) {
            return new CompileTarget(true, deviceArch);
        }
        int newestBelow = Arrays.stream(nvrtcArchs).filter(arch -> arch < deviceArch).max().orElse(-1);
        if (newestBelow < 0) {
            throw new IllegalStateException("cuda: NVRTC " + CudaLibraries.versionText(nvrtcVersion)
                    + " cannot compile for sm_" + deviceArch + " (it knows " + Arrays.toString(nvrtcArchs) + ")");
        }
        if (nvrtcVersion > driverVersion) {
            throw new IllegalStateException("cuda: NVRTC " + CudaLibraries.versionText(nvrtcVersion)
                    + " does not know sm_" + deviceArch + ", and its PTX would be newer than the driver (CUDA "
                    + CudaLibraries.versionText(driverVersion) + ") can load: use an NVRTC that knows sm_"
                    + deviceArch + ", or one no newer than the driver");
        }
        return new CompileTarget(false, newestBelow);
    }

    /** The NVRTC option selecting this target. */
    String option() {
        return "--gpu-architecture=" + (cubin ? "sm_" : "compute_") + arch;
    }

    /** {@code sm_90} or {@code compute_90}. */
    String name() {
        return (cubin ? "sm_" : "compute_") + arch;
    }

    /**
     * The on-disk cache entry of a program: keyed by the hash of the rendered source and its options, the target
     * and the NVRTC version, so a new NVRTC or another GPU never loads a stale binary.
     */
    String cacheFileName(String renderedSource, String options, int nvrtcVersion) {
        return sha256(renderedSource + "\n//" + options) + "-" + name() + "-nvrtc"
                + CudaLibraries.versionText(nvrtcVersion) + (cubin ? ".cubin" : ".ptx");
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
