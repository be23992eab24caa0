/**
 * Tokenizers from Hugging Face tokenizer.json files:
 * {@link org.transformers4j.tokenizer.Tokenizer} encodes text to token ids and back. The file is
 * checked strictly before the native tokenizer (DJL's binding of Hugging Face tokenizers) reads it,
 * so that a malformed file fails with an exception naming the file and the field.
 */
package org.transformers4j.tokenizer;
