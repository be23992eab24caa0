package org.transformers4j.model.llama;

/**
 * The rotary embedding's inverse frequencies for the settings of {@link RopeParameters}, computed
 * in float32 step by step as transformers' rope initialisation computes them (each within an ulp
 * of its own; powers are rounded from double here): rope types "default", "linear" (position
 * interpolation) and "llama3" (Llama 3.1 and later).
 */
final class RopeFrequencies {
    private RopeFrequencies() {
    }

    /** rotaryDim / 2 inverse frequencies for settings checked by {@link LlamaConfig}. */
    static float[] of(RopeParameters rope, int rotaryDim) {
        float[] inv = standard(rope.theta(), rotaryDim);
        return switch (rope.kind()) {
            case "linear" -> linear(inv, rope.factor());
            case "llama3" -> llama3(inv, rope.factor(), rope.low_freq_factor(), rope.high_freq_factor(),
                    rope.original_max_position_embeddings());
            default -> inv;
        };
    }

    /** 1 / theta^(2i / dim) for i &lt; dim / 2, in float32 as transformers computes it. */
    static float[] standard(double theta, int dim) {
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / dim;
            inv[i] = 1.0f / (float) Math.pow((float) theta, exponent);
        }
        return inv;
    }

    /** Position interpolation: every frequency divided by factor. */
    static float[] linear(float[] inv, double factor) {
        float[] out = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            out[i] = inv[i] / (float) factor;
        }
        return out;
    }

    /**
     * Llama 3's scaling: wavelengths shorter than originalMax / highFreqFactor keep their frequency,
     * those longer than originalMax / lowFreqFactor are divided by factor, and those between are
     * interpolated smoothly (transformers' _compute_llama3_parameters).
     */
    static float[] llama3(float[] inv, double factor, double lowFreqFactor, double highFreqFactor, double originalMax) {
        double lowFreqWavelen = originalMax / lowFreqFactor, highFreqWavelen = originalMax / highFreqFactor;
        float[] out = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            float scaled = wavelen > (float) lowFreqWavelen ? inv[i] / (float) factor : inv[i];
            boolean medium = !(wavelen < (float) highFreqWavelen) && !(wavelen > (float) lowFreqWavelen);
            if (medium) {
                float smooth = ((float) originalMax / wavelen - (float) lowFreqFactor)
                        / (float) (highFreqFactor - lowFreqFactor);
                scaled = (1.0f - smooth) * scaled / (float) factor + smooth * scaled;
            }
            out[i] = scaled;
        }
        return out;
    }
}
