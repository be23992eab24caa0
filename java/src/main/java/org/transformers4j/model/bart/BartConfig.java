package org.transformers4j.model.bart;

import static org.transformers4j.model.ConfigChecks.activation;
import static org.transformers4j.model.ConfigChecks.heapTable;
import static org.transformers4j.model.ConfigChecks.multipleOf;
import static org.transformers4j.model.ConfigChecks.oneOf;
import static org.transformers4j.model.ConfigChecks.positive;
import static org.transformers4j.model.ConfigChecks.tensor;
import static org.transformers4j.model.ConfigChecks.tokenId;
import static org.transformers4j.model.ConfigChecks.tokenIds;

import com.google.gson.JsonObject;
import java.util.Map;
import org.transformers4j.model.ConfigReader;
import org.transformers4j.model.FamilyConfig;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TokenIds;

/**
 * The keys of a BART, Marian, mBART or Pegasus config.json (model_type "bart", "marian", "mbart"
 * or "pegasus"), with Hugging Face's defaults for missing ones (transformers' BartConfig,
 * MarianConfig, MBartConfig and PegasusConfig, whose attribute_map also accepts hidden_size and
 * num_attention_heads for d_model and encoder_attention_heads, and for mBART and Pegasus
 * num_hidden_layers for encoder_layers), checked when made. The four share one architecture and
 * differ in where the norms sit and how positions are made (see {@link #preNorm()},
 * {@link #learnedPositions()}, {@link #embeddingNorm()}).
 *
 * @param decoder_vocab_size Marian's target vocabulary when it is not shared, or null for vocab_size
 * @param share_encoder_decoder_embeddings Marian: one table for source and target tokens
 * @param model_type the config's model_type, which picks the variant of the layout
 * @param vocab_size V, rows of the token embedding table
 * @param max_position_embeddings the longest sequence the position embeddings (or the rotary settings) are made for
 * @param d_model C, the width of the hidden states
 * @param encoder_layers the number of encoder layers
 * @param encoder_ffn_dim F of the encoder layers
 * @param encoder_attention_heads H of the encoder layers
 * @param decoder_layers the number of decoder layers
 * @param decoder_ffn_dim F of the decoder layers
 * @param decoder_attention_heads H of the decoder layers
 * @param activation_function the feed-forward activation, by its Hugging Face name
 * @param scale_embedding whether token embeddings are multiplied by the square root of C
 * @param pad_token_id the padding token, or null
 * @param bos_token_id the beginning-of-sequence token, or null
 * @param eos_token_id the end-of-sequence token or tokens, or null
 * @param decoder_start_token_id the token the decoder starts from, or null
 * @param forced_bos_token_id the token forced as the first generated one, or null
 * @param forced_eos_token_id the token forced when the length limit is reached, or null
 * @param tie_word_embeddings whether the output projection shares the token embedding table
 */
public record BartConfig(String model_type, int vocab_size, Integer decoder_vocab_size, int max_position_embeddings,
                         int d_model, int encoder_layers, int encoder_ffn_dim, int encoder_attention_heads,
                         int decoder_layers, int decoder_ffn_dim, int decoder_attention_heads,
                         String activation_function, boolean scale_embedding, Integer pad_token_id, Integer bos_token_id,
                         TokenIds eos_token_id, Integer decoder_start_token_id, Integer forced_bos_token_id,
                         TokenIds forced_eos_token_id, boolean share_encoder_decoder_embeddings,
                         boolean tie_word_embeddings) implements FamilyConfig {
    /** BART's and Marian's layer norms use torch's default epsilon. */
    public static final double LAYER_NORM_EPS = 1e-5;

    private static final Map<String, String> ALIASES = Map.of("hidden_size", "d_model", "num_attention_heads",
            "encoder_attention_heads");
    private static final Map<String, String> ALIASES_WITH_LAYERS = Map.of("hidden_size", "d_model",
            "num_attention_heads", "encoder_attention_heads", "num_hidden_layers", "encoder_layers");
    private static final JsonObject BART = ConfigReader.defaults("""
            {"vocab_size": 50265, "max_position_embeddings": 1024, "d_model": 1024, "encoder_layers": 12,
             "encoder_ffn_dim": 4096, "encoder_attention_heads": 16, "decoder_layers": 12, "decoder_ffn_dim": 4096,
             "decoder_attention_heads": 16, "activation_function": "gelu", "scale_embedding": false,
             "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2,
             "forced_eos_token_id": 2, "share_encoder_decoder_embeddings": true, "tie_word_embeddings": true}""");
    private static final JsonObject MARIAN = ConfigReader.defaults("""
            {"vocab_size": 58101, "max_position_embeddings": 1024, "d_model": 1024, "encoder_layers": 12,
             "encoder_ffn_dim": 4096, "encoder_attention_heads": 16, "decoder_layers": 12, "decoder_ffn_dim": 4096,
             "decoder_attention_heads": 16, "activation_function": "gelu", "scale_embedding": false,
             "pad_token_id": 58100, "eos_token_id": 0, "decoder_start_token_id": 58100, "forced_eos_token_id": 0,
             "share_encoder_decoder_embeddings": true, "tie_word_embeddings": true}""");
    // mBART has no decoder_start_token_id default: generation then starts from bos_token_id
    private static final JsonObject MBART = ConfigReader.defaults("""
            {"vocab_size": 50265, "max_position_embeddings": 1024, "d_model": 1024, "encoder_layers": 12,
             "encoder_ffn_dim": 4096, "encoder_attention_heads": 16, "decoder_layers": 12, "decoder_ffn_dim": 4096,
             "decoder_attention_heads": 16, "activation_function": "gelu", "scale_embedding": false,
             "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "forced_eos_token_id": 2,
             "share_encoder_decoder_embeddings": true, "tie_word_embeddings": true}""");
    private static final JsonObject PEGASUS = ConfigReader.defaults("""
            {"vocab_size": 50265, "max_position_embeddings": 1024, "d_model": 1024, "encoder_layers": 12,
             "encoder_ffn_dim": 4096, "encoder_attention_heads": 16, "decoder_layers": 12, "decoder_ffn_dim": 4096,
             "decoder_attention_heads": 16, "activation_function": "gelu", "scale_embedding": false,
             "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0, "forced_eos_token_id": 1,
             "share_encoder_decoder_embeddings": true, "tie_word_embeddings": true}""");

    /** Checks the values; an IllegalArgumentException names the value out of range. */
    public BartConfig {
        oneOf("model_type", model_type, "bart", "marian", "mbart", "pegasus");
        positive("vocab_size", vocab_size);
        int target = target(model_type, vocab_size, decoder_vocab_size, share_encoder_decoder_embeddings);
        positive("decoder_vocab_size", target);
        positive("max_position_embeddings", max_position_embeddings);
        positive("d_model", d_model);
        stack("encoder", encoder_layers, encoder_ffn_dim, encoder_attention_heads, d_model);
        stack("decoder", decoder_layers, decoder_ffn_dim, decoder_attention_heads, d_model);
        activation("activation_function", activation_function);
        tensor("vocab_size", vocab_size, "d_model", d_model);
        tensor("decoder_vocab_size", target, "d_model", d_model);
        tensor("max_position_embeddings + 2", max_position_embeddings + 2L, "d_model", d_model);
        if (!learnedPositions(model_type)) { // the sinusoidal table is computed here
            heapTable("max_position_embeddings", max_position_embeddings, "d_model", d_model);
        }
        tokenId("pad_token_id", pad_token_id, "vocab_size", Math.min(vocab_size, target));
        tokenId("bos_token_id", bos_token_id, "decoder_vocab_size", target);
        tokenIds("eos_token_id", eos_token_id, "decoder_vocab_size", target);
        tokenId("decoder_start_token_id", decoder_start_token_id, "decoder_vocab_size", target);
        tokenId("forced_bos_token_id", forced_bos_token_id, "decoder_vocab_size", target);
        tokenIds("forced_eos_token_id", forced_eos_token_id, "decoder_vocab_size", target);
    }

    private static void stack(String side, int layers, int ffn, int heads, int d) {
        positive(side + "_layers", layers);
        positive(side + "_ffn_dim", ffn);
        positive(side + "_attention_heads", heads);
        multipleOf("d_model", d, side + "_attention_heads", heads);
        tensor(side + "_ffn_dim", ffn, "d_model", d);
    }

    /**
     * Reads and checks config.json with the defaults of its model_type.
     *
     * @param c the parsed config.json
     * @return the checked config
     */
    public static BartConfig from(ModelConfig c) {
        return switch (c.modelType()) {
            case "marian" -> ConfigReader.read(c, BartConfig.class, ALIASES, MARIAN);
            case "mbart" -> ConfigReader.read(c, BartConfig.class, ALIASES_WITH_LAYERS, MBART);
            case "pegasus" -> ConfigReader.read(c, BartConfig.class, ALIASES_WITH_LAYERS, PEGASUS);
            default -> ConfigReader.read(c, BartConfig.class, ALIASES, BART);
        };
    }

    /**
     * {@return whether this is a Marian model}
     */
    public boolean isMarian() {
        return model_type.equals("marian");
    }

    /**
     * Whether each block normalises its input (mBART, Pegasus: x + f(norm(x))), with a layer norm
     * after each stack's last layer; otherwise the norm follows the residual sum (BART, Marian).
     *
     * @return whether the norms come first
     */
    public boolean preNorm() {
        return model_type.equals("mbart") || model_type.equals("pegasus");
    }

    /**
     * Whether positions come from a learned table read from the checkpoint, offset by 2 (BART,
     * mBART); otherwise from the sinusoidal table of Marian and Pegasus.
     *
     * @return whether positions are learned
     */
    public boolean learnedPositions() {
        return learnedPositions(model_type);
    }

    private static boolean learnedPositions(String type) {
        return type.equals("bart") || type.equals("mbart");
    }

    /** {@return whether a layer norm (layernorm_embedding) follows the sum of token and position embeddings (BART, mBART)} */
    public boolean embeddingNorm() {
        return learnedPositions();
    }

    /** {@return rows of the decoder's token table and of the LM head} */
    public int targetVocabSize() {
        return target(model_type, vocab_size, decoder_vocab_size, share_encoder_decoder_embeddings);
    }

    private static int target(String type, int vocab, Integer decoderVocab, boolean shared) {
        return type.equals("marian") && !shared && decoderVocab != null ? decoderVocab : vocab;
    }

    @Override
    public SpecialTokens specialTokens() {
        return SpecialTokens.of(bos_token_id, eos_token_id, pad_token_id, decoder_start_token_id);
    }
}
