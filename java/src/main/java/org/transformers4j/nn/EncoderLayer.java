package org.transformers4j.nn;

import org.transformers4j.backend.Activation;
import org.transformers4j.tensor.Tensor;

/**
 * The post-norm encoder layers of BERT, RoBERTa and DistilBERT, loaded as {@link TransformerLayer}s:
 *   h = LN1(x + O(attention(Q x, K x, V x)));  out = LN2(h + W2 act(W1 h))
 * Q, K and V are one fused [3C, C] projection whose output the attention kernel reads in place.
 */
public final class EncoderLayer {
    /** Parameter names of one layer, relative to its prefix. */
    public record Names(String query, String key, String value, String output, String attentionNorm,
                        String intermediate, String ffOutput, String outputNorm) {
    }

    private EncoderLayer() {
    }

    /** Loads a layer whose parameters are {prefix}{name}.weight / .bias; attention scaled by 1/sqrt(C/heads). */
    public static TransformerLayer load(Weights w, String prefix, Names n, long hidden, long ff, int heads,
                                        Activation act, double eps) {
        String[] qkvNames = {prefix + n.query(), prefix + n.key(), prefix + n.value()};
        long[] rows = {hidden, hidden, hidden};
        Tensor weight = w.concatRows(hidden, new String[] {qkvNames[0] + ".weight", qkvNames[1] + ".weight",
                qkvNames[2] + ".weight"}, rows);
        Tensor bias = w.concat(new String[] {qkvNames[0] + ".bias", qkvNames[1] + ".bias", qkvNames[2] + ".bias"}, rows);
        int d = (int) (hidden / heads);
        var attention = new SelfAttention(new Linear(weight, bias), Linear.load(w, prefix + n.output(), hidden, hidden),
                heads, heads, d, (float) (1 / Math.sqrt(d)), 0, null, false);
        var feedForward = new FeedForward.Plain(Linear.load(w, prefix + n.intermediate(), ff, hidden), act,
                Linear.load(w, prefix + n.ffOutput(), hidden, ff));
        return new TransformerLayer(false, LayerNorm.load(w, prefix + n.attentionNorm(), hidden, eps), attention, null,
                null, LayerNorm.load(w, prefix + n.outputNorm(), hidden, eps), feedForward);
    }
}
