package org.transformers4j.nn;

import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.tensor.Tensor;

/**
 * Bidirectional sliding-window attention (ModernBERT's local layers): query i sees the keys j
 * with |i - j| &lt;= h, composed exactly from two calls of the fused kernel, with no mask tensor.
 * The kernel bounds the keys of a query at position P = T - S + i from below by its window
 * (j &gt; P - window) and from above by the causal mask (j &lt;= P); so, over S = T positions:
 * <ul>
 *   <li>queries [0, S - h), passed as the last S - h of the T positions, sit at P = i + h: the
 *       causal mask gives j &lt;= i + h, a window of 2h + 1 gives j &gt;= i - h;</li>
 *   <li>queries [S - h, S) sit at their own positions: every key j &lt;= S - 1 is within i + h
 *       already, a window of h + 1 gives j &gt;= i - h.</li>
 * </ul>
 * Each call skips the key tiles outside its queries' band, so the cost grows with S times the
 * window, not S squared.
 */
public final class BidirectionalWindow {
    private BidirectionalWindow() {
    }

    /**
     * out = attention over the band |i - j| &lt;= half; q: [B, S, H, D], k, v: [B, S, K, D], out:
     * [B, S, H, D]. options carry the scale and the padding (key ranges, or an additive bias of
     * [B or 1, H or 1, S or 1, S]) and must set neither a window nor the causal mask.
     */
    public static void attend(Backend backend, Tensor q, Tensor k, Tensor v, AttentionOptions options, int half,
                              Tensor out) {
        if (half < 0) {
            throw new IllegalArgumentException("half window must be >= 0, got " + half);
        }
        if (options.causal() || options.window() != 0) {
            throw new IllegalArgumentException("the band attention sets the window and causal mask itself; options"
                    + " have causal " + options.causal() + ", window " + options.window());
        }
        long s = q.dim(1);
        if (k.dim(1) != s) {
            throw new IllegalArgumentException("band attention is self-attention: " + s + " queries, " + k.dim(1)
                    + " keys");
        }
        long split = Math.max(0, s - half);
        if (split > 0) { // j <= i + half from the causal mask at P = i + half, j >= i - half from the window
            call(backend, q, k, v, options.withCausal().withWindow(window(2L * half + 1)), 0, split, out);
        }
        if (split < s) { // the last half queries: nothing lies beyond i + half, the window bounds from below
            call(backend, q, k, v, options.withWindow(window(half + 1L)), split, s - split, out);
        }
    }

    private static int window(long length) {
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("window of " + length + " positions is too long");
        }
        return (int) length;
    }

    /** Attention of queries [from, from + n) (their output rows likewise), all keys passed. */
    private static void call(Backend backend, Tensor q, Tensor k, Tensor v, AttentionOptions options, long from,
                             long n, Tensor out) {
        Tensor bias = options.bias();
        if (bias != null && bias.dim(2) != 1) {
            options = options.withBias(bias.narrow(2, from, n));
        }
        backend.attention(q.narrow(1, from, n), k, v, options, out.narrow(1, from, n));
    }
}
