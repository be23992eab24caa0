package org.transformers4j.nn;

import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * A transformer layer: self-attention, cross-attention to an encoder (decoders of
 * encoder-decoder models only) and a feed-forward block, each with a residual connection and a
 * norm, the norm before the block (pre-norm: GPT-2, Llama, T5, mBART, Pegasus) or after the
 * residual add (post-norm: BART, Marian).
 *
 * @param crossNorm null, with cross, in layers without cross-attention
 */
public record TransformerLayer(boolean preNorm, Norm selfNorm, SelfAttention self, Norm crossNorm,
                               CrossAttention cross, Norm ffNorm, FeedForward ff) {

    /** A pre-norm layer without cross-attention (decoder-only models, T5's encoder). */
    public static TransformerLayer preNorm(Norm selfNorm, SelfAttention self, Norm ffNorm, FeedForward ff) {
        return new TransformerLayer(true, selfNorm, self, null, null, ffNorm, ff);
    }

    /**
     * x: [B * S, C], replaced by the layer output: the input is dead once the first residual sum
     * is made, so the last operation writes there and no copy follows. The step says what the
     * pass attends over (mask, cache, the encoder's keys and values); layer is this layer's index.
     */
    public void forward(Backend backend, Tensor x, LayerStep step, int layer, TensorArena arena) {
        if (preNorm) {
            preNormForward(backend, x, step, layer, arena);
        } else {
            postNormForward(backend, x, step, layer, arena);
        }
    }

    /** h = x + self(n1(x)); h += cross(n2(h)); x = h + ff(n3(h)); each norm also makes the residual sum. */
    private void preNormForward(Backend backend, Tensor x, LayerStep step, int layer, TensorArena arena) {
        long[] shape = x.shape().toArray();
        Tensor attended = self.forward(backend, selfNorm.forward(backend, x, null, arena), step, layer, arena);
        Tensor h = arena.empty(shape), normed = arena.empty(shape);
        if (cross != null) {
            crossNorm.apply(backend, attended, x, h, normed);
            Tensor crossed = cross.forward(backend, normed, step.batch(), step.seq(), step.crossKeysValues(layer),
                    step.crossMask(), step.attentions(), arena);
            Tensor h2 = arena.empty(shape);
            ffNorm.apply(backend, crossed, h, h2, normed);
            h = h2;
        } else {
            ffNorm.apply(backend, attended, x, h, normed);
        }
        backend.add(h, ff.forward(backend, normed, arena), x);
    }

    /** h = n1(x + self(x)); h = n2(h + cross(h)); x = n3(h + ff(h)). */
    private void postNormForward(Backend backend, Tensor x, LayerStep step, int layer, TensorArena arena) {
        Tensor attended = self.forward(backend, x, step, layer, arena);
        Tensor h = selfNorm.forward(backend, attended, x, arena);
        if (cross != null) {
            Tensor crossed = cross.forward(backend, h, step.batch(), step.seq(), step.crossKeysValues(layer),
                    step.crossMask(), step.attentions(), arena);
            h = crossNorm.forward(backend, crossed, h, arena);
        }
        ffNorm.apply(backend, ff.forward(backend, h, arena), h, null, x);
    }
}
