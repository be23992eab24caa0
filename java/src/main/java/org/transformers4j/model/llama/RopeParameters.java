package org.transformers4j.model.llama;

import static org.transformers4j.model.ConfigChecks.finitePositive;

/**
 * The rotary embedding's settings, as transformers 5 writes them in rope_parameters and 4.x in
 * rope_scaling (with the type under "type" or "rope_type"). A field is null where the config
 * leaves it out.
 */
public record RopeParameters(String rope_type, String type, Double rope_theta, Double factor, Double low_freq_factor,
                             Double high_freq_factor, Double original_max_position_embeddings) {
    /** transformers' default theta. */
    public static final double DEFAULT_THETA = 10000.0;

    /** These settings with each field that over sets replaced by its value; over may be null. */
    RopeParameters overriddenBy(RopeParameters over) {
        if (over == null) {
            return this;
        }
        return new RopeParameters(or(over.rope_type, rope_type), or(over.type, type), or(over.rope_theta, rope_theta),
                or(over.factor, factor), or(over.low_freq_factor, low_freq_factor),
                or(over.high_freq_factor, high_freq_factor),
                or(over.original_max_position_embeddings, original_max_position_embeddings));
    }

    /** The rope type: rope_type, else type, else "default". */
    public String kind() {
        return rope_type != null ? rope_type : type != null ? type : "default";
    }

    /** theta (rope_theta, checked when resolved). */
    public double theta() {
        return rope_theta;
    }

    /**
     * Checks what the type needs: the default, linear (factor) and llama3 (factor,
     * low_freq_factor, high_freq_factor, original_max_position_embeddings, high &gt; low) types are
     * supported; those whose frequencies depend on the sequence length or that also scale cos and
     * sin (dynamic, yarn, longrope) are refused.
     */
    void check() {
        finitePositive("rope_theta", rope_theta);
        switch (kind()) {
            case "default" -> {
            }
            case "linear" -> needs("factor", factor);
            case "llama3" -> {
                needs("factor", factor);
                needs("low_freq_factor", low_freq_factor);
                needs("high_freq_factor", high_freq_factor);
                needs("original_max_position_embeddings", original_max_position_embeddings);
                if (!(high_freq_factor > low_freq_factor)) {
                    throw new IllegalArgumentException("llama3 rope scaling needs high_freq_factor ("
                            + high_freq_factor + ") > low_freq_factor (" + low_freq_factor + ")");
                }
            }
            default -> throw new IllegalArgumentException("rope type " + kind() + " is not supported yet; the default,"
                    + " linear and llama3 rotary embeddings are");
        }
    }

    private static void needs(String key, Double value) {
        if (value == null) {
            throw new IllegalArgumentException("rope scaling needs " + key);
        }
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException("rope scaling's " + key + " must be finite and > 0, is " + value);
        }
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }
}
