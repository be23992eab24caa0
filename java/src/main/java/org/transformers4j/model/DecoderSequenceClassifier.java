package org.transformers4j.model;

import java.util.List;
import java.util.Objects;
import org.transformers4j.nn.KvCache;
import org.transformers4j.nn.PackedTokens;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A decoder-only model with a sequence-classification head (LlamaForSequenceClassification and
 * the others transformers builds on GenericForSequenceClassification), used as an encoder: the
 * causal stack runs over the whole input (positions 0 .. S - 1, padding hidden by the mask), the
 * {@code score} projection (no bias) gives labels at every position, and each row keeps those of
 * one position, exactly as transformers picks it:
 * <ul>
 *   <li>with a pad_token_id, the rightmost position whose token is not pad_token_id (left or right
 *       padding alike; a row of nothing but padding keeps position 0), whatever the attention mask
 *       says, for transformers reads the token ids, not the mask;</li>
 *   <li>without one, the last position when the batch is one row. transformers refuses larger
 *       batches ("Cannot handle batch sizes &gt; 1 if no padding token is defined"); here each row
 *       keeps its last position the attention mask marks real, which is what transformers gives
 *       for that row alone.</li>
 * </ul>
 * {@link #forwardUnpadded} (what the pipelines call) runs the rows' kept tokens packed, without
 * the padding, and projects only the pooled positions.
 */
public final class DecoderSequenceClassifier implements EncoderModel {
    private final TransformerDecoder decoder;
    private final int vocab;
    private final Integer padTokenId;

    /**
     * A classifier over a decoder stack: each row is scored at its last token that is not padding.
     *
     * @param decoder the stack, whose head is the score projection [labels, C]
     * @param vocab rows of the token embedding table
     * @param padTokenId the config's pad_token_id, or null
     */
    public DecoderSequenceClassifier(TransformerDecoder decoder, int vocab, Integer padTokenId) {
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.vocab = vocab;
        this.padTokenId = padTokenId;
    }

    @Override
    public ModelConfig config() {
        return decoder.config();
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int hiddenSize() {
        return decoder.hiddenSize();
    }

    @Override
    public int maxPositions() {
        return decoder.maxPositions();
    }

    @Override
    public Head head() {
        return Head.SEQUENCE_CLASSIFICATION;
    }

    /** Labels [B, labels] of each row's pooled position, and the hidden states [B, S, C] when asked. */
    @Override
    public EncoderOutput forward(EncoderInput in, boolean allHiddenStates, TensorArena out) {
        return forward(in, allHiddenStates, false, out);
    }

    /** As above; with outputAttentions the decoder's causal attention probabilities [B, H, S, S] per layer. */
    @Override
    public EncoderOutput forward(EncoderInput in, boolean allHiddenStates, boolean outputAttentions,
                                 TensorArena out) {
        int b = in.batch(), s = in.seq();
        checkIds(in);
        try (TensorArena work = TensorArena.confined()) {
            DecoderInput input = new DecoderInput(b, s, in.ids(), in.attentionMask(), null);
            DecoderOutput full;
            if (outputAttentions) {
                try (KvCache cache = decoder.newCache(b, s)) {
                    full = decoder.forward(input, cache, allHiddenStates, false, true, work);
                }
            } else {
                full = decoder.forward(input, allHiddenStates, work);
            }
            int labels = (int) full.logits().dim(2);
            float[] all = full.logits().toFloatArray(), pooled = new float[b * labels];
            for (int r = 0; r < b; r++) {
                int at = pooledPosition(padTokenId, in.ids(), in.attentionMask(), b, s, r);
                System.arraycopy(all, (r * s + at) * labels, pooled, r * labels, labels);
            }
            List<Tensor> hidden = full.hiddenStates(); // all of them, or the last only
            return new EncoderOutput(copied(hidden, out), out.of(pooled, b, labels), copied(full.attentions(), out));
        }
    }

    /**
     * The batch without its padding: each row's kept tokens (one run of them per row) packed end
     * to end, every layer run over them alone and the score projection at each row's pooled
     * token only; what {@link #forward} gives at the real positions, within rounding. A row
     * whose mask has a hole, or whose pooled token is one the mask hides, runs the padded pass.
     */
    @Override
    public EncoderOutput forwardUnpadded(EncoderInput in, TensorArena out) {
        checkIds(in);
        int b = in.batch(), s = in.seq();
        long[] positions = new long[b * s];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i % s; // what the padded pass gives every row (transformers' default position ids)
        }
        PackedTokens packed = PackedTokens.of(b, s, in.ids(), in.attentionMask(), null, positions);
        if (packed == null || !packed.contiguous()) {
            return forward(in, false, out);
        }
        long[] pooled = new long[b];
        for (int r = 0; r < b; r++) {
            int at = pooledPosition(padTokenId, in.ids(), in.attentionMask(), b, s, r), first = 0;
            while (first < s && in.attentionMask()[r * s + first] == 0) {
                first++;
            }
            if (in.attentionMask()[r * s + at] == 0) {
                return forward(in, false, out);
            }
            pooled[r] = packed.sequences().starts()[r] + (at - first); // the row's kept tokens are one run
        }
        return decoder.packedPass(packed, pooled, out);
    }

    private void checkIds(EncoderInput in) {
        for (long id : in.ids()) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocab
                        + " of " + config().source());
            }
        }
    }

    private static List<Tensor> copied(List<Tensor> tensors, TensorArena out) {
        return tensors.stream().map(t -> out.of(t.toFloatArray(), t.shape().toArray())).toList();
    }

    /** The position whose labels row r keeps (see the class comment); padTokenId may be null. */
    static int pooledPosition(Integer padTokenId, long[] ids, long[] mask, int batch, int seq, int row) {
        if (padTokenId != null) {
            int last = 0;
            for (int j = 0; j < seq; j++) {
                if (ids[row * seq + j] != padTokenId) {
                    last = j;
                }
            }
            return last;
        }
        if (batch == 1 || mask == null) {
            return seq - 1;
        }
        int last = seq - 1;
        for (int j = 0; j < seq; j++) {
            if (mask[row * seq + j] != 0) {
                last = j;
            }
        }
        return last;
    }

    /** Releases the weights. */
    @Override
    public void close() {
        decoder.close();
    }
}
