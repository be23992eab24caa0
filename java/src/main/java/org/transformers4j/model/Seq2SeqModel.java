package org.transformers4j.model;

import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** An encoder-decoder model (BART, Marian, mBART, Pegasus, T5, mT5) ready to run; safe to share between threads. */
public interface Seq2SeqModel extends AutoCloseable {

    /** {@return the model's config.json} */
    ModelConfig config();

    /** {@return vocabulary size (logits per position)} */
    int vocabSize();

    /** {@return hidden size C} */
    int hiddenSize();

    /** {@return longest source the encoder takes} */
    int maxSourcePositions();

    /** {@return longest target the decoder takes (decoder start token and generated tokens together)} */
    int maxTargetPositions();

    /** {@return the special tokens of config.json; generation starts from decoderStart} */
    SpecialTokens specialTokens();

    /**
     * Runs the encoder; returns its hidden states [B, S, C] after the embeddings and after each
     * layer, the last one after the final norm (all of them, or only the last), in {@code out}.
     *
     * @param source the source tokens [B, S] and their mask
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param out where the outputs are allocated
     * @return the encoder's hidden states
     */
    EncoderOutput encode(EncoderInput source, boolean allHiddenStates, TensorArena out);

    /**
     * As {@link #encode(EncoderInput, boolean, TensorArena)}, and with {@code outputAttentions}
     * each encoder layer's attention probabilities [B, H, S, S] (transformers'
     * encoder_attentions with eager attention; the pass then attends unfused). Models that cannot
     * give them refuse.
     *
     * @param source the source tokens [B, S] and their mask
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param outputAttentions whether each layer's attention probabilities are returned
     * @param out where the outputs are allocated
     * @return the encoder's hidden states and (when asked) attention probabilities
     * @throws UnsupportedOperationException when asked for probabilities the model cannot give
     */
    default EncoderOutput encode(EncoderInput source, boolean allHiddenStates, boolean outputAttentions,
                                 TensorArena out) {
        if (outputAttentions) {
            throw new UnsupportedOperationException("attention probabilities are not available for "
                    + config().source());
        }
        return encode(source, allHiddenStates, out);
    }

    /**
     * A decoding cache for B target sequences attending to encoded [B, T, C] (the encoder's last
     * hidden state) with its padding mask [B * T] (1 = real, or null when all are real); each
     * decoder layer's cross-attention keys and values are computed here, once.
     *
     * @param encoded the encoder's last hidden state [B, T, C]
     * @param sourceMask its padding mask [B * T], or null
     * @param capacity target positions each sequence may hold
     * @return the cache, owned by the caller
     */
    Seq2SeqCache newCache(Tensor encoded, long[] sourceMask, int capacity);

    /**
     * Encodes the sources and makes a decoding cache for them in one step, as
     * {@code newCache(encode(source, false, out).lastHiddenState(), source.attentionMask(), capacity)}
     * but without handing the encoder's output to the caller (a GPU model keeps it on the GPU).
     *
     * @param source the source tokens [B, S] and their mask
     * @param capacity target positions each sequence may hold
     * @return the cache, owned by the caller
     */
    default Seq2SeqCache encodeToCache(EncoderInput source, int capacity) {
        try (TensorArena out = TensorArena.confined()) {
            return newCache(encode(source, false, out).lastHiddenState(), source.attentionMask(), capacity);
        }
    }

    /**
     * Runs target tokens after what the cache holds; returns decoder hidden states and logits
     * ([B, S, V], or [B, 1, V] for the last position only) in {@code out}.
     *
     * @param target the new target tokens [B, S]
     * @param cache the encoded sources and what the targets hold so far
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param lastLogitsOnly whether logits are computed for each row's last position only
     * @param out where the outputs are allocated
     * @return the decoder's hidden states and logits
     */
    DecoderOutput decode(DecoderInput target, Seq2SeqCache cache, boolean allHiddenStates, boolean lastLogitsOnly,
                         TensorArena out);

    /**
     * As {@link #decode(DecoderInput, Seq2SeqCache, boolean, boolean, TensorArena)}, and with
     * {@code outputAttentions} each decoder layer's self-attention probabilities [B, H, S, P + S]
     * over the cached and new target positions and its cross-attention probabilities [B, H, S, T]
     * over the T source positions (transformers' decoder_attentions and cross_attentions with
     * eager attention; the pass then attends unfused). Models that cannot give them refuse.
     *
     * @param target the new target tokens [B, S]
     * @param cache the encoded sources and what the targets hold so far
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param lastLogitsOnly whether logits are computed for each row's last position only
     * @param outputAttentions whether each layer's attention probabilities are returned
     * @param out where the outputs are allocated
     * @return the decoder's hidden states, logits and (when asked) attention probabilities
     * @throws UnsupportedOperationException when asked for probabilities the model cannot give
     */
    default DecoderOutput decode(DecoderInput target, Seq2SeqCache cache, boolean allHiddenStates,
                                 boolean lastLogitsOnly, boolean outputAttentions, TensorArena out) {
        if (outputAttentions) {
            throw new UnsupportedOperationException("attention probabilities are not available for "
                    + config().source());
        }
        return decode(target, cache, allHiddenStates, lastLogitsOnly, out);
    }

    /**
     * One step of generation: runs target tokens after what the cache holds and returns only the
     * last position's logits [B, 1, V], in {@code out}, without hidden states (a GPU model would
     * otherwise copy the last one to the host at every step).
     *
     * @param target the new target tokens [B, S]
     * @param cache the encoded sources and what the targets hold so far
     * @param out where the logits are allocated
     * @return the logits [B, 1, V]
     */
    default Tensor decodeStep(DecoderInput target, Seq2SeqCache cache, TensorArena out) {
        return decode(target, cache, false, true, out).logits();
    }

    /**
     * Encoder and decoder over whole sequences (teacher forcing), as Hugging Face's forward.
     *
     * @param source the source tokens and their mask
     * @param target the target tokens
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param out where the outputs are allocated
     * @return the encoder's and the decoder's outputs
     */
    default Seq2SeqOutput forward(EncoderInput source, DecoderInput target, boolean allHiddenStates,
                                  TensorArena out) {
        return forward(source, target, allHiddenStates, false, out);
    }

    /**
     * As {@link #forward(EncoderInput, DecoderInput, boolean, TensorArena)}, and with
     * {@code outputAttentions} the encoder's attention probabilities in the encoder's output and
     * the decoder's self- and cross-attention probabilities in the decoder's (transformers'
     * output_attentions with eager attention).
     *
     * @param source the source tokens and their mask
     * @param target the target tokens
     * @param allHiddenStates whether every layer's hidden states are returned, or only the last
     * @param outputAttentions whether each layer's attention probabilities are returned
     * @param out where the outputs are allocated
     * @return the encoder's and the decoder's outputs
     * @throws UnsupportedOperationException when asked for probabilities the model cannot give
     */
    default Seq2SeqOutput forward(EncoderInput source, DecoderInput target, boolean allHiddenStates,
                                  boolean outputAttentions, TensorArena out) {
        if (target.batch() != source.batch()) {
            throw new IllegalArgumentException("target batch " + target.batch() + " differs from the source batch "
                    + source.batch());
        }
        EncoderOutput encoded = encode(source, allHiddenStates, outputAttentions, out);
        try (Seq2SeqCache cache = newCache(encoded.lastHiddenState(), source.attentionMask(), target.seq())) {
            return new Seq2SeqOutput(encoded, decode(target, cache, allHiddenStates, false, outputAttentions, out));
        }
    }

    /** Releases the weights. */
    @Override
    void close();
}
