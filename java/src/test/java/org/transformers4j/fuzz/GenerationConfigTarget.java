package org.transformers4j.fuzz;

import java.util.List;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.model.SpecialTokens;

/**
 * Fuzz target: the bytes as a generation_config.json, read over a model's defaults with a
 * 1,000-token vocabulary, then validated and made concrete for a prompt. Refusals are
 * IllegalArgumentExceptions; anything else escaping is a finding.
 */
public final class GenerationConfigTarget {
    private static final SpecialTokens SPECIAL = new SpecialTokens(1, List.of(2L), 0, 0);
    private static final GenerationConfig DEFAULTS = GenerationConfig.forModel(SPECIAL);

    private GenerationConfigTarget() {
    }

    /** One input: refused with an IllegalArgumentException, or run through to the end. */
    public static void fuzzerTestOneInput(byte[] data) {
        try {
            String text = SafeFiles.decodeUtf8(data, "generation_config.json");
            GenerationConfig cfg = DEFAULTS.overriddenBy(text, "generation_config.json", 1000);
            cfg.validate().requireVocabulary(1000, "the model");
            cfg.forPromptLength(7).validate();
        } catch (IllegalArgumentException refused) {
            // bad input, named
        }
    }
}
