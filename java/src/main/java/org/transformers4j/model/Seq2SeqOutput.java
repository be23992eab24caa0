package org.transformers4j.model;

/**
 * What an encoder-decoder computed in one teacher-forced pass.
 *
 * @param encoder the encoder's output
 * @param decoder the decoder's output
 */
public record Seq2SeqOutput(EncoderOutput encoder, DecoderOutput decoder) {
}
