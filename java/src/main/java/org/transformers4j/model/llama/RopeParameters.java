package org.transformers4j.model.llama;

import static org.transformers4j.model.ConfigChecks.finitePositive;

import java.util.List;
import java.util.Set;

/**
 * The rotary embedding's settings, as transformers 5 writes them in rope_parameters and 4.x in
 * rope_scaling (with the type under "type" or "rope_type"). A field is null where the config
 * leaves it out.
 *
 * @param partial_rotary_factor the share of each head that rotates (Phi-3 family only)
 * @param attention_factor yarn's and LongRoPE's factor of cos and sin, or null for the one derived from factor
 * @param beta_fast yarn's bound of extrapolation (null or 0: 32)
 * @param beta_slow yarn's bound of interpolation (null or 0: 1)
 * @param mscale yarn: with mscale_all_dim, what derives attention_factor
 * @param truncate yarn: whether the correction range is rounded to whole dimensions (null: true)
 * @param short_factor LongRoPE's divisors of the frequencies up to the original context
 * @param long_factor LongRoPE's divisors past it
 * @param rope_type the scaling type ("default", "linear", "dynamic", "llama3", "yarn", "longrope"), or null
 * @param type transformers 4.x's older key for rope_type, or null
 * @param rope_theta the base of the rotary frequencies, or null for the family's default
 * @param factor the scaling factor of the context length, or null
 * @param low_freq_factor llama3: the divisor that marks the low-frequency end, or null
 * @param high_freq_factor llama3: the divisor that marks the high-frequency end, or null
 * @param original_max_position_embeddings the context the model was trained for before scaling, or null
 * @param mscale_all_dim yarn: with mscale, what derives attention_factor, or null
 */
public record RopeParameters(String rope_type, String type, Double rope_theta, Double factor, Double low_freq_factor,
                             Double high_freq_factor, Double original_max_position_embeddings,
                             Double partial_rotary_factor, Double attention_factor, Double beta_fast, Double beta_slow,
                             Double mscale, Double mscale_all_dim, Boolean truncate, List<Double> short_factor,
                             List<Double> long_factor) {
    private static final RopeParameters EMPTY = new RopeParameters(null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null);

    /** transformers' default theta. */
    public static final double DEFAULT_THETA = 10000.0;

    /** The rope types of Llama's rotary embedding: the default, position interpolation, Llama 3's and YaRN. */
    public static final Set<String> LLAMA_TYPES = Set.of("default", "linear", "llama3", "yarn");

    /**
     * Settings of nothing but a theta.
     *
     * @param theta the base of the rotary frequencies
     * @return the settings
     */
    public static RopeParameters theta(double theta) {
        return new RopeParameters(null, null, theta, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    /**
     * transformers 5's standardisation of the rotary settings (convert_rope_params_to_dict,
     * standardize_rope_params): rope_scaling when the config has a non-empty one, else
     * rope_parameters; rope_theta from there, else the top-level rope_theta, else 10000; the type
     * from rope_type, else type, else "default"; for llama3, yarn and longrope,
     * original_max_position_embeddings from the top level where the config has it there, else from
     * the settings, else max_position_embeddings.
     *
     * @param ropeTheta the top-level rope_theta, or null
     * @param ropeScaling transformers 4.x's rope_scaling, or null
     * @param ropeParameters transformers 5's rope_parameters, or null
     * @param topLevelOriginalMax the top-level original_max_position_embeddings, or null
     * @param maxPositions the config's max_position_embeddings
     * @return the settings
     */
    public static RopeParameters standardized(Double ropeTheta, RopeParameters ropeScaling,
                                              RopeParameters ropeParameters, Integer topLevelOriginalMax,
                                              int maxPositions) {
        RopeParameters chosen = ropeScaling != null && !ropeScaling.isEmpty() ? ropeScaling
                : ropeParameters != null ? ropeParameters : EMPTY;
        double theta = chosen.rope_theta != null ? chosen.rope_theta : ropeTheta != null ? ropeTheta : DEFAULT_THETA;
        String kind = chosen.kind();
        Double originalMax = chosen.original_max_position_embeddings;
        if (Set.of("llama3", "yarn", "longrope").contains(kind)) {
            originalMax = topLevelOriginalMax != null ? Double.valueOf(topLevelOriginalMax)
                    : originalMax != null ? originalMax : Double.valueOf(maxPositions);
        }
        return chosen.with(kind, theta, originalMax);
    }

    /** Whether no field is set (an empty object, which transformers treats as absent). */
    boolean isEmpty() {
        return equals(EMPTY);
    }

    /** These settings with each field that over sets replaced by its value; over may be null. */
    RopeParameters overriddenBy(RopeParameters over) {
        if (over == null) {
            return this;
        }
        return new RopeParameters(or(over.rope_type, rope_type), or(over.type, type), or(over.rope_theta, rope_theta),
                or(over.factor, factor), or(over.low_freq_factor, low_freq_factor),
                or(over.high_freq_factor, high_freq_factor),
                or(over.original_max_position_embeddings, original_max_position_embeddings),
                or(over.partial_rotary_factor, partial_rotary_factor), or(over.attention_factor, attention_factor),
                or(over.beta_fast, beta_fast), or(over.beta_slow, beta_slow), or(over.mscale, mscale),
                or(over.mscale_all_dim, mscale_all_dim), or(over.truncate, truncate),
                or(over.short_factor, short_factor), or(over.long_factor, long_factor));
    }

    /** These settings with rope_type (kind), rope_theta and original_max_position_embeddings replaced. */
    RopeParameters with(String kind, double theta, Double originalMax) {
        return new RopeParameters(kind, null, theta, factor, low_freq_factor, high_freq_factor, originalMax,
                partial_rotary_factor, attention_factor, beta_fast, beta_slow, mscale, mscale_all_dim, truncate,
                short_factor, long_factor);
    }

    /**
     * {@return these settings as another rope type}
     *
     * @param kind the rope type
     */
    public RopeParameters renamed(String kind) {
        return with(kind, rope_theta, original_max_position_embeddings);
    }

    /**
     * {@return these settings with partial_rotary_factor replaced}
     *
     * @param share the share of each head that rotates, or null
     */
    public RopeParameters withPartialRotaryFactor(Double share) {
        return new RopeParameters(rope_type, type, rope_theta, factor, low_freq_factor, high_freq_factor,
                original_max_position_embeddings, share, attention_factor, beta_fast, beta_slow, mscale,
                mscale_all_dim, truncate, short_factor, long_factor);
    }

    /** {@return the rope type: rope_type, else type, else "default"} */
    public String kind() {
        return rope_type != null ? rope_type : type != null ? type : "default";
    }

    /**
     * theta (rope_theta, checked when resolved).
     *
     * @return theta
     */
    public double theta() {
        return rope_theta;
    }

    /**
     * The rotary dimension of Llama's rotary embedding for heads of headDim: all of it. Its default
     * type ignores partial_rotary_factor; the others would rotate fewer dimensions than Llama's
     * apply_rotary_pos_emb multiplies, which fails in transformers: refused.
     *
     * @param headDim D, the size of a head
     * @return the rotary dimension, headDim
     */
    public int fullRotaryDim(int headDim) {
        if (!kind().equals("default") && partial_rotary_factor != null && partial_rotary_factor != 1.0) {
            throw new IllegalArgumentException("partial_rotary_factor " + partial_rotary_factor + " with rope type "
                    + kind() + ": this family rotates whole heads");
        }
        return headDim;
    }

    /** Checks the settings for Llama's rope types. */
    void check() {
        check(LLAMA_TYPES);
    }

    /**
     * Checks what the type needs, the type being one of supported: the default, linear (factor),
     * llama3 (factor, low_freq_factor, high_freq_factor, original_max_position_embeddings,
     * high &gt; low), yarn (factor) and longrope (short_factor, long_factor,
     * original_max_position_embeddings). Types whose frequencies follow the sequence length
     * (dynamic) or that the family's code does not take are refused by name.
     *
     * @param supported the rope types the family takes
     */
    public void check(Set<String> supported) {
        finitePositive("rope_theta", rope_theta);
        if (!supported.contains(kind())) {
            throw new IllegalArgumentException("rope type " + kind() + " is not supported yet; the "
                    + String.join(", ", supported.stream().sorted().toList()) + " rotary embeddings are");
        }
        if (partial_rotary_factor != null && !(partial_rotary_factor > 0 && partial_rotary_factor <= 1)) {
            throw new IllegalArgumentException("partial_rotary_factor must be in (0, 1], is " + partial_rotary_factor);
        }
        switch (kind()) {
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
            case "yarn" -> {
                needs("factor", factor);
                needs("original_max_position_embeddings", original_max_position_embeddings);
                optional("attention_factor", attention_factor);
                optional("mscale", mscale);
                optional("mscale_all_dim", mscale_all_dim);
                if (beta_fast != null && !Double.isFinite(beta_fast) || beta_slow != null && !Double.isFinite(beta_slow)) {
                    throw new IllegalArgumentException("yarn's beta_fast and beta_slow must be finite, are " + beta_fast
                            + " and " + beta_slow);
                }
            }
            case "longrope" -> {
                needs("original_max_position_embeddings", original_max_position_embeddings);
                optional("factor", factor);
                optional("attention_factor", attention_factor);
                factors("short_factor", short_factor);
                factors("long_factor", long_factor);
            }
            default -> {
            }
        }
    }

    private static void needs(String key, Double value) {
        if (value == null) {
            throw new IllegalArgumentException("rope scaling needs " + key);
        }
        optional(key, value);
    }

    private static void optional(String key, Double value) {
        if (value != null && (!(value > 0) || !Double.isFinite(value))) {
            throw new IllegalArgumentException("rope scaling's " + key + " must be finite and > 0, is " + value);
        }
    }

    private static void factors(String key, List<Double> values) {
        if (values == null) {
            throw new IllegalArgumentException("longrope rope scaling needs " + key);
        }
        for (int i = 0; i < values.size(); i++) {
            Double v = values.get(i);
            if (v == null || !(v > 0) || !Double.isFinite(v)) {
                throw new IllegalArgumentException("longrope's " + key + "[" + i + "] must be finite and > 0, is " + v);
            }
        }
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }
}
