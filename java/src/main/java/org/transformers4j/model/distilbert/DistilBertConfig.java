package org.transformers4j.model.distilbert;

import org.transformers4j.model.ModelConfig;

/** The keys of a DistilBERT config.json, with Hugging Face's defaults for missing ones. */
public record DistilBertConfig(int vocab_size, int dim, int n_layers, int n_heads, int hidden_dim, String activation,
                               int max_position_embeddings, boolean sinusoidal_pos_embds, int pad_token_id) {
    /** DistilBERT's layer norms use a fixed epsilon. */
    public static final double LAYER_NORM_EPS = 1e-12;

    public static DistilBertConfig from(ModelConfig c) {
        DistilBertConfig cfg = new DistilBertConfig(c.requireInt("vocab_size"), c.getInt("dim", 768),
                c.getInt("n_layers", 6), c.getInt("n_heads", 12), c.getInt("hidden_dim", 3072),
                c.getString("activation", "gelu"), c.getInt("max_position_embeddings", 512),
                c.getBoolean("sinusoidal_pos_embds", false), c.getInt("pad_token_id", 0));
        if (cfg.dim % cfg.n_heads != 0) {
            throw new IllegalArgumentException(c.source() + ": dim " + cfg.dim + " is not a multiple of n_heads "
                    + cfg.n_heads);
        }
        return cfg;
    }
}
