package org.transformers4j.model.llama;

import java.util.List;

/**
 * A rotary embedding resolved from its settings: what the attention of a Llama-shaped model
 * rotates by. transformers multiplies cos and sin by attentionFactor (yarn, LongRoPE), which
 * scales the rotated dimensions of every query and key: the loader folds it into the rows of the
 * query and key projections that feed them.
 *
 * @param invFreq R inverse frequencies: the first 2R dimensions of each head rotate
 * @param longInvFreq LongRoPE's frequencies of passes reaching past longAbove positions, or null
 * @param longAbove LongRoPE's original context (original_max_position_embeddings), 0 without
 * @param attentionFactor the factor of cos and sin; 1 for the default, linear and llama3 types
 */
public record Rotary(float[] invFreq, float[] longInvFreq, int longAbove, double attentionFactor) {

    /** {@return the rotated dimensions of each head, 2R} */
    public int dims() {
        return 2 * invFreq.length;
    }

    /**
     * Checks that settings checked by {@link RopeParameters#check} fit a rotary dimension, without
     * computing anything the size of it: even and &gt; 0, and LongRoPE's factors one per frequency.
     *
     * @param rope the checked rotary settings
     * @param rotaryDim 2R, the dimensions of each head that rotate
     * @throws IllegalArgumentException when rotaryDim is odd or below 2, LongRoPE's factors are not R each,
     *         or its original context is not a whole number
     */
    public static void check(RopeParameters rope, int rotaryDim) {
        if (rotaryDim < 2 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("the rotary dimension must be even and > 0, is " + rotaryDim);
        }
        if (rope.kind().equals("longrope")) {
            for (var factors : List.of(rope.short_factor(), rope.long_factor())) {
                if (factors.size() != rotaryDim / 2) {
                    throw new IllegalArgumentException("longrope's short_factor and long_factor need " + rotaryDim / 2
                            + " values each (one per frequency of the rotary dimension " + rotaryDim + "), have "
                            + rope.short_factor().size() + " and " + rope.long_factor().size());
                }
            }
            double original = rope.original_max_position_embeddings();
            if (original != Math.rint(original) || original > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("longrope's original_max_position_embeddings must be a whole number"
                        + " of positions, is " + original);
            }
        }
    }

    /**
     * {@return the factor of cos and sin for checked settings (yarn, LongRoPE; 1 for the others)}
     *
     * @param rope the checked rotary settings
     * @param maxPositions max_position_embeddings (LongRoPE's factor depends on it)
     */
    public static double attentionFactor(RopeParameters rope, int maxPositions) {
        return switch (rope.kind()) {
            case "yarn" -> yarnAttentionFactor(rope);
            case "longrope" -> longRopeAttentionFactor(rope, maxPositions);
            default -> 1.0;
        };
    }

    /**
     * The embedding of checked settings rotating rotaryDim dimensions of each head, in a model of
     * maxPositions positions (LongRoPE's default factor is maxPositions / original context).
     *
     * @param rope the checked rotary settings
     * @param rotaryDim 2R, checked by {@link #check}
     * @param maxPositions max_position_embeddings
     * @return the inverse frequencies and factor
     */
    public static Rotary of(RopeParameters rope, int rotaryDim, int maxPositions) {
        check(rope, rotaryDim);
        float[] standard = RopeFrequencies.standard(rope.theta(), rotaryDim);
        return switch (rope.kind()) {
            case "linear" -> plain(RopeFrequencies.linear(standard, rope.factor()));
            case "llama3" -> plain(RopeFrequencies.llama3(standard, rope.factor(), rope.low_freq_factor(),
                    rope.high_freq_factor(), rope.original_max_position_embeddings()));
            case "yarn" -> new Rotary(RopeFrequencies.yarn(rope, rotaryDim), null, 0, yarnAttentionFactor(rope));
            case "longrope" -> longRope(rope, rotaryDim, maxPositions);
            default -> plain(standard);
        };
    }

    private static double longRopeAttentionFactor(RopeParameters rope, int maxPositions) {
        double original = rope.original_max_position_embeddings();
        double factor = rope.factor() != null ? rope.factor() : maxPositions / original;
        return rope.attention_factor() != null ? rope.attention_factor()
                : factor <= 1 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
    }

    private static Rotary plain(float[] invFreq) {
        return new Rotary(invFreq, null, 0, 1.0);
    }

    /**
     * transformers' _compute_yarn_parameters: attention_factor if given, else mscale / mscale_all_dim
     * of factor when both are set, else 0.1 ln(factor) + 1 (1 for factor &lt;= 1).
     */
    static double yarnAttentionFactor(RopeParameters rope) {
        if (rope.attention_factor() != null) {
            return rope.attention_factor();
        }
        double factor = rope.factor();
        if (rope.mscale() != null && rope.mscale_all_dim() != null) {
            return mscale(factor, rope.mscale()) / mscale(factor, rope.mscale_all_dim());
        }
        return mscale(factor, 1);
    }

    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    /**
     * transformers' _compute_longrope_parameters: frequencies divided by short_factor up to the
     * original context and by long_factor past it; factor defaults to max_position_embeddings /
     * original_max_position_embeddings, attention_factor to sqrt(1 + ln(factor) / ln(original))
     * (1 for factor &lt;= 1).
     */
    private static Rotary longRope(RopeParameters rope, int rotaryDim, int maxPositions) {
        double original = rope.original_max_position_embeddings();
        double attention = longRopeAttentionFactor(rope, maxPositions);
        float[] shortInv = RopeFrequencies.longRope(rope.theta(), rotaryDim, "short_factor", rope.short_factor());
        float[] longInv = RopeFrequencies.longRope(rope.theta(), rotaryDim, "long_factor", rope.long_factor());
        return new Rotary(shortInv, longInv, (int) original, attention);
    }
}
