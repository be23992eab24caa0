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
     *
     * @param device where the models run
     * @return a float32 backend
     */
    public static Backend create(Device device) {
        return create(device, DType.F32);
    }

    /**
     * The backend for the device whose models compute in floatType: F32 anywhere, F16 or BF16 on a
     * GPU. On the CPU, whose kernels compute in F32, BF16 means weight matrices kept in bfloat16
     * ({@link CpuBackend#withBf16Weights()}) and I8 int8 linear layers
     * ({@link CpuBackend#withInt8Weights()}); F16 is refused there, I8 on a GPU.
     *
     * @param device where the models run
     * @param floatType the type of weights and activations
     * @return the backend
     */
    public static Backend create(Device device, DType floatType) {
        return create(device, floatType, device.kind().equals("cpu") ? DType.F32 : floatType);
    }

    /**
     * As {@link #create(Device, DType)}, with the type products compute in: the float type, or on
     * the CPU with BF16 weights, BF16 for bfloat16 products of many rows
     * ({@link CpuBackend#withBf16Compute()}); F32 with BF16 weights on the CPU computes in float32.
     *
     * @param device where the models run
     * @param floatType the type of weights and activations
     * @param computeType the type matrix products compute in
     * @return the backend
     */
    public static Backend create(Device device, DType floatType, DType computeType) {
        boolean cpu = device.kind().equals("cpu");
        if (floatType == DType.F16 && cpu) {
            throw new IllegalArgumentException("the CPU backend computes in F32 and keeps weights in F32, BF16 or I8, not "
                    + floatType);
        }
        if (floatType != DType.F32 && floatType != DType.F16 && floatType != DType.BF16 && floatType != DType.I8) {
            throw new IllegalArgumentException("weights are F32, F16, BF16 or I8, not " + floatType);
        }
        if (floatType == DType.I8 && !cpu) {
            throw new IllegalArgumentException("int8 weights (I8) run on the CPU only, not on " + device);
        }
        boolean fits = cpu ? computeType == DType.F32 || computeType == DType.BF16 && floatType == DType.BF16
                : computeType == floatType;
        if (!fits) {
            throw new IllegalArgumentException("compute type " + computeType + " does not go with " + floatType
                    + " weights on " + device + (cpu ? "; the CPU computes in F32, or in BF16 with BF16 weights"
                    : "; a GPU computes in the type of its weights"));
        }
        boolean bf16Compute = computeType == DType.BF16 && cpu;
        return switch (device.kind()) {
            case "cpu" -> floatType == DType.I8 ? CpuBackend.withInt8Weights()
                    : bf16Compute ? CpuBackend.withBf16Compute()
                    : floatType == DType.BF16 ? CpuBackend.withBf16Weights() : CpuBackend.create();
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
