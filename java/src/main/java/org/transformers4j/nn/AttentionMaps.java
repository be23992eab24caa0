package org.transformers4j.nn;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.SoftmaxOptions;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * The attention probabilities of a pass, layer by layer, as transformers returns them with
 * output_attentions and eager attention: [B, H, S, T] each, softmax(scale q k^T + bias + mask)
 * before the values are weighted; self-attention and cross-attention (an encoder-decoder's
 * decoder) in separate lists. Layers that record here attend unfused (scores by GEMM, the masked
 * softmax kernel, then P·V) instead of through the fused attention kernel.
 */
public final class AttentionMaps {
    /** Which keys a query sees besides what the options say: none hidden, a causal window, a band. */
    private interface Visible {
        boolean at(long query, long key);
    }

    private final TensorArena out;
    private final List<Tensor> layers = new ArrayList<>();
    private final List<Tensor> cross = new ArrayList<>();

    /** Maps kept in out (the caller's arena). */
    public AttentionMaps(TensorArena out) {
        this.out = out;
    }

    /** The self-attention probabilities of each layer that attended, in order: [B, H, S, T] each. */
    public List<Tensor> layers() {
        return List.copyOf(layers);
    }

    /** The cross-attention probabilities of each decoder layer, in order: [B, H, S, T] each (T source keys). */
    public List<Tensor> crossLayers() {
        return List.copyOf(cross);
    }

    /**
     * out = softmax(scale q k^T + bias + mask) v, computed as the fused kernel defines it, keeping
     * the probabilities as the next self-attention layer's. q: [B, S, H, D], k, v: [B, T, K, D],
     * context: [B, S, H, D]; positionBias (T5, or null) already holds the options' padding bias.
     */
    void attend(Backend backend, Tensor q, Tensor k, Tensor v, AttentionOptions options,
                RelativePositionBias.Pass positionBias, Tensor context, TensorArena arena) {
        if (positionBias != null) {
            options = options.withBias(positionBias.whole(backend));
        }
        Visible visible = null;
        if (options.window() > 0) {
            int window = options.window();
            visible = (query, key) -> query - key < window;
        }
        layers.add(probabilities(backend, q, k, v, options, visible, context, arena));
    }

    /**
     * As {@link #attend(Backend, Tensor, Tensor, Tensor, AttentionOptions, RelativePositionBias.Pass,
     * Tensor, TensorArena)} without a position bias, for a model that attends itself (ModernBERT).
     */
    public void attend(Backend backend, Tensor q, Tensor k, Tensor v, AttentionOptions options, Tensor context,
                       TensorArena arena) {
        attend(backend, q, k, v, options, null, context, arena);
    }

    /**
     * As {@link #attend(Backend, Tensor, Tensor, Tensor, AttentionOptions, Tensor, TensorArena)}
     * for a decoder layer's cross-attention to the encoder: kept in {@link #crossLayers()}.
     */
    void attendCross(Backend backend, Tensor q, Tensor k, Tensor v, AttentionOptions options, Tensor context,
                     TensorArena arena) {
        cross.add(probabilities(backend, q, k, v, options, null, context, arena));
    }

    /**
     * Bidirectional attention within a band (ModernBERT's local layers, as
     * {@link BidirectionalWindow#attend} computes it): query i sees the keys j with |i - j| &lt;=
     * half that the options' padding keeps; the probabilities are kept as the next layer's.
     * q: [B, S, H, D], k, v: [B, S, K, D], context: [B, S, H, D].
     */
    public void attendBand(Backend backend, Tensor q, Tensor k, Tensor v, AttentionOptions options, int half,
                           Tensor context, TensorArena arena) {
        if (half < 0 || options.causal() || options.window() != 0 || k.dim(1) != q.dim(1)) {
            throw new IllegalArgumentException("band attention is bidirectional self-attention with a half window"
                    + " >= 0; got half " + half + ", causal " + options.causal() + ", window " + options.window()
                    + ", " + q.dim(1) + " queries, " + k.dim(1) + " keys");
        }
        layers.add(probabilities(backend, q, k, v, options, (query, key) -> Math.abs(query - key) <= half, context,
                arena));
    }

    /** The unfused attention: context written, the probabilities [B, H, S, T] returned in the caller's arena. */
    private Tensor probabilities(Backend backend, Tensor q, Tensor k, Tensor v, AttentionOptions options,
                                 Visible visible, Tensor context, TensorArena arena) {
        int b = (int) q.dim(0), s = (int) q.dim(1), h = (int) q.dim(2), d = (int) q.dim(3);
        int t = (int) k.dim(1), kvHeads = (int) k.dim(2), group = h / kvHeads;
        long values = (long) b * h * s * t;
        if (values > Integer.MAX_VALUE - 8) { // nor could the caller read them into one array
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "attention probabilities [%d, %d,"
                    + " %d, %d] of one layer are %.1f GiB, more than one array holds; ask for them over fewer or"
                    + " shorter sequences", b, h, s, t, values * 4.0 / (1L << 30)));
        }
        Tensor qh = headsFirst(backend, q, arena), kh = headsFirst(backend, k, arena);
        Tensor vh = headsFirst(backend, v, arena);
        Tensor probs = arena.empty(q.dtype(), b, h, s, t), ctx = arena.empty(q.dtype(), b, h, s, d);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < h; j++) {
                backend.matmul(head(qh, i, j), false, head(kh, i, j / group), true, head(probs, i, j), 1f, 0f);
            }
        }
        SoftmaxOptions masked = new SoftmaxOptions(options.scale(), options.causal(),
                mask(backend, options.bias(), visible, s, t, arena), options.keyStart(), options.keyLength());
        backend.softmax(probs, masked, probs);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < h; j++) {
                backend.matmul(head(probs, i, j), false, head(vh, i, j / group), false, head(ctx, i, j), 1f, 0f);
            }
        }
        backend.copy(ctx.transpose(1, 2), context);
        return keep(backend, probs);
    }

    /** x: [B, L, N, D] as a contiguous [B, N, L, D] copy. */
    private static Tensor headsFirst(Backend backend, Tensor x, TensorArena arena) {
        Tensor y = arena.empty(x.dtype(), x.dim(0), x.dim(2), x.dim(1), x.dim(3));
        backend.copy(x.transpose(1, 2), y);
        return y;
    }

    /** The [L, D] matrix of batch row i, head j of a contiguous [B, N, L, D] tensor. */
    private static Tensor head(Tensor x, int i, int j) {
        return x.narrow(0, i, 1).narrow(1, j, 1).reshape(x.dim(2), x.dim(3));
    }

    /**
     * The additive mask the softmax adds: the bias, with the keys visible does not show folded in
     * as -inf (the softmax has key ranges and causal masking of its own, but no window or band).
     * Queries sit at positions T - S .. T - 1.
     */
    private static Tensor mask(Backend backend, Tensor additive, Visible visible, int s, int t,
                               TensorArena arena) {
        if (visible == null) {
            return additive;
        }
        try (TensorArena host = TensorArena.confined()) { // the bias may be on a device
            Tensor bias = additive == null ? null : backend.toHost(additive, host);
            int mb = bias == null ? 1 : (int) bias.dim(0), mh = bias == null ? 1 : (int) bias.dim(1);
            long size = (long) mb * mh * s * t;
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("a mask of " + mb + " x " + mh + " x " + s + " x " + t
                        + " values for attention probabilities is more than one array holds; ask for them over"
                        + " fewer positions");
            }
            float[] m = new float[(int) size];
            for (int i = 0; i < mb; i++) {
                for (int j = 0; j < mh; j++) {
                    for (int r = 0; r < s; r++) {
                        long pos = t - s + r;
                        for (int c = 0; c < t; c++) {
                            float add = bias == null ? 0f : bias.getFloat(i, j, bias.dim(2) == 1 ? 0 : r, c);
                            m[((i * mh + j) * s + r) * t + c] = visible.at(pos, c) ? add : Float.NEGATIVE_INFINITY;
                        }
                    }
                }
            }
            return backend.floats(m, arena, mb, mh, s, t);
        }
    }

    /** The probabilities copied into the caller's arena. */
    private Tensor keep(Backend backend, Tensor probs) {
        if (!out.device().equals(backend.device())) {
            return backend.toHost(probs, out);
        }
        Tensor t = out.empty(probs.dtype(), probs.shape().toArray());
        backend.copy(probs, t);
        return t;
    }
}
