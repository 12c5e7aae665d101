package dev.quiver.backend.opencl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The OpenCL drivers installed here, read from the ICD loader's own files without loading any driver: the
 * {@code .icd} files of {@code /etc/OpenCL/vendors} (or {@code $OCL_ICD_VENDORS}) and {@code $OCL_ICD_FILENAMES}.
 *
 * <p>It lets the provider rank OpenCL without starting a platform: when every driver is a CPU-only runtime (PoCL
 * with only its CPU device drivers, Intel's CPU runtime), there is no OpenCL GPU, so {@code auto} leaves OpenCL to
 * the cpu backend and nothing is loaded. Starting PoCL is not free for the JVM (it replaces signal handlers HotSpot
 * needs; see {@link dev.quiver.spi.SignalHandlers}), so a program that never chooses OpenCL never starts it.
 *
 * <pre>{@code
 * InstalledDrivers drivers = InstalledDrivers.find();
 * drivers.cpuOnly();      // true with only pocl-opencl-icd installed
 * drivers.toString();     // "libpocl.so.2 (PoCL, CPU device drivers: basic, pthread) from /etc/OpenCL/vendors"
 * }</pre>
 *
 * @param drivers  one entry per driver library named by an ICD file
 * @param searched where the ICD files were looked for
 */
record InstalledDrivers(List<Driver> drivers, String searched) {
    /** PoCL device drivers ({@code libpocl-devices-NAME.so}) that run on the host CPU. */
    private static final Set<String> POCL_CPU_DEVICE_DRIVERS = Set.of("pthread", "basic", "cpu", "cpu-minimal", "tbb");
    private static final List<String> LIBRARY_DIRECTORIES = List.of("/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/usr/local/lib64");

    /**
     * One driver library.
     *
     * @param library  as the ICD file names it
     * @param cpuOnly  true when it is known to offer CPU devices only
     * @param note     what is known about it, for messages
     */
    record Driver(String library, boolean cpuOnly, String note) {
        @Override
        public String toString() {
            return library + (note.isEmpty() ? "" : " (" + note + ")");
        }
    }

    /** The drivers the ICD loader of this process would load, per its environment variables. */
    static InstalledDrivers find() {
        return find(System.getenv(), System.getProperty("os.name", ""));
    }

    /** As {@link #find()}, with the environment given (tests). */
    static InstalledDrivers find(Map<String, String> environment, String osName) {
        if (!osName.toLowerCase(Locale.ROOT).contains("linux")) {
            return new InstalledDrivers(List.of(), "nowhere (ICD files are read on Linux only)");
        }
        List<Driver> drivers = new ArrayList<>();
        String vendors = environment.getOrDefault("OCL_ICD_VENDORS", "");
        Path vendorsPath = Path.of(vendors.isEmpty() ? "/etc/OpenCL/vendors" : vendors);
        String searched = vendorsPath.toString();
        if (Files.isDirectory(vendorsPath)) {
            try (Stream<Path> files = Files.list(vendorsPath)) {
                for (Path icd : files.filter(file -> file.toString().endsWith(".icd")).sorted().toList()) {
                    readIcd(icd, environment, drivers);
                }
            } catch (IOException unreadable) {
                searched += " (unreadable: " + unreadable.getMessage() + ")";
            }
        } else if (vendorsPath.toString().endsWith(".icd") && Files.isRegularFile(vendorsPath)) {
            readIcd(vendorsPath, environment, drivers);
        } else if (Files.isRegularFile(vendorsPath)) {   // the loader also takes a library here
            drivers.add(describe(vendorsPath.toString(), environment));
        }
        String filenames = environment.getOrDefault("OCL_ICD_FILENAMES", "");
        if (!filenames.isEmpty()) {
            searched += " and OCL_ICD_FILENAMES";
            for (String library : filenames.split(":")) {
                if (!library.isBlank()) {
                    drivers.add(describe(library.trim(), environment));
                }
            }
        }
        return new InstalledDrivers(List.copyOf(drivers), searched);
    }

    /** True when there is at least one driver and every driver offers CPU devices only: no OpenCL GPU here. */
    boolean cpuOnly() {
        return !drivers.isEmpty() && drivers.stream().allMatch(Driver::cpuOnly);
    }

    @Override
    public String toString() {
        return (drivers.isEmpty() ? "no OpenCL driver" : String.join(", ", drivers.stream()
                .map(Driver::toString).toList())) + " from " + searched;
    }

    private static void readIcd(Path icd, Map<String, String> environment, List<Driver> drivers) {
        try {
            String library = Files.readString(icd, StandardCharsets.UTF_8).lines().map(String::trim)
                    .filter(line -> !line.isEmpty()).findFirst().orElse("");
            if (!library.isEmpty()) {
                drivers.add(describe(library, environment));
            }
        } catch (IOException unreadable) {
            drivers.add(new Driver(icd.toString(), false, "unreadable ICD file"));
        }
    }

    private static Driver describe(String library, Map<String, String> environment) {
        String file = Path.of(library).getFileName().toString();
        if (file.startsWith("libintelocl")) {
            return new Driver(library, true, "Intel CPU runtime");
        }
        if (!file.startsWith("libpocl")) {
            return new Driver(library, false, "");
        }
        // PoCL loads one module per device kind; only CPU modules (or POCL_DEVICES naming only CPU kinds) mean
        // no GPU. PoCL built with its drivers inside, or one whose modules cannot be found, counts as unknown.
        String selected = environment.getOrDefault("POCL_DEVICES", "").trim();
        if (!selected.isEmpty()) {
            boolean cpu = Stream.of(selected.split("[\\s,]+")).allMatch(POCL_CPU_DEVICE_DRIVERS::contains);
            return new Driver(library, cpu, "PoCL, POCL_DEVICES=" + selected);
        }
        for (Path directory : libraryDirectories(library, environment)) {
            Path modules = directory.resolve("pocl");
            if (!Files.isRegularFile(directory.resolve(file)) || !Files.isDirectory(modules)) {
                continue;
            }
            List<String> kinds = new ArrayList<>();
            try (Stream<Path> entries = Files.list(modules)) {
                for (Path module : entries.toList()) {
                    String name = module.getFileName().toString();
                    if (name.startsWith("libpocl-devices-") && name.endsWith(".so")) {
                        kinds.add(name.substring("libpocl-devices-".length(), name.length() - ".so".length()));
                    }
                }
            } catch (IOException unreadable) {
                continue;
            }
            kinds.sort(null);
            boolean cpu = !kinds.isEmpty() && POCL_CPU_DEVICE_DRIVERS.containsAll(kinds);
            return new Driver(library, cpu, "PoCL, " + (cpu ? "CPU " : "") + "device drivers: "
                    + String.join(", ", kinds));
        }
        return new Driver(library, false, "PoCL, device drivers not found");
    }

    private static List<Path> libraryDirectories(String library, Map<String, String> environment) {
        Path path = Path.of(library);
        if (path.isAbsolute()) {
            return path.getParent() == null ? List.of() : List.of(path.getParent());
        }
        List<Path> directories = new ArrayList<>();
        for (String entry : environment.getOrDefault("LD_LIBRARY_PATH", "").split(":")) {
            if (!entry.isBlank()) {
                directories.add(Path.of(entry));
            }
        }
        LIBRARY_DIRECTORIES.forEach(directory -> directories.add(Path.of(directory)));
        return directories;
    }
}
