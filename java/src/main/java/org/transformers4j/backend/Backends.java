package org.transformers4j.backend;

import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.backend.cuda.Cuda;
import org.transformers4j.backend.cuda.CudaBackend;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;

/** Creates the backend for a device; the one place where backends are chosen. */
public final class Backends {
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());

    private Backends() {
    }

    /**
     * The backend for the device. A GPU device that is not there (no CUDA runtime, no GPU of that
     * number, no cuBLAS, no libt4j_cuda in this build) falls back to the CPU backend with a warning
     * that says why.
     */
    public static Backend create(Device device) {
        return create(device, DType.F32);
    }

    /**
     * The backend for the device whose models compute in floatType: F32 anywhere, F16 or BF16 on a
     * GPU. On the CPU, whose kernels compute in F32, BF16 means weight matrices kept in bfloat16
     * ({@link CpuBackend#withBf16Weights()}); F16 is refused.
     */
    public static Backend create(Device device, DType floatType) {
        if (floatType == DType.F16 && device.kind().equals("cpu")) {
            throw new IllegalArgumentException("the CPU backend computes in F32 and keeps weights in F32 or BF16, not "
                    + floatType);
        }
        return switch (device.kind()) {
            case "cpu" -> floatType == DType.BF16 ? CpuBackend.withBf16Weights() : CpuBackend.create();
            case "cuda" -> {
                Cuda.Availability cuda = Cuda.availability();
                if (cuda.usable() && device.index() < cuda.devices()) {
                    yield CudaBackend.create(device.index(), floatType);
                }
                String why = !cuda.usable() ? cuda.detail() : "there are " + cuda.devices() + " GPU(s)";
                LOG.log(System.Logger.Level.WARNING, "device " + device + " not available, running on the CPU: " + why);
                yield CpuBackend.create();
            }
            default -> throw new IllegalArgumentException("unknown device " + device);
        };
    }
}
