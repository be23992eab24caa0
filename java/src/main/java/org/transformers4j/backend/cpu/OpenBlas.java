package org.transformers4j.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.transformers4j.backend.NativeLibraries;
import org.transformers4j.bindings.openblas.cblas_h;

/**
 * OpenBLAS from the org.bytedeco:openblas jar on the class path, bound
 * through the jextract bindings of cblas.h. {@link #load()} says whether it
 * could be loaded and, if not, why. It is set to one thread: libt4j_cpu splits
 * each product over its own OpenMP threads and calls cblas_sgemm from each, so
 * that one thread pool serves every kernel (two pools spinning on two cores
 * slowed a MiniLM forward pass tenfold).
 */
final class OpenBlas {
    private static final String FOLDER = "org/bytedeco/openblas/" + NativeLibraries.BYTEDECO_PLATFORM;
    // libopenblas finds libgfortran through its RUNPATH, but libgfortran has none for libquadmath
    // (which exists on x86 only)
    private static final List<String> LIBRARIES = NativeLibraries.BYTEDECO_PLATFORM.endsWith("x86_64")
            ? List.of("libquadmath.so.0", "libgfortran.so.5", "libopenblas.so.0")
            : List.of("libgfortran.so.5", "libopenblas.so.0");

    private static volatile Status status;

    /** Whether OpenBLAS is usable, and a description (its config) or the reason it is not. */
    record Status(boolean available, String description) {
    }

    private OpenBlas() {
    }

    static synchronized Status load() {
        if (status == null) {
            status = tryLoad();
        }
        return status;
    }

    private static Status tryLoad() {
        try {
            NativeLibraries.load(FOLDER, LIBRARIES);
            MemorySegment config = cblas_h.openblas_get_config();
            String text = config.reinterpret(256).getString(0);
            cblas_h.openblas_set_num_threads(1);
            MemorySegment core = cblas_h.openblas_get_corename();
            String coreName = core.reinterpret(64).getString(0);
            return new Status(true, text.trim() + " (core " + coreName + ")");
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return new Status(false, "OpenBLAS unavailable: " + e.getMessage());
        }
    }

    /** The address of cblas_sgemm, for libt4j_cpu to call from its own threads. */
    static MemorySegment sgemmAddress() {
        return cblas_h.cblas_sgemm$address();
    }
}
