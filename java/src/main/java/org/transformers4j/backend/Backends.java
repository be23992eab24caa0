package org.transformers4j.backend;

import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.backend.cuda.Cuda;
import org.transformers4j.tensor.Device;

/** Creates the backend for a device; the one place where backends are chosen. */
public final class Backends {
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());

    private Backends() {
    }

    /**
     * The backend for the device. A GPU device falls back to the CPU backend with a warning that
     * says why: no CUDA runtime, no GPU, no cuBLAS or no libt4j_cuda in this build, or (for now)
     * no Java CUDA backend yet.
     */
    public static Backend create(Device device) {
        return switch (device.kind()) {
            case "cpu" -> CpuBackend.create();
            case "cuda" -> {
                Cuda.Availability cuda = Cuda.availability();
                String why = !cuda.usable() ? cuda.detail()
                        : device.index() >= cuda.devices() ? "there are " + cuda.devices() + " GPU(s)"
                        : "this version runs its CUDA kernels only from bench/gpu; models on the GPU come later";
                LOG.log(System.Logger.Level.WARNING, "device " + device + " not available, running on the CPU: " + why);
                yield CpuBackend.create();
            }
            default -> throw new IllegalArgumentException("unknown device " + device);
        };
    }
}
