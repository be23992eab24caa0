package org.transformers4j.cli;

import org.transformers4j.backend.Backend;
import org.transformers4j.backend.Backends;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** --device, --dtype and --compute: where a model runs, how its weights are kept, what products compute in. */
final class BackendOptions {
    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", converter = DeviceConverter.class,
            description = "cpu (default) or cuda:N")
    Device device;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "f32", converter = DTypeConverter.class,
            description = {"f32 (default), f16 or bf16: on a GPU what the model computes in; on the CPU bf16 keeps"
                    + " weight matrices in bfloat16 (half the bytes to read), computing in float32, and int8"
                    + " quantizes linear layers' weights per output channel and their inputs per row (int8"
                    + " products; embeddings, norms, attention and caches stay float32; CPU only)"})
    DType dtype;

    @Option(names = "--compute", paramLabel = "TYPE", converter = DTypeConverter.class,
            description = {"what products compute in: the --dtype's type by default (float32 on the CPU); on the"
                    + " CPU with --dtype bf16, bf16 runs products of many rows (encoders, prefill) in bfloat16,"
                    + " activations rounded at their input, sums, norms and softmax float32"})
    DType compute;

    /** The backend for these options. */
    Backend create() {
        return compute == null ? Backends.create(device, dtype) : Backends.create(device, dtype, compute);
    }

    static final class DeviceConverter implements ITypeConverter<Device> {
        @Override
        public Device convert(String value) {
            try {
                return Device.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not cpu or cuda:N");
            }
        }
    }

    static final class DTypeConverter implements ITypeConverter<DType> {
        @Override
        public DType convert(String value) {
            return dtype(value);
        }
    }

    /** f32, f16, bf16 or int8 (or their long names). */
    static DType dtype(String name) {
        return switch (name) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            case "int8", "i8" -> DType.I8;
            default -> throw new TypeConversionException("must be f32, f16, bf16 or int8, got '" + name + "'");
        };
    }
}
