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
     */
    EncoderOutput encode(EncoderInput source, boolean allHiddenStates, TensorArena out);

    /**
     * A decoding cache for B target sequences attending to encoded [B, T, C] (the encoder's last
     * hidden state) with its padding mask [B * T] (1 = real, or null when all are real); each
     * decoder layer's cross-attention keys and values are computed here, once.
     */
    Seq2SeqCache newCache(Tensor encoded, long[] sourceMask, int capacity);

    /**
     * Encodes the sources and makes a decoding cache for them in one step, as
     * {@code newCache(encode(source, false, out).lastHiddenState(), source.attentionMask(), capacity)}
     * but without handing the encoder's output to the caller (a GPU model keeps it on the GPU).
     */
    default Seq2SeqCache encodeToCache(EncoderInput source, int capacity) {
        try (TensorArena out = TensorArena.confined()) {
            return newCache(encode(source, false, out).lastHiddenState(), source.attentionMask(), capacity);
        }
    }

    /**
     * Runs target tokens after what the cache holds; returns decoder hidden states and logits
     * ([B, S, V], or [B, 1, V] for the last position only) in {@code out}.
     */
    DecoderOutput decode(DecoderInput target, Seq2SeqCache cache, boolean allHiddenStates, boolean lastLogitsOnly,
                         TensorArena out);

    /**
     * One step of generation: runs target tokens after what the cache holds and returns only the
     * last position's logits [B, 1, V], in {@code out}, without hidden states (a GPU model would
     * otherwise copy the last one to the host at every step).
     */
    default Tensor decodeStep(DecoderInput target, Seq2SeqCache cache, TensorArena out) {
        return decode(target, cache, false, true, out).logits();
    }

    /** Encoder and decoder over whole sequences (teacher forcing), as Hugging Face's forward. */
    default Seq2SeqOutput forward(EncoderInput source, DecoderInput target, boolean allHiddenStates,
                                  TensorArena out) {
        EncoderOutput encoded = encode(source, allHiddenStates, out);
        try (Seq2SeqCache cache = newCache(encoded.lastHiddenState(), source.attentionMask(), target.seq())) {
            return new Seq2SeqOutput(encoded, decode(target, cache, allHiddenStates, false, out));
        }
    }

    /** Releases the weights. */
    @Override
    void close();
}
