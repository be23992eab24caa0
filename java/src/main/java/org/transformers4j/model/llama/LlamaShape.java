package org.transformers4j.model.llama;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.transformers4j.backend.Activation;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.DecoderSequenceClassifier;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.SpecialTokens;
import org.transformers4j.model.TransformerDecoder;
import org.transformers4j.nn.FeedForward;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.Norm;
import org.transformers4j.nn.RmsNorm;
import org.transformers4j.nn.SelfAttention;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.Tensor;

/**
 * The decoder Llama, Mistral, Qwen2, Qwen3, Gemma and Phi-3 share, and the ways each departs from
 * it, resolved from a family's config: {@code model.embed_tokens} (optionally scaled), layers of
 * {@code input_layernorm}, {@code self_attn} (q_proj, k_proj, v_proj, o_proj, or Phi-3's fused
 * qkv_proj), {@code post_attention_layernorm} and {@code mlp} (gate_proj, up_proj, down_proj, or
 * Phi-3's fused gate_up_proj), a final {@code model.norm} and {@code lm_head} (or the {@code score}
 * of a sequence classifier). Attention is causal, scaled by 1/sqrt(head_dim).
 *
 * @param vocab V, the rows of embed_tokens
 * @param hidden C
 * @param layers the decoder layers
 * @param heads H, the query heads
 * @param kvHeads K: key/value heads, dividing heads
 * @param headDim D, which need not be hidden / heads (Gemma, Qwen3)
 * @param intermediate F, the feed-forward size
 * @param maxPositions the longest sequence (max_position_embeddings)
 * @param eps the RMS norms' epsilon
 * @param act the activation of the gated feed-forward
 * @param qkvBias biases on the query, key and value projections (Qwen2; Llama's attention_bias)
 * @param outBias a bias on the output projection (Llama's attention_bias)
 * @param mlpBias biases on the feed-forward projections (Llama's mlp_bias)
 * @param fused Phi-3's qkv_proj and gate_up_proj, stored fused
 * @param normOffsetFromOne Gemma's norms: the weight is an offset from 1
 * @param qkNorm Qwen3's q_norm and k_norm over D of each head, before the rotary embedding
 * @param embedScale multiplies the token embeddings (Gemma: sqrt(hidden)); 1 for none
 * @param windows the sliding window of a layer (0: global attention)
 * @param rope the checked rotary settings
 * @param rotaryDim the dimensions of each head that rotate (all of them but with Phi-3's partial rotary)
 * @param tieWordEmbeddings the LM head is the token embedding table
 * @param special the special token ids generation and padding use
 */
public record LlamaShape(int vocab, int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate,
                         int maxPositions, double eps, Activation act, boolean qkvBias, boolean outBias,
                         boolean mlpBias, boolean fused, boolean normOffsetFromOne, boolean qkNorm, float embedScale,
                         IntUnaryOperator windows, RopeParameters rope, int rotaryDim, boolean tieWordEmbeddings,
                         SpecialTokens special) {

    /**
     * Checks the rotary settings against the head dimension.
     *
     * @throws IllegalArgumentException when rotaryDim exceeds headDim, is odd or 0, or LongRoPE's
     *         factors do not give one per frequency
     */
    public LlamaShape {
        if (rotaryDim > headDim) {
            throw new IllegalArgumentException("the rotary dimension " + rotaryDim + " exceeds head_dim " + headDim);
        }
        Rotary.check(rope, rotaryDim);
    }

    /**
     * {@return the causal LM (XForCausalLM): the stack and lm_head, tied to the embeddings where the config says}
     *
     * @param config the model's configuration
     * @param w the checkpoint's tensors, on the backend the model runs on
     * @throws org.transformers4j.checkpoint.CheckpointException when a tensor is missing or has another shape
     */
    public DecoderModel causalLm(ModelConfig config, Weights w) {
        String p = prefix(w);
        Tensor tokens = w.get(p + "embed_tokens.weight", vocab, hidden);
        Linear head;
        long[] headDims = {vocab, hidden};
        if (tieWordEmbeddings) { // transformers ties lm_head to the embeddings, whatever the file stores
            w.skip("lm_head.weight", headDims);
            head = new Linear(tokens, null);
        } else {
            head = new Linear(w.tiedOr("lm_head.weight", headDims, tokens, false), null);
        }
        return new TransformerDecoder(config, w.backend(), w.checkpoint(), w.arena(), parts(w, p, tokens, head),
                special);
    }

    /**
     * The sequence classifier (XForSequenceClassification): the stack and {@code score} [labels, C]
     * without a bias, read at each row's last token that is not padding (see
     * {@link DecoderSequenceClassifier}).
     *
     * @param config the model's configuration
     * @param w the checkpoint's tensors, on the backend the model runs on
     * @param labels the rows of score (from id2label)
     * @param padTokenId the padding token that marks each row's end, or null when the config has none
     * @return the classifier, giving logits [B, labels]
     * @throws org.transformers4j.checkpoint.CheckpointException when a tensor is missing or has another shape
     */
    public EncoderModel sequenceClassifier(ModelConfig config, Weights w, int labels, Integer padTokenId) {
        String p = prefix(w);
        Tensor tokens = w.get(p + "embed_tokens.weight", vocab, hidden);
        Linear score = new Linear(w.get("score.weight", labels, hidden), null);
        var decoder = new TransformerDecoder(config, w.backend(), w.checkpoint(), w.arena(),
                parts(w, p, tokens, score), special);
        return new DecoderSequenceClassifier(decoder, vocab, padTokenId);
    }

    private static String prefix(Weights w) {
        // a rotary buffer older checkpoints store
        w.ignore("(model\\.)?(layers\\.\\d+\\.self_attn\\.)?rotary_emb\\.inv_freq");
        return w.has("model.embed_tokens.weight") ? "model." : "";
    }

    private TransformerDecoder.Parts parts(Weights w, String p, Tensor tokens, Linear head) {
        SelfAttention.Rope rotation = null;
        List<TransformerLayer> stack = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            String l = p + "layers." + i + ".", a = l + "self_attn.";
            Norm inputNorm = norm(w, l + "input_layernorm", hidden);
            Linear qkv = qkv(w, a);
            if (rotation == null) { // its tables are sized by head_dim once the checkpoint has confirmed it
                rotation = rotation(w);
            }
            stack.add(TransformerLayer.preNorm(inputNorm, attention(w, a, qkv, i, rotation),
                    norm(w, l + "post_attention_layernorm", hidden), feedForward(w, l + "mlp.")));
        }
        return new TransformerDecoder.Parts(tokens, null, stack, norm(w, p + "norm", hidden), head, kvHeads, headDim,
                maxPositions, embedScale);
    }

    private SelfAttention.Rope rotation(Weights w) {
        Rotary rotary = Rotary.of(rope, rotaryDim, maxPositions);
        var b = w.backend();
        Tensor shortInv = b.floats(rotary.invFreq(), w.arena(), rotary.invFreq().length);
        if (rotary.longInvFreq() == null) {
            return new SelfAttention.Rope(shortInv);
        }
        Tensor longInv = b.floats(rotary.longInvFreq(), w.arena(), rotary.longInvFreq().length);
        return new SelfAttention.Rope(shortInv, longInv, rotary.longAbove());
    }

    /** The fused q | k | v projection, with the rotary attention factor folded into its rotated rows. */
    private Linear qkv(Weights w, String a) {
        long q = (long) heads * headDim, kv = (long) kvHeads * headDim;
        float[] rowScale = rotaryScale();
        if (fused) {
            String[] name = {a + "qkv_proj"};
            return new Linear(w.concatRows(hidden, suffixed(name, ".weight"), new long[] {q + 2 * kv}, rowScale),
                    qkvBias ? w.concat(suffixed(name, ".bias"), new long[] {q + 2 * kv}, rowScale) : null);
        }
        String[] names = {a + "q_proj", a + "k_proj", a + "v_proj"};
        long[] rows = {q, kv, kv};
        return new Linear(w.concatRows(hidden, suffixed(names, ".weight"), rows, rowScale),
                qkvBias ? w.concat(suffixed(names, ".bias"), rows, rowScale) : null);
    }

    private SelfAttention attention(Weights w, String a, Linear qkv, int layer, SelfAttention.Rope rope) {
        long q = (long) heads * headDim;
        SelfAttention.QkNorm norms = qkNorm ? new SelfAttention.QkNorm(RmsNorm.load(w, a + "q_norm", headDim, eps),
                RmsNorm.load(w, a + "k_norm", headDim, eps)) : null;
        return new SelfAttention(qkv, Linear.load(w, a + "o_proj", hidden, q, outBias), heads, kvHeads, headDim,
                (float) (1 / Math.sqrt(headDim)), windows.applyAsInt(layer), rope, true, norms);
    }

    /**
     * The factor of each row of the fused q | k | v projection: the rotary embedding's attention
     * factor on the rotated dimensions of every query and key head, 1 elsewhere; null when it is 1.
     * (Rotation is linear, so scaling its input scales cos and sin, as transformers does.)
     */
    private float[] rotaryScale() {
        double factor = Rotary.attentionFactor(rope, maxPositions);
        if (factor == 1.0) {
            return null;
        }
        int rows = (heads + 2 * kvHeads) * headDim;
        float[] scale = new float[rows];
        Arrays.fill(scale, 1f);
        for (int h = 0; h < heads + kvHeads; h++) { // query heads, then key heads
            for (int j = 0; j < rotaryDim; j++) {
                scale[h * headDim + j] = (float) factor;
            }
        }
        return scale;
    }

    private FeedForward feedForward(Weights w, String m) {
        long ff = intermediate;
        Linear gateUp;
        if (fused) {
            gateUp = Linear.load(w, m + "gate_up_proj", 2 * ff, hidden, mlpBias);
        } else {
            String[] names = {m + "gate_proj", m + "up_proj"};
            long[] rows = {ff, ff};
            gateUp = new Linear(w.concatRows(hidden, suffixed(names, ".weight"), rows),
                    mlpBias ? w.concat(suffixed(names, ".bias"), rows) : null);
        }
        return new FeedForward.Gated(gateUp, act, Linear.load(w, m + "down_proj", hidden, ff, mlpBias));
    }

    private Norm norm(Weights w, String prefix, long size) {
        return normOffsetFromOne ? RmsNorm.loadOffsetFromOne(w, prefix, size, eps) : RmsNorm.load(w, prefix, size, eps);
    }

    private static String[] suffixed(String[] names, String suffix) {
        String[] out = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = names[i] + suffix;
        }
        return out;
    }
}
