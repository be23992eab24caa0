package org.transformers4j.pipeline;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How the token vectors of a text become one vector, with the semantics of sentence-transformers'
 * {@code Pooling} module: each mode pools the last hidden state [B, S, C] over the tokens the
 * attention mask keeps, and several modes are concatenated in the module's order (cls, max, mean,
 * mean_sqrt_len_tokens, weightedmean, lasttoken), giving modes x C numbers.
 *
 * @param modes         the modes, at least one
 * @param includePrompt false: the prompt's tokens are left out of the pooling (the module's
 *                      {@code include_prompt}); see {@link #pool}
 */
public record Pooling(Set<Mode> modes, boolean includePrompt) {
    /** Mean pooling with the prompt included, the module's default. */
    public static final Pooling MEAN = of(Mode.MEAN);

    /** A pooling mode: its name (sentence-transformers' {@code pooling_mode}) and its config.json flag. */
    public enum Mode {
        /** The first token's vector ([CLS]), whatever the mask says. */
        CLS("cls", "pooling_mode_cls_token"),
        /** The largest value of each dimension over the kept tokens (-1e9 when none is kept). */
        MAX("max", "pooling_mode_max_tokens"),
        /** The sum over the kept tokens divided by their number (at least 1e-9). */
        MEAN("mean", "pooling_mode_mean_tokens"),
        /** The sum over the kept tokens divided by the square root of their number. */
        MEAN_SQRT_LEN_TOKENS("mean_sqrt_len_tokens", "pooling_mode_mean_sqrt_len_tokens"),
        /** The mean weighted by position (1 for the first token, 2 for the second, ...), as SGPT. */
        WEIGHTED_MEAN("weightedmean", "pooling_mode_weightedmean_tokens"),
        /** The last kept token's vector (zeros when none is kept), as for decoder models. */
        LAST_TOKEN("lasttoken", "pooling_mode_lasttoken");

        private final String id;
        private final String flag;

        Mode(String id, String flag) {
            this.id = id;
            this.flag = flag;
        }

        /** {@return the name sentence-transformers gives it ({@code "cls"}, {@code "lasttoken"}, ...)} */
        public String id() {
            return id;
        }

        /** {@return its flag in a Pooling module's config.json ({@code pooling_mode_cls_token}, ...)} */
        public String flag() {
            return flag;
        }

        /**
         * {@return the mode of a name, case-insensitive as sentence-transformers reads it; refused naming the valid ones}
         *
         * @param name a mode's name
         */
        public static Mode parse(String name) {
            String lower = name == null ? "" : name.toLowerCase(Locale.ROOT);
            for (Mode m : values()) {
                if (m.id.equals(lower)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown pooling mode '" + name + "'; the modes are " + names());
        }

        /** {@return the names of all modes, for messages and help} */
        public static String names() {
            return Arrays.stream(values()).map(Mode::id).collect(Collectors.joining(", "));
        }
    }

    /** The value sentence-transformers gives padding before taking the maximum. */
    private static final float MASKED = -1e9f;

    /** Checks the values and copies what could change underneath; an IllegalArgumentException names the value out of range. */
    public Pooling {
        if (modes == null || modes.isEmpty()) {
            throw new IllegalArgumentException("pooling needs at least one mode (" + Mode.names() + ")");
        }
        modes = Set.copyOf(EnumSet.copyOf(modes));
    }

    /**
     * {@return one mode, the prompt included}
     *
     * @param mode the mode
     */
    public static Pooling of(Mode mode) {
        return new Pooling(EnumSet.of(mode), true);
    }

    /**
     * {@return the same modes with include_prompt set to include}
     *
     * @param include whether the prompt's tokens are pooled
     */
    public Pooling withIncludePrompt(boolean include) {
        return new Pooling(modes, include);
    }

    /** {@return the modes in the order their vectors are concatenated} */
    public List<Mode> ordered() {
        return EnumSet.copyOf(modes).stream().toList();
    }

    /**
     * {@return the length of a pooled vector for hidden size c}
     *
     * @param c C, the hidden size
     */
    public int dimension(int c) {
        return modes.size() * c;
    }

    /** The modes joined by '+', as sentence-transformers names them ("cls", "mean+max"). */
    @Override
    public String toString() {
        return ordered().stream().map(Mode::id).collect(Collectors.joining("+"))
                + (includePrompt ? "" : " (prompt excluded)");
    }

    /**
     * The pooled vectors [B][modes x C] of hidden states h [B, S, C] (row-major) under mask [B, S]
     * (0 for padding), L2-normalised when normalize is set (sentence-transformers' Normalize
     * module: v / max(|v|, 1e-12)). When the prompt is excluded, the first promptLength positions
     * of every row count as masked (sentence-transformers clears them in the attention mask after
     * the model ran, so that CLS still reads position 0). Sums are taken in double and each
     * result rounded once to float.
     *
     * @param h the hidden states [B, S, C], row-major
     * @param mask the attention mask [B, S]
     * @param b B, the rows
     * @param s S, the positions of a row
     * @param c C, the hidden size
     * @param promptLength the prompt's tokens at the start of each row
     * @param normalize whether the vectors are L2-normalised
     * @return one vector per row
     */
    public float[][] pool(float[] h, long[] mask, int b, int s, int c, int promptLength, boolean normalize) {
        if (h.length != (long) b * s * c || mask.length != (long) b * s) {
            throw new IllegalArgumentException("hidden states of " + h.length + " floats and a mask of " + mask.length
                    + " do not make [B=" + b + ", S=" + s + ", C=" + c + "]");
        }
        float[][] out = new float[b][];
        boolean[] kept = new boolean[s];
        double[] row = new double[dimension(c)];
        List<Mode> order = ordered();
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < s; t++) {
                kept[t] = mask[i * s + t] != 0 && (includePrompt || t >= promptLength);
            }
            int at = 0;
            for (Mode m : order) {
                poolRow(m, h, i * s * c, kept, s, c, row, at);
                at += c;
            }
            out[i] = rounded(row, normalize);
        }
        return out;
    }

    private void poolRow(Mode m, float[] h, int base, boolean[] kept, int s, int c, double[] out, int at) {
        switch (m) {
            case CLS -> cls(h, base, kept, c, out, at);
            case MAX -> max(h, base, kept, s, c, out, at);
            case MEAN, MEAN_SQRT_LEN_TOKENS, WEIGHTED_MEAN -> mean(m, h, base, kept, s, c, out, at);
            case LAST_TOKEN -> last(h, base, kept, s, c, out, at);
        }
    }

    private void cls(float[] h, int base, boolean[] kept, int c, double[] out, int at) {
        // sentence-transformers' CLS vector is a view of the hidden states, which its max pooling then
        // overwrites in place at masked positions: with both modes, a masked position 0 reads -1e9
        boolean overwritten = modes.contains(Mode.MAX) && !kept[0];
        for (int k = 0; k < c; k++) {
            out[at + k] = overwritten ? MASKED : h[base + k];
        }
    }

    private static void max(float[] h, int base, boolean[] kept, int s, int c, double[] out, int at) {
        for (int k = 0; k < c; k++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < s; t++) {
                best = Math.max(best, kept[t] ? h[base + t * c + k] : MASKED);
            }
            out[at + k] = best;
        }
    }

    /** mean, mean_sqrt_len_tokens and weightedmean: a weighted sum over a clamped sum of weights. */
    private static void mean(Mode m, float[] h, int base, boolean[] kept, int s, int c, double[] out, int at) {
        Arrays.fill(out, at, at + c, 0);
        double weights = 0;
        for (int t = 0; t < s; t++) {
            if (!kept[t]) {
                continue;
            }
            double w = m == Mode.WEIGHTED_MEAN ? t + 1 : 1;
            weights += w;
            for (int k = 0; k < c; k++) {
                out[at + k] += w * h[base + t * c + k];
            }
        }
        double clamped = Math.max(weights, 1e-9);
        double divisor = m == Mode.MEAN_SQRT_LEN_TOKENS ? Math.sqrt(clamped) : clamped;
        for (int k = 0; k < c; k++) {
            out[at + k] /= divisor;
        }
    }

    private static void last(float[] h, int base, boolean[] kept, int s, int c, double[] out, int at) {
        int last = -1;
        for (int t = 0; t < s; t++) {
            if (kept[t]) {
                last = t;
            }
        }
        for (int k = 0; k < c; k++) {
            out[at + k] = last < 0 ? 0 : h[base + last * c + k];
        }
    }

    /** The row rounded to float, first divided by max(|row|, 1e-12) when normalize is set. */
    private static float[] rounded(double[] row, boolean normalize) {
        double norm = 0;
        for (double v : row) {
            norm += v * v;
        }
        double scale = normalize ? 1 / Math.max(Math.sqrt(norm), 1e-12) : 1;
        float[] out = new float[row.length];
        for (int k = 0; k < row.length; k++) {
            out[k] = (float) (row[k] * scale);
        }
        return out;
    }
}
