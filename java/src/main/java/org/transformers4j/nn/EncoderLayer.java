package org.transformers4j.nn;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A post-norm transformer encoder layer (BERT, RoBERTa, DistilBERT):
 *   h = LN1(x + O(attention(Q x, K x, V x)));  out = LN2(h + W2 act(W1 h))
 * Q, K and V are one fused [3C, C] projection whose output the attention kernel reads in place.
 *
 * @param qkv fused query/key/value projection, rows ordered q | k | v
 */
public record EncoderLayer(Linear qkv, Linear output, LayerNorm attentionNorm, Linear intermediate,
                           Linear ffOutput, LayerNorm outputNorm, Activation act, int heads) {

    /** Parameter names of one layer, relative to its prefix. */
    public record Names(String query, String key, String value, String output, String attentionNorm,
                        String intermediate, String ffOutput, String outputNorm) {
    }

    /** Loads a layer whose parameters are {prefix}{name}.weight / .bias. */
    public static EncoderLayer load(Weights w, String prefix, Names n, long hidden, long ff, int heads,
                                    Activation act, double eps) {
        String[] qkvNames = {prefix + n.query(), prefix + n.key(), prefix + n.value()};
        long[] rows = {hidden, hidden, hidden};
        Tensor weight = w.concatRows(hidden, new String[] {qkvNames[0] + ".weight", qkvNames[1] + ".weight",
                qkvNames[2] + ".weight"}, rows);
        Tensor bias = w.concat(new String[] {qkvNames[0] + ".bias", qkvNames[1] + ".bias", qkvNames[2] + ".bias"}, rows);
        return new EncoderLayer(new Linear(weight, bias),
                Linear.load(w, prefix + n.output(), hidden, hidden),
                LayerNorm.load(w, prefix + n.attentionNorm(), hidden, eps),
                Linear.load(w, prefix + n.intermediate(), ff, hidden),
                Linear.load(w, prefix + n.ffOutput(), hidden, ff),
                LayerNorm.load(w, prefix + n.outputNorm(), hidden, eps), act, heads);
    }

    /** x: [B * S, C] for batch B and sequence S; returns the layer output [B * S, C]. */
    public Tensor forward(Backend backend, Tensor x, long batch, long seq, AttentionOptions mask, TensorArena arena) {
        long c = x.dim(1), d = c / heads;
        Tensor fused = qkv.forward(backend, x, Activation.NONE, arena).reshape(batch, seq, 3L * heads, d);
        Tensor q = fused.narrow(2, 0, heads), k = fused.narrow(2, heads, heads), v = fused.narrow(2, 2L * heads, heads);
        Tensor context = arena.empty(batch, seq, heads, d);
        backend.attention(q, k, v, mask, context);
        Tensor attended = output.forward(backend, context.reshape(batch * seq, c), Activation.NONE, arena);
        Tensor h = attentionNorm.forward(backend, attended, x, arena);
        Tensor inner = intermediate.forward(backend, h, act, arena);
        Tensor out = ffOutput.forward(backend, inner, Activation.NONE, arena);
        return outputNorm.forward(backend, out, h, arena);
    }
}
