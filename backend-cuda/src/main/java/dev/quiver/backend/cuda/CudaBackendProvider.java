package dev.quiver.backend.cuda;

import dev.quiver.spi.Backend;
import dev.quiver.spi.BackendProvider;
import dev.quiver.spi.SignalHandlers;
import java.util.List;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.Loader;

/**
 * Registers the CUDA backend under the name {@code cuda}, with the highest priority of Quiver's backends, so
 * {@code auto} prefers an NVIDIA GPU. Before touching any bytedeco class it probes the native libraries with the
 * foreign function API ({@link CudaLibraries}), so an unavailable backend says exactly why: "no NVIDIA driver
 * (libcuda.so.1 not found)", "CUDA 13 runtime / NVRTC / cuBLAS not found: ...", "driver too old: ...", or how
 * {@code cuInit} failed, by error name.
 *
 * <pre>{@code
 * new CudaBackendProvider().availability();
 * // available: #0 NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB), driver CUDA 13.0, runtime 13.0, NVRTC 13.0 ..., cuBLAS ...
 * // unavailable: no NVIDIA driver (libcuda.so.1 not found)
 * }</pre>
 */
public final class CudaBackendProvider implements BackendProvider {
    /** Above OpenCL on a GPU (20) and the CPU backend (10). */
    static final int PRIORITY = 30;

    private volatile State state;

    /** What loading found, computed once per provider. */
    private record State(String failure, List<CudaDevice> devices, CudaVersions versions, String libraries) {
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Availability availability() {
        State loaded = state();
        if (loaded.failure() != null) {
            return Availability.no(loaded.failure());
        }
        CudaDevice.Choice choice = CudaDevice.choose(loaded.devices(), System.getProperty(CudaDevice.DEVICE_PROPERTY));
        if (choice.device() == null) {
            return Availability.no(choice.reason());
        }
        StringBuilder detail = new StringBuilder(choice.device().toString()).append(", ").append(loaded.versions());
        if (loaded.devices().size() > 1) {
            detail.append("; all GPUs: ").append(loaded.devices());
        }
        return Availability.yes(detail.append("; ").append(loaded.libraries()).toString());
    }

    @Override
    public Backend create() {
        State loaded = state();
        if (loaded.failure() != null) {
            throw new IllegalStateException("cuda: cannot run here: " + loaded.failure());
        }
        CudaDevice.Choice choice = CudaDevice.choose(loaded.devices(), System.getProperty(CudaDevice.DEVICE_PROPERTY));
        if (choice.device() == null) {
            throw new IllegalStateException("cuda: no device to run on: " + choice.reason());
        }
        return new CudaBackend(choice.device(), loaded.versions());
    }

    private State state() {
        State loaded = state;
        if (loaded == null) {
            synchronized (this) {
                if (state == null) {
                    state = load();
                }
                loaded = state;
            }
        }
        return loaded;
    }

    private static State load() {
        SignalHandlers.saveJvmHandlers(); // before the probe dlopens anything native
        CudaLibraries.Probe probe = CudaLibraries.probe(CudaLibraries.foldersFromProperty());
        String libraries = CudaLibraries.describe(probe);
        if (probe.failure() != null) {
            return new State(probe.failure(), List.of(), null, libraries);
        }
        try {
            // only now, with every library known to load: a failed static initialiser would be permanent
            Loader.load(cudart.class);
            Loader.load(nvrtc.class);
            Loader.load(cublas.class);
        } catch (Throwable failure) {
            return new State("bytedeco's CUDA presets failed to load although " + libraries + " did: "
                    + causes(failure), List.of(), null, libraries);
        }
        checkSignalHandlers();
        try {
            return new State(null, CudaDevice.all(), CudaVersions.read(probe.driverVersion()), libraries);
        } catch (RuntimeException failure) {
            return new State(failure.getMessage(), List.of(), null, libraries);
        }
    }

    /**
     * Native libraries may replace the JVM's signal handlers (PoCL's LLVM did; see {@link SignalHandlers}): put back
     * any the CUDA libraries and presets replaced while loading, and say so loudly when that is impossible.
     */
    private static void checkSignalHandlers() {
        SignalHandlers.restoreJvmHandlers("cuda: loading the CUDA libraries and bytedeco's presets");
    }

    /** Every message in the cause chain: bytedeco's top message hides the real one. */
    private static String causes(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            text.append(text.isEmpty() ? "" : " <- ").append(cause);
        }
        return text.toString();
    }
}
