package org.transformers4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Token ids with a role in generation, from config.json / generation_config.json; -1 where absent.
 *
 * @param bos the beginning-of-sequence id
 * @param eos every end-of-sequence id (configs may list several)
 * @param pad the padding id
 * @param decoderStart the id an encoder-decoder's decoder starts from
 */
public record SpecialTokens(long bos, List<Long> eos, long pad, long decoderStart) {

    /** Copies what could change underneath, so that the record stays as made. */
    public SpecialTokens {
        eos = List.copyOf(eos);
    }

    /**
     * {@return the ids of a checked family config; null where the config has none}
     *
     * @param bos the beginning-of-sequence id, or null
     * @param eos the end-of-sequence ids, or null
     * @param pad the padding id, or null
     * @param decoderStart the decoder start id, or null
     */
    public static SpecialTokens of(Integer bos, TokenIds eos, Integer pad, Integer decoderStart) {
        return new SpecialTokens(bos == null ? -1 : bos, eos == null ? List.of() : eos.ids(), pad == null ? -1 : pad,
                decoderStart == null ? -1 : decoderStart);
    }

    /**
     * {@return the ids of config.json, read and checked as its family's record (every id inside the vocabulary)}
     *
     * @param config the parsed config.json
     */
    public static SpecialTokens from(ModelConfig config) {
        return ModelRegistry.readConfig(config).specialTokens();
    }

    /**
     * {@return these tokens with the keys a generation_config.json sets overriding them}
     *
     * @param generation the parsed generation_config.json
     */
    public SpecialTokens overriddenBy(ModelConfig generation) {
        return new SpecialTokens(generation.getInt("bos_token_id", (int) bos),
                generation.has("eos_token_id") ? ids(generation, "eos_token_id") : eos,
                generation.getInt("pad_token_id", (int) pad),
                generation.getInt("decoder_start_token_id", (int) decoderStart));
    }

    private static List<Long> ids(ModelConfig config, String key) {
        List<Long> out = new ArrayList<>();
        if (config.has(key)) {
            var e = config.json().get(key);
            if (e.isJsonArray()) {
                e.getAsJsonArray().forEach(x -> out.add(x.getAsLong()));
            } else {
                out.add(e.getAsLong());
            }
        }
        return out;
    }
}
