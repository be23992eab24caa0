package org.transformers4j.backend.cuda;

import static org.transformers4j.bindings.cudart.cudart_h.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.transformers4j.backend.NativeLibraries;
import org.transformers4j.bindings.cuda.t4j_cuda_h;

/**
 * Finds what the GPU backend needs, at run time: the CUDA runtime and cuBLAS of an installed
 * toolkit (CUDA 13 or 12; {@code CUDA_HOME}, {@code CUDA_PATH}, {@code /usr/local/cuda*},
 * {@code LD_LIBRARY_PATH} and the system library folders are searched), a GPU the driver
 * reports, and libt4j_cuda from this build (or the one {@value #KERNELS_PROPERTY} names).
 * {@link #availability()} says whether all are there and, if not, which one is missing.
 */
public final class Cuda {
    private static final List<String> VERSIONS = List.of("13", "12");
    /** A system property naming a libt4j_cuda to load instead of the jar's. */
    public static final String KERNELS_PROPERTY = "t4j.cuda.kernels";
    private static Availability cached;

    private Cuda() {
    }

    /**
     * What was found.
     *
     * @param usable whether the GPU backend can run here
     * @param detail what was found, or what is missing and where it was looked for
     * @param devices GPUs the driver reports (0 when unknown)
     */
    public record Availability(boolean usable, String detail, int devices) {
    }

    /** {@return whether the GPU backend can run, why not, and how many GPUs; loads what is there once per process} */
    public static synchronized Availability availability() {
        if (cached == null) {
            cached = probe();
        }
        return cached;
    }

    private static Availability probe() {
        List<Path> dirs = searchPath();
        Path cudart = find(dirs, "libcudart.so");
        if (cudart == null) {
            return new Availability(false, "no CUDA runtime (libcudart.so." + String.join(" or .", VERSIONS)
                    + ") in " + dirs + "; set CUDA_HOME to a CUDA toolkit", 0);
        }
        System.load(cudart.toString());
        int devices;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            int err = cudaGetDeviceCount(count);
            if (err != cudaSuccess()) {
                return new Availability(false, "CUDA runtime " + cudart + " loaded, but no GPU is usable: "
                        + errorName(err), 0);
            }
            devices = count.get(ValueLayout.JAVA_INT, 0);
        }
        if (devices == 0) {
            return new Availability(false, "CUDA runtime " + cudart + " loaded, but the driver reports no GPU", 0);
        }
        Path cublas = find(dirs, "libcublas.so");
        if (cublas == null) {
            return new Availability(false, devices + " GPU(s), but no cuBLAS (libcublas.so." + String.join(" or .", VERSIONS)
                    + ") in " + dirs, devices);
        }
        Path cublasLt = find(List.of(cublas.getParent()), "libcublasLt.so");
        if (cublasLt != null) {
            System.load(cublasLt.toString()); // libcublas needs it; its folder may not be on the loader's path
        }
        System.load(cublas.toString());
        String kernels = loadKernels();
        if (kernels != null) {
            return new Availability(false, devices + " GPU(s), but " + kernels, devices);
        }
        return new Availability(true, devices + " GPU(s); " + cudart + ", " + cublas + ", libt4j_cuda "
                + t4j_cuda_h.t4j_cuda_version(), devices);
    }

    /**
     * Loads libt4j_cuda, from this build's resources or from the file the system property
     * {@value #KERNELS_PROPERTY} names (a build of one's own); null when loaded, else why not.
     */
    static String loadKernels() {
        String own = System.getProperty(KERNELS_PROPERTY);
        if (own != null && !own.isBlank()) {
            try {
                System.load(Path.of(own).toAbsolutePath().toString());
                return null;
            } catch (UnsatisfiedLinkError e) {
                return KERNELS_PROPERTY + " = " + own + " could not be loaded: " + e.getMessage();
            }
        }
        try {
            NativeLibraries.load("natives/" + NativeLibraries.PLATFORM, List.of("libt4j_cuda.so"));
            return null;
        } catch (UnsatisfiedLinkError e) {
            return "this build has no libt4j_cuda (it was built where nvcc was missing): " + e.getMessage();
        }
    }

    /**
     * {@return the name and message of a CUDA runtime error code}
     *
     * @param err a cudaError_t value
     */
    public static String errorName(int err) {
        return cudaGetErrorName(err).getString(0) + " (" + cudaGetErrorString(err).getString(0) + ")";
    }

    /** Folders that may hold the CUDA libraries, most specific first; only existing ones. */
    static List<Path> searchPath() {
        Set<Path> dirs = new LinkedHashSet<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String home = System.getenv(var);
            if (home != null && !home.isBlank()) {
                dirs.add(Path.of(home, "lib64"));
                dirs.add(Path.of(home, "lib"));
            }
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        dirs.addAll(versionedToolkits());
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        dirs.add(Path.of("/usr/lib64"));
        return dirs.stream().filter(Files::isDirectory).toList();
    }

    private static List<Path> versionedToolkits() {
        List<Path> found = new ArrayList<>();
        try (var entries = Files.list(Path.of("/usr/local"))) {
            entries.filter(p -> p.getFileName().toString().startsWith("cuda-"))
                    .sorted((a, b) -> b.getFileName().toString().compareTo(a.getFileName().toString()))
                    .forEach(p -> found.add(p.resolve("lib64")));
        } catch (IOException | SecurityException e) {
            // no /usr/local: nothing to add
        }
        return found;
    }

    /** The first existing stem.VERSION (newest version first) in the folders. */
    static Path find(List<Path> dirs, String stem) {
        for (String version : VERSIONS) {
            for (Path dir : dirs) {
                Path candidate = dir.resolve(stem + "." + version);
                if (Files.isReadable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
