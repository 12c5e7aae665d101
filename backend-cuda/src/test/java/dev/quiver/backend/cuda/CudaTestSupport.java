package dev.quiver.backend.cuda;

/** What the CUDA tests share: whether this run must have a GPU ({@code -Pgpu} sets {@value #GPU_REQUIRED}). */
final class CudaTestSupport {
    /** System property set by the {@code gpu} Maven profile, together with {@code CI=true}. */
    static final String GPU_REQUIRED = "quiver.gpu.required";

    private CudaTestSupport() {
    }

    /** True under {@code -Pgpu}: a machine without a usable CUDA GPU then fails the CUDA suites instead of skipping. */
    static boolean gpuRequired() {
        return Boolean.getBoolean(GPU_REQUIRED);
    }
}
