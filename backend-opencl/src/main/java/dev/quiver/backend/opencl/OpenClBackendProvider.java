package dev.quiver.backend.opencl;

import dev.quiver.spi.Backend;
import dev.quiver.spi.BackendProvider;
import java.util.List;

/**
 * Registers the OpenCL backend under the name {@code opencl}. Its priority depends on the device: above the CPU
 * backend for a GPU (or a device named by {@value OpenClDevice#DEVICE_PROPERTY}), below it when the only devices
 * are CPUs (PoCL), so {@code auto} never prefers a CPU OpenCL runtime over Quiver's own CPU backend, while
 * {@code --backend opencl} still runs on it. Without an OpenCL runtime it is unavailable and says why.
 *
 * <pre>{@code
 * new OpenClBackendProvider().availability();
 * // available: #0 Portable Computing Language / pthread-... (CPU, OpenCL 3.0 PoCL ..., 2 compute units, fp64) ...
 * }</pre>
 */
public final class OpenClBackendProvider implements BackendProvider {
    private static final int GPU_PRIORITY = 20;
    private static final int CPU_DEVICE_PRIORITY = 5;

    private volatile Probe probe;

    /** What the runtime reported, computed once per provider. */
    private record Probe(List<OpenClDevice> devices, String failure) {
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public int priority() {
        OpenClDevice.Choice auto = choice(false);
        return auto.device() != null ? GPU_PRIORITY : CPU_DEVICE_PRIORITY;
    }

    @Override
    public Availability availability() {
        Probe result = probe();
        if (result.failure() != null) {
            return Availability.no(result.failure());
        }
        OpenClDevice.Choice explicit = choice(true);
        if (explicit.device() == null) {
            return Availability.no(explicit.reason());
        }
        OpenClDevice.Choice auto = choice(false);
        String note = auto.device() != null ? "" : " (a CPU device: used when opencl is named, auto prefers the cpu backend)";
        return Availability.yes(explicit.device() + note);
    }

    @Override
    public Backend create() {
        OpenClDevice.Choice choice = choice(true);
        if (choice.device() == null) {
            throw new IllegalStateException("opencl: no device to run on: " + choice.reason());
        }
        return new OpenClBackend(choice.device());
    }

    private OpenClDevice.Choice choice(boolean named) {
        Probe result = probe();
        if (result.failure() != null) {
            return new OpenClDevice.Choice(null, result.failure());
        }
        return OpenClDevice.choose(result.devices(), named);
    }

    private Probe probe() {
        Probe result = probe;
        if (result == null) {
            try {
                result = new Probe(OpenClDevice.all(), null);
            } catch (NoClassDefFoundError missingJar) {
                result = new Probe(List.of(), "JOCL (org.jocl:jocl) is not on the class path: "
                        + missingJar.getMessage());
            } catch (UnsatisfiedLinkError missingLibrary) {
                result = new Probe(List.of(), "no OpenCL runtime: " + missingLibrary.getMessage()
                        + " (install an ICD loader and a driver, e.g. apt-get install ocl-icd-libopencl1 pocl-opencl-icd)");
            } catch (Throwable failure) { // a broken driver must not take Quiver down: report it
                result = new Probe(List.of(), "OpenCL runtime failed to list devices: " + failure);
            }
            probe = result;
        }
        return result;
    }
}
