package org.transformers4j.cli;

import org.transformers4j.backend.Backend;
import org.transformers4j.backend.Backends;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Device;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** --device and --dtype: where a model runs and in what precision. */
final class BackendOptions {
    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", converter = DeviceConverter.class,
            description = "cpu (default) or cuda:N")
    Device device;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "f32", converter = DTypeConverter.class,
            description = {"f32 (default), f16 or bf16: on a GPU what the model computes in; on the CPU bf16 keeps"
                    + " weight matrices in bfloat16 (half the bytes to read), computing in float32"})
    DType dtype;

    /** The backend for these options. */
    Backend create() {
        return Backends.create(device, dtype);
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

    /** f32, f16 or bf16 (or their long names). */
    static DType dtype(String name) {
        return switch (name) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new TypeConversionException("must be f32, f16 or bf16, got '" + name + "'");
        };
    }
}
