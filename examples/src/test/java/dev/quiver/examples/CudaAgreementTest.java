package dev.quiver.examples;

/**
 * The tutorials' agreement and zero-uploads-per-step checks of {@link BackendAgreementTest} on the CUDA backend.
 * Skips, with the reason, without an NVIDIA GPU; under {@code -Dquiver.gpu.required=true} and {@code CI=true} (the
 * GPU run's setting) a missing GPU is a failure.
 */
class CudaAgreementTest extends BackendAgreementTest {
    @Override
    protected String deviceBackend() {
        return "cuda";
    }

    @Override
    protected boolean requiredInCi() {
        return Boolean.getBoolean("quiver.gpu.required");
    }
}
