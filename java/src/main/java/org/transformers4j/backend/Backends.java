package org.transformers4j.backend;

import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.Device;

/** Creates the backend for a device; the one place where backends are chosen. */
public final class Backends {
    private Backends() {
    }

    /** The backend for the device: "cpu" now; CUDA is not built yet and says so. */
    public static Backend create(Device device) {
        return switch (device.kind()) {
            case "cpu" -> CpuBackend.create();
            case "cuda" -> throw new UnsupportedOperationException(
                    "device " + device + ": this build of Transformers4J has no CUDA backend yet");
            default -> throw new IllegalArgumentException("unknown device " + device);
        };
    }
}
