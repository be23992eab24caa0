package org.transformers4j.model.llama;

import java.util.List;

/**
 * The rotary embedding's inverse frequencies for the settings of {@link RopeParameters}, computed
 * in float32 step by step as transformers' rope initialisation computes them (each within an ulp
 * of its own; powers are rounded from double here): rope types "default", "linear" (position
 * interpolation), "llama3" (Llama 3.1 and later), "yarn" and "longrope" (Phi-3).
 */
final class RopeFrequencies {
    private RopeFrequencies() {
    }

    /** rotaryDim / 2 inverse frequencies for settings checked by {@link LlamaConfig} (LongRoPE's short ones). */
    static float[] of(RopeParameters rope, int rotaryDim) {
        return Rotary.of(rope, rotaryDim, 1).invFreq();
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

    /**
     * YaRN (transformers' _compute_yarn_parameters): per frequency, a blend of the extrapolated
     * (theta's own) and the interpolated (divided by factor) one by a linear ramp between the
     * dimensions where beta_fast and beta_slow rotations fit the original context.
     */
    static float[] yarn(RopeParameters rope, int dim) {
        double base = rope.theta(), factor = rope.factor(), original = rope.original_max_position_embeddings();
        double betaFast = rope.beta_fast() == null || rope.beta_fast() == 0 ? 32 : rope.beta_fast();
        double betaSlow = rope.beta_slow() == null || rope.beta_slow() == 0 ? 1 : rope.beta_slow();
        double low = correctionDim(betaFast, dim, base, original), high = correctionDim(betaSlow, dim, base, original);
        if (rope.truncate() == null || rope.truncate()) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001; // transformers' guard against a zero-width ramp
        }
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float posFreq = (float) Math.pow((float) base, (float) (2 * i) / dim);
            float extrapolation = 1.0f / posFreq, interpolation = 1.0f / ((float) factor * posFreq);
            float ramp = Math.min(1f, Math.max(0f, ((float) i - (float) low) / (float) (high - low)));
            float extrapolationShare = 1f - ramp;
            inv[i] = interpolation * (1f - extrapolationShare) + extrapolation * extrapolationShare;
        }
        return inv;
    }

    /** The dimension at which numRotations rotations fit in the original context. */
    private static double correctionDim(double numRotations, int dim, double base, double original) {
        return dim * Math.log(original / (numRotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    /** LongRoPE: 1 / (factor_i * theta^(2i / dim)) in float32, one factor per frequency. */
    static float[] longRope(double theta, int dim, String key, List<Double> factors) {
        if (factors.size() != dim / 2) {
            throw new IllegalArgumentException("longrope's " + key + " has " + factors.size() + " values; the rotary"
                    + " dimension " + dim + " needs " + dim / 2);
        }
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / dim;
            inv[i] = 1.0f / (factors.get(i).floatValue() * (float) Math.pow((float) theta, exponent));
        }
        return inv;
    }
}
