package org.transformers4j.model;

/**
 * A family's typed config.json (BertConfig, Gpt2Config, T5Config, ...): its keys as record
 * components of the same names, Hugging Face's defaults for missing ones, every value checked
 * when the record is made.
 */
public interface FamilyConfig {
    /** {@return rows of the token embedding table (the input vocabulary)} */
    int vocab_size();

    /** {@return the token ids with a role in generation, each checked to lie inside the vocabulary} */
    SpecialTokens specialTokens();
}
