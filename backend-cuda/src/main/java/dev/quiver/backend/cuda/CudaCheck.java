package dev.quiver.backend.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cublas.cublasGetStatusName;
import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuGetErrorName;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The one place CUDA status codes become names: driver API ({@code CUDA_ERROR_OUT_OF_MEMORY}), NVRTC and cuBLAS.
 * Every failed call throws an {@link IllegalStateException} that says what was being done and the error's name.
 *
 * <pre>{@code
 * CudaCheck.check(cuStreamSynchronize(stream), "synchronize");
 * // IllegalStateException: cuda: synchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access ...)
 * }</pre>
 */
final class CudaCheck {
    private CudaCheck() {
    }

    /** Throws when a driver API call failed. */
    static void check(int status, String what) {
        if (status != CUDA_SUCCESS) {
            throw new IllegalStateException("cuda: " + what + " failed: " + name(status));
        }
    }

    /** {@code CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)}. */
    static String name(int status) {
        try (PointerPointer<BytePointer> text = new PointerPointer<>(1)) {
            String name = cuGetErrorName(status, text) == CUDA_SUCCESS ? text.getString(0) : "CUDA error " + status;
            if (cuGetErrorString(status, text) == CUDA_SUCCESS) {
                name += " (" + text.getString(0) + ")";
            }
            return name;
        }
    }

    /** Throws when an NVRTC call failed. */
    static void checkNvrtc(int status, String what) {
        if (status != NVRTC_SUCCESS) {
            throw new IllegalStateException("cuda: " + what + " failed: " + nvrtcGetErrorString(status).getString());
        }
    }

    /** Throws when a cuBLAS call failed. */
    static void checkCublas(int status, String what) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException("cuda: " + what + " failed: " + cublasGetStatusName(status).getString());
        }
    }
}
