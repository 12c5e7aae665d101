package dev.quiver.backend.cuda;

import static org.bytedeco.cuda.global.cublas.cublasGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetNumSupportedArchs;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetSupportedArchs;
import static org.bytedeco.cuda.global.nvrtc.nvrtcVersion;

import java.util.Arrays;

/**
 * The versions of the CUDA pieces the backend runs on, as {@code 1000 * major + 10 * minor} (CUDA's own encoding),
 * and the architectures NVRTC can compile for. Read once, after the presets loaded.
 *
 * <pre>{@code
 * CudaVersions versions = CudaVersions.read(13_000);
 * versions.toString();   // "driver CUDA 13.0, runtime 13.0, NVRTC 13.0, cuBLAS 130100"
 * }</pre>
 *
 * @param driver     the driver API version
 * @param runtime    libcudart's version
 * @param nvrtc      libnvrtc's version
 * @param nvrtcArchs the {@code sm_XY} NVRTC can emit, as {@code XY}
 * @param cublas     cuBLAS's version as it reports it ({@code 130100} for 13.1.0)
 */
record CudaVersions(int driver, int runtime, int nvrtc, int[] nvrtcArchs, int cublas) {

    static CudaVersions read(int driverVersion) {
        int[] runtime = new int[1];
        int runtimeStatus = cudaRuntimeGetVersion(runtime);
        if (runtimeStatus != 0) {   // a runtime API status (cudaError_t), not a driver one
            throw new IllegalStateException("cuda: cudaRuntimeGetVersion failed: cudaError " + runtimeStatus);
        }
        int[] major = new int[1];
        int[] minor = new int[1];
        CudaCheck.checkNvrtc(nvrtcVersion(major, minor), "nvrtcVersion");
        int[] count = new int[1];
        CudaCheck.checkNvrtc(nvrtcGetNumSupportedArchs(count), "nvrtcGetNumSupportedArchs");
        int[] archs = new int[count[0]];
        CudaCheck.checkNvrtc(nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs");
        int[] cublas = new int[1];
        CudaCheck.checkCublas(cublasGetVersion(cublas), "cublasGetVersion");
        return new CudaVersions(driverVersion, runtime[0], 1000 * major[0] + 10 * minor[0], archs, cublas[0]);
    }

    @Override
    public String toString() {
        return "driver CUDA " + CudaLibraries.versionText(driver) + ", runtime " + CudaLibraries.versionText(runtime)
                + ", NVRTC " + CudaLibraries.versionText(nvrtc) + " (sm " + Arrays.toString(nvrtcArchs) + "), cuBLAS "
                + cublas / 10000 + "." + cublas / 100 % 100 + "." + cublas % 100;
    }
}
