package org.transformers4j.model.llama;

import com.google.gson.JsonObject;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.ModelConfig;

/**
 * The rotary embedding's inverse frequencies, from rope_parameters (transformers 5) or rope_theta
 * and rope_scaling (4.x), computed in float32 step by step as transformers' rope initialisation
 * computes them (each within an ulp of its own; powers are rounded from double here): rope types "default",
 * "linear" (position interpolation) and "llama3" (Llama 3.1 and later). Types whose frequencies
 * depend on the sequence length or that also scale cos and sin (dynamic, yarn, longrope) are
 * refused.
 */
final class RopeFrequencies {
    private RopeFrequencies() {
    }

    /** rotaryDim / 2 inverse frequencies for the config's rope type and theta. */
    static float[] fromConfig(ModelConfig config, int rotaryDim) {
        if (rotaryDim < 2 || rotaryDim % 2 != 0) {
            throw new CheckpointException(config.source() + ": the rotary dimension (head_dim) must be even and > 0, is "
                    + rotaryDim);
        }
        var json = config.json();
        JsonObject params = new JsonObject();
        double theta = config.getDouble("rope_theta", 10000.0);
        for (String key : new String[] {"rope_scaling", "rope_parameters"}) {
            if (json.has(key) && json.get(key).isJsonObject()) {
                json.getAsJsonObject(key).entrySet().forEach(e -> params.add(e.getKey(), e.getValue()));
            }
        }
        if (params.has("rope_theta")) {
            theta = params.get("rope_theta").getAsDouble();
        }
        String type = params.has("rope_type") ? params.get("rope_type").getAsString()
                : params.has("type") ? params.get("type").getAsString() : "default";
        if (!(theta > 0) || !Double.isFinite(theta)) {
            throw new CheckpointException(config.source() + ": rope_theta must be finite and > 0, is " + theta);
        }
        float[] inv = standard(theta, rotaryDim);
        return switch (type) {
            case "default" -> inv;
            case "linear" -> linear(inv, positive(config, params, "factor"));
            case "llama3" -> llama3(config, params, inv);
            default -> throw new CheckpointException(config.source() + ": rope type " + type
                    + " is not supported yet; the default, linear and llama3 rotary embeddings are");
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

    private static float[] llama3(ModelConfig config, JsonObject params, float[] inv) {
        double factor = positive(config, params, "factor"), low = positive(config, params, "low_freq_factor");
        double high = positive(config, params, "high_freq_factor");
        double original = positive(config, params, "original_max_position_embeddings");
        if (!(high > low)) {
            throw new CheckpointException(config.source() + ": llama3 rope scaling needs high_freq_factor ("
                    + high + ") > low_freq_factor (" + low + ")");
        }
        return llama3(inv, factor, low, high, original);
    }

    private static double positive(ModelConfig config, JsonObject params, String key) {
        if (!params.has(key) || params.get(key).isJsonNull()) {
            throw new CheckpointException(config.source() + ": rope scaling needs " + key);
        }
        double v = params.get(key).getAsDouble();
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new CheckpointException(config.source() + ": rope scaling's " + key + " must be finite and > 0, is "
                    + v);
        }
        return v;
    }
}
