package org.transformers4j.model.llama;

import static org.transformers4j.model.ConfigChecks.activation;
import static org.transformers4j.model.ConfigChecks.finitePositive;
import static org.transformers4j.model.ConfigChecks.intProduct;
import static org.transformers4j.model.ConfigChecks.multipleOf;
import static org.transformers4j.model.ConfigChecks.positive;
import static org.transformers4j.model.ConfigChecks.tensor;

import java.util.List;

/**
 * The checks every Llama-shaped config record makes (sizes, heads, the activation), and the
 * sliding windows of Qwen2's and Qwen3's layer_types. Each throws an IllegalArgumentException
 * naming the key and the value.
 */
public final class ShapeChecks {
    private ShapeChecks() {
    }

    /**
     * Sizes &gt;= 1, K dividing the heads, D even (the rotary embedding pairs dimensions), a known
     * activation, a finite epsilon, and tensors of the sizes the config implies within bounds.
     * hidden_size need not be heads x D (Gemma, Qwen3).
     */
    public static void sizes(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim,
                             int maxPositions, double eps, String act) {
        positive("vocab_size", vocab);
        positive("hidden_size", hidden);
        positive("intermediate_size", intermediate);
        positive("num_hidden_layers", layers);
        positive("num_attention_heads", heads);
        positive("num_key_value_heads", kvHeads);
        multipleOf("num_attention_heads", heads, "num_key_value_heads", kvHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositions);
        finitePositive("rms_norm_eps", eps);
        activation("hidden_act", act);
        tensor("vocab_size", vocab, "hidden_size", hidden);
        tensor("intermediate_size", 2L * intermediate, "hidden_size", hidden);
        tensor("num_attention_heads x head_dim", intProduct("num_attention_heads", heads, "head_dim", headDim),
                "hidden_size", hidden);
    }

    /** D from head_dim, else hidden / heads, which must then divide evenly. */
    public static int headDim(Integer headDim, int hidden, int heads) {
        if (headDim != null) {
            return headDim;
        }
        positive("num_attention_heads", heads);
        multipleOf("hidden_size", hidden, "num_attention_heads", heads);
        return hidden / heads;
    }

    /**
     * Qwen2's and Qwen3's windows: sliding_window applies only with use_sliding_window (else
     * transformers sets it to None); the layers that slide are those layer_types names
     * "sliding_attention", or without layer_types those from max_window_layers on. A sliding layer
     * without a window is what transformers cannot mask (it raises): refused.
     */
    public static int[] qwenWindows(boolean useSlidingWindow, Integer slidingWindow, int maxWindowLayers,
                                    List<String> layerTypes, int layers) {
        Integer window = useSlidingWindow ? slidingWindow : null;
        if (window != null) {
            positive("sliding_window", window);
        }
        int[] out = new int[layers];
        if (layerTypes != null && layerTypes.size() != layers) {
            throw new IllegalArgumentException("layer_types has " + layerTypes.size() + " entries for "
                    + layers + " layers (num_hidden_layers)");
        }
        for (int i = 0; i < layers; i++) {
            boolean sliding;
            if (layerTypes != null) {
                String t = layerTypes.get(i);
                if (!"full_attention".equals(t) && !"sliding_attention".equals(t)) {
                    throw new IllegalArgumentException("layer_types[" + i + "] " + t + " is not supported; supported:"
                            + " full_attention, sliding_attention");
                }
                sliding = t.equals("sliding_attention");
            } else {
                sliding = window != null && i >= maxWindowLayers;
            }
            if (sliding && window == null) {
                throw new IllegalArgumentException("layer_types[" + i + "] is sliding_attention but there is no"
                        + " window (use_sliding_window " + useSlidingWindow + ", sliding_window " + slidingWindow + ")");
            }
            out[i] = sliding ? window : 0;
        }
        return out;
    }

    /** Every layer with the same window (Mistral, Phi-3): sliding_window, or 0 for global attention when null. */
    public static int[] sameWindow(Integer slidingWindow, int layers) {
        if (slidingWindow != null) {
            positive("sliding_window", slidingWindow);
        }
        int[] out = new int[layers];
        java.util.Arrays.fill(out, slidingWindow == null ? 0 : slidingWindow);
        return out;
    }
}
