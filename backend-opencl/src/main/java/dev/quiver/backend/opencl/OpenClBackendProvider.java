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
 * <p>Ranking and listing start no OpenCL platform when the installed drivers are CPU-only runtimes
 * ({@link InstalledDrivers}, read from the ICD files): PoCL is then loaded only when OpenCL is chosen by name or
 * {@link #diagnose()} lists the devices. With any other driver installed (a GPU's), ranking has to ask the
 * runtime whether a GPU is there; that start sets {@code POCL_SIGFPE_HANDLER=0} and puts back every JVM signal
 * handler a driver replaced ({@link OpenClDevice#all()}).
 *
 * <pre>{@code
 * new OpenClBackendProvider().availability();
 * // available: libpocl.so.2 (PoCL, CPU device drivers: basic, pthread) from /etc/OpenCL/vendors, ...
 * new OpenClBackendProvider().diagnose();
 * // available: #0 Portable Computing Language / pthread-... (CPU, OpenCL 3.0 PoCL ..., 2 compute units, fp64) ...
 * }</pre>
 */
public final class OpenClBackendProvider implements BackendProvider {
    private static final int GPU_PRIORITY = 20;
    private static final int CPU_DEVICE_PRIORITY = 5;
    private static final String CPU_DEVICE_NOTE =
            " (a CPU device: used when opencl is named, auto prefers the cpu backend)";

    private volatile Installation installation;
    private volatile Probe probe;

    /** What the runtime reported once started, computed once per provider. */
    private record Probe(List<OpenClDevice> devices, String failure) {
    }

    /**
     * What is known without starting a platform: why OpenCL cannot load at all ({@code failure}), else the drivers.
     */
    private record Installation(InstalledDrivers drivers, String failure) {
        /** True when no GPU can be there and nothing asks for a particular device: no platform needs to start. */
        boolean answersWithoutStarting() {
            return failure == null && drivers.cpuOnly()
                    && System.getProperty(OpenClDevice.PLATFORM_PROPERTY, "").isBlank()
                    && System.getProperty(OpenClDevice.DEVICE_PROPERTY, "").isBlank();
        }
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public int priority() {
        if (probe == null && installation().answersWithoutStarting()) {
            return CPU_DEVICE_PRIORITY;
        }
        OpenClDevice.Choice auto = choice(false);
        return auto.device() != null ? GPU_PRIORITY : CPU_DEVICE_PRIORITY;
    }

    @Override
    public Availability availability() {
        Installation installed = installation();
        if (installed.failure() != null) {
            return Availability.no(installed.failure());
        }
        if (probe == null && installed.answersWithoutStarting()) {
            return Availability.yes(installed.drivers() + ": CPU devices only, not started until opencl is named "
                    + "(Quiver.diagnose() lists them); auto prefers the cpu backend");
        }
        return fromDevices();
    }

    /** Starts the platform (if nothing did) and lists the device OpenCL would use. */
    @Override
    public Availability diagnose() {
        Installation installed = installation();
        return installed.failure() != null ? Availability.no(installed.failure()) : fromDevices();
    }

    @Override
    public Backend create() {
        OpenClDevice.Choice choice = choice(true);
        if (choice.device() == null) {
            throw new IllegalStateException("opencl: no device to run on: " + choice.reason());
        }
        return new OpenClBackend(choice.device());
    }

    private Availability fromDevices() {
        Probe result = probe();
        if (result.failure() != null) {
            return Availability.no(result.failure());
        }
        OpenClDevice.Choice explicit = choice(true);
        if (explicit.device() == null) {
            return Availability.no(explicit.reason());
        }
        OpenClDevice.Choice auto = choice(false);
        return Availability.yes(explicit.device() + (auto.device() != null ? "" : CPU_DEVICE_NOTE));
    }

    private OpenClDevice.Choice choice(boolean named) {
        Probe result = probe();
        if (result.failure() != null) {
            return new OpenClDevice.Choice(null, result.failure());
        }
        return OpenClDevice.choose(result.devices(), named);
    }

    private Installation installation() {
        Installation result = installation;
        if (result == null) {
            String failure = null;
            try {
                OpenClDevice.loadLibrary();
            } catch (Throwable missing) {
                failure = loadFailure(missing);
            }
            result = new Installation(InstalledDrivers.find(), failure);
            installation = result;
        }
        return result;
    }

    private Probe probe() {
        Probe result = probe;
        if (result == null) {
            String loading = installation().failure();
            if (loading != null) {
                result = new Probe(List.of(), loading);
            } else {
                try {
                    result = new Probe(OpenClDevice.all(), null);
                } catch (Throwable failure) {
                    result = new Probe(List.of(), loadFailure(failure));
                }
            }
            probe = result;
        }
        return result;
    }

    private static String loadFailure(Throwable failure) {
        return switch (failure) {
            case NoClassDefFoundError missingJar ->
                    "JOCL (org.jocl:jocl) is not on the class path: " + missingJar.getMessage();
            case UnsatisfiedLinkError missingLibrary -> "no OpenCL runtime: " + missingLibrary.getMessage()
                    + " (install an ICD loader and a driver, e.g. apt-get install ocl-icd-libopencl1 pocl-opencl-icd)";
            // a broken driver must not take Quiver down: report it
            default -> "OpenCL runtime failed to list devices: " + failure;
        };
    }
}
