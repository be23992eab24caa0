package org.transformers4j.tensor;

/**
 * Where a tensor's memory lives: {@code cpu}, or {@code cuda:N} for a GPU.
 *
 * @param kind "cpu" or "cuda"
 * @param index device ordinal (0 for the CPU)
 */
public record Device(String kind, int index) {
    /** The host CPU. */
    public static final Device CPU = new Device("cpu", 0);

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public Device {
        if (!kind.equals("cpu") && !kind.equals("cuda")) {
            throw new IllegalArgumentException("device kind must be cpu or cuda, got " + kind);
        }
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
    }

    /**
     * Parses "cpu", "cuda" or "cuda:N".
     *
     * @param name the device's name
     * @return the device
     */
    public static Device parse(String name) {
        if (name.equals("cpu")) {
            return CPU;
        }
        if (name.equals("cuda")) {
            return new Device("cuda", 0);
        }
        if (name.startsWith("cuda:")) {
            try {
                return new Device("cuda", Integer.parseInt(name.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad device name: " + name, e);
            }
        }
        throw new IllegalArgumentException("bad device name: " + name + " (cpu, cuda or cuda:N)");
    }

    @Override
    public String toString() {
        return kind.equals("cpu") ? "cpu" : kind + ":" + index;
    }
}
