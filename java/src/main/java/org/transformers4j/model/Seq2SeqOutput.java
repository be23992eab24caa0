package org.transformers4j.model;

/** What an encoder-decoder computed in one teacher-forced pass. */
public record Seq2SeqOutput(EncoderOutput encoder, DecoderOutput decoder) {
}
