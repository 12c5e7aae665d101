package dev.quiver.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the native CUDA libraries with the JDK's foreign function API before any bytedeco class is touched. A
 * bytedeco class whose static initialiser fails stays broken for the life of the JVM, and its message ("no
 * jnicudart in java.library.path") hides the real cause; probing first lets the backend say which library is
 * missing, whether the driver is too old, and how {@code cuInit} failed (by error name).
 *
 * <p>Folders in {@value #LIBRARY_PATH_PROPERTY} (separated by {@code :}) are searched first, then the system's
 * library path. A library found in a folder is loaded from there, so the JNI wrappers later find it by its soname
 * even when the folder is not on {@code LD_LIBRARY_PATH}.
 *
 * <pre>{@code
 * CudaLibraries.Probe probe = CudaLibraries.probe(CudaLibraries.foldersFromProperty());
 * probe.failure();   // "no NVIDIA driver (libcuda.so.1 not found)" on a machine without a GPU driver
 * }</pre>
 */
final class CudaLibraries {
    /** System property: extra folders holding the CUDA 13 libraries, searched before the system path. */
    static final String LIBRARY_PATH_PROPERTY = "quiver.cuda.libraryPath";
    static final String DRIVER = "libcuda.so.1";
    /** The CUDA 13 user-space libraries the backend needs, with the name a user knows each by. */
    static final Map<String, String> LIBRARIES = libraries();
    /** Where the dynamic loader looks after LD_LIBRARY_PATH and its cache (x86-64 Linux). */
    private static final List<String> DEFAULT_FOLDERS = List.of("/lib", "/usr/lib", "/lib64", "/usr/lib64",
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu");
    /** The oldest driver API the backend runs on: CUDA 13.0 (driver 580). */
    static final int REQUIRED_DRIVER_VERSION = 13_000;

    private CudaLibraries() {
    }

    private static Map<String, String> libraries() {
        Map<String, String> libraries = new LinkedHashMap<>();
        libraries.put("libcudart.so.13", "runtime");
        libraries.put("libnvrtc.so.13", "NVRTC");
        libraries.put("libcublas.so.13", "cuBLAS");
        return libraries;
    }

    /**
     * What the probe found.
     *
     * @param failure       why the backend cannot run, or {@code null} when every library loads and cuInit works
     * @param driverVersion the driver API version ({@code 13000} for 13.0), 0 when unknown
     * @param locations     each library and where it was found (a path, or "system path")
     */
    record Probe(String failure, int driverVersion, Map<String, String> locations) {
    }

    /** The folders named by {@value #LIBRARY_PATH_PROPERTY}, in order; empty when it is not set. */
    static List<Path> foldersFromProperty() {
        List<Path> folders = new ArrayList<>();
        for (String folder : System.getProperty(LIBRARY_PATH_PROPERTY, "").split(File.pathSeparator)) {
            if (!folder.isBlank()) {
                folders.add(Path.of(folder.trim()));
            }
        }
        return folders;
    }

    /** Loads the driver and the CUDA 13 libraries, checks the driver's version and runs {@code cuInit(0)}. */
    static Probe probe(List<Path> folders) {
        Map<String, String> locations = new LinkedHashMap<>();
        Found driver = find(DRIVER, folders);
        if (driver.lookup() == null) {
            return new Probe("no NVIDIA driver (" + DRIVER + " not found" + driver.detail() + ")", 0, locations);
        }
        locations.put(DRIVER, driver.location());
        List<String> missingNames = new ArrayList<>();
        List<String> missingFiles = new ArrayList<>();
        for (Map.Entry<String, String> library : LIBRARIES.entrySet()) {
            Found found = find(library.getKey(), folders);
            if (found.lookup() == null) {
                missingNames.add(library.getValue());
                missingFiles.add(library.getKey() + found.detail());
            } else {
                locations.put(library.getKey(), found.location());
            }
        }
        if (!missingNames.isEmpty()) {
            return new Probe("CUDA 13 " + String.join(" / ", missingNames) + " not found (" + String.join(", ",
                    missingFiles) + "): add its folder to LD_LIBRARY_PATH or set " + LIBRARY_PATH_PROPERTY,
                    0, locations);
        }
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lookup = driver.lookup();
            MemorySegment version = arena.allocate(ValueLayout.JAVA_INT);
            int status = (int) function(lookup, "cuDriverGetVersion", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS)).invokeExact(version);
            int driverVersion = status == 0 ? version.get(ValueLayout.JAVA_INT, 0) : 0;
            if (status != 0) {
                return new Probe("cuDriverGetVersion failed: " + errorName(lookup, status), 0, locations);
            }
            if (driverVersion < REQUIRED_DRIVER_VERSION) {
                return new Probe("driver too old: it supports CUDA " + versionText(driverVersion)
                        + ", the CUDA backend needs CUDA " + versionText(REQUIRED_DRIVER_VERSION)
                        + " or newer (NVIDIA driver 580+)", driverVersion, locations);
            }
            int init = (int) function(lookup, "cuInit", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT)).invokeExact(0);
            if (init != 0) {
                return new Probe("cuInit failed: " + errorName(lookup, init), driverVersion, locations);
            }
            return new Probe(null, driverVersion, locations);
        } catch (Throwable failure) { // a broken driver must not take Quiver down: report it
            return new Probe("the CUDA driver failed while probed: " + failure, 0, locations);
        }
    }

    /** {@code 13000} as {@code "13.0"}, the way CUDA prints its versions. */
    static String versionText(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }

    /** A library's lookup and where it came from, or why it could not be loaded. */
    private record Found(SymbolLookup lookup, String location, String detail) {
    }

    /**
     * True when the dynamic loader certainly cannot find {@code name}: it is in none of the folders, none of
     * {@code LD_LIBRARY_PATH}'s, not in the loader's cache ({@code /etc/ld.so.cache}) and not in the default
     * folders. A plain file check, because the first use of the foreign function API costs a noticeable part of a
     * second at start-up, and every {@code auto} selection on a machine without a GPU asks this first.
     */
    static boolean certainlyAbsent(String name, List<Path> folders) {
        List<Path> places = new ArrayList<>(folders);
        for (String folder : System.getenv().getOrDefault("LD_LIBRARY_PATH", "").split(File.pathSeparator)) {
            if (!folder.isBlank()) {
                places.add(Path.of(folder));
            }
        }
        for (String folder : DEFAULT_FOLDERS) {
            places.add(Path.of(folder));
        }
        for (Path place : places) {
            if (Files.exists(place.resolve(name))) {
                return false;
            }
        }
        try {
            byte[] cache = Files.readAllBytes(Path.of("/etc/ld.so.cache"));
            return !new String(cache, StandardCharsets.ISO_8859_1).contains(name);
        } catch (IOException | RuntimeException noCache) {
            return false;   // cannot tell: let the loader look
        }
    }

    private static Found find(String name, List<Path> folders) {
        if (certainlyAbsent(name, folders)) {
            return new Found(null, null, folders.isEmpty() ? "" : " in " + folders
                    + " nor on the system library path");
        }
        List<String> failures = new ArrayList<>();
        for (Path folder : folders) {
            Path file = folder.resolve(name);
            if (Files.exists(file)) {
                try {
                    return new Found(SymbolLookup.libraryLookup(file, Arena.global()), file.toString(), "");
                } catch (IllegalArgumentException failure) {
                    failures.add(file + ": " + failure.getMessage());
                }
            }
        }
        try {
            return new Found(SymbolLookup.libraryLookup(name, Arena.global()), "system library path", "");
        } catch (IllegalArgumentException notFound) {
            // the loader's own message only repeats the name; a file that exists but failed to load says more
            if (!failures.isEmpty()) {
                return new Found(null, null, ": " + String.join("; ", failures));
            }
            return new Found(null, null, folders.isEmpty() ? "" : " in " + folders + " nor on the system library path");
        }
    }

    private static MethodHandle function(SymbolLookup lookup, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lookup.find(name).orElseThrow(() -> new IllegalStateException(
                DRIVER + " has no symbol " + name + " (not an NVIDIA driver library?)"));
        return Linker.nativeLinker().downcallHandle(symbol, descriptor);
    }

    /** {@code CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)} from the driver's own tables. */
    static String errorName(SymbolLookup lookup, int status) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(ValueLayout.ADDRESS);
            FunctionDescriptor describe = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS);
            String name = "error " + status;
            if ((int) function(lookup, "cuGetErrorName", describe).invokeExact(status, text) == 0) {
                name = cString(text.get(ValueLayout.ADDRESS, 0));
            }
            if ((int) function(lookup, "cuGetErrorString", describe).invokeExact(status, text) == 0) {
                name += " (" + cString(text.get(ValueLayout.ADDRESS, 0)) + ")";
            }
            return name;
        } catch (Throwable failure) {
            return "error " + status + " (no name: " + failure.getMessage() + ")";
        }
    }

    private static String cString(MemorySegment pointer) {
        return pointer.equals(MemorySegment.NULL) ? "?" : pointer.reinterpret(4096).getString(0);
    }

    /** One line per library found, for diagnostics. */
    static String describe(Probe probe) {
        StringBuilder text = new StringBuilder();
        probe.locations().forEach((name, where) -> text.append(text.isEmpty() ? "" : ", ").append(name)
                .append(" from ").append(where));
        return text.isEmpty() ? "no CUDA library found" : text.toString();
    }
}
