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
     *
     * @param vocab V (vocab_size)
     * @param hidden C (hidden_size)
     * @param intermediate F (intermediate_size)
     * @param layers num_hidden_layers
     * @param heads H (num_attention_heads)
     * @param kvHeads K (num_key_value_heads)
     * @param headDim D (head_dim, or hidden / heads)
     * @param maxPositions max_position_embeddings
     * @param eps rms_norm_eps
     * @param act hidden_act
     * @throws IllegalArgumentException naming the first key whose value is out of range
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

    /**
     * D from head_dim, else hidden / heads, which must then divide evenly.
     *
     * @param headDim the config's head_dim, or null when absent
     * @param hidden C (hidden_size)
     * @param heads H (num_attention_heads)
     * @return D
     * @throws IllegalArgumentException when head_dim is absent and heads is below 1 or does not divide hidden
     */
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
     * without a window is what transformers cannot mask (it raises): refused. Checks without
     * allocating anything the size of num_hidden_layers.
     *
     * @param useSlidingWindow use_sliding_window
     * @param slidingWindow sliding_window, or null
     * @param layerTypes layer_types, or null
     * @param layers num_hidden_layers
     * @throws IllegalArgumentException when the window is below 1, layer_types has another length or an
     *         unknown entry, or a sliding layer has no window
     */
    public static void qwenWindows(boolean useSlidingWindow, Integer slidingWindow, List<String> layerTypes, int layers) {
        Integer window = useSlidingWindow ? slidingWindow : null;
        if (window != null) {
            positive("sliding_window", window);
        }
        if (layerTypes == null) {
            return;
        }
        if (layerTypes.size() != layers) {
            throw new IllegalArgumentException("layer_types has " + layerTypes.size() + " entries for "
                    + layers + " layers (num_hidden_layers)");
        }
        for (int i = 0; i < layers; i++) {
            String t = layerTypes.get(i);
            if (!"full_attention".equals(t) && !"sliding_attention".equals(t)) {
                throw new IllegalArgumentException("layer_types[" + i + "] " + t + " is not supported; supported:"
                        + " full_attention, sliding_attention");
            }
            if (t.equals("sliding_attention") && window == null) {
                throw new IllegalArgumentException("layer_types[" + i + "] is sliding_attention but there is no"
                        + " window (use_sliding_window " + useSlidingWindow + ", sliding_window " + slidingWindow + ")");
            }
        }
    }

    /**
     * {@return the window of one layer of a Qwen2 or Qwen3 config checked by {@link #qwenWindows}, 0 for global
     * attention}
     *
     * @param useSlidingWindow use_sliding_window
     * @param slidingWindow sliding_window, or null
     * @param maxWindowLayers max_window_layers: without layer_types, layers from here on slide
     * @param layerTypes layer_types, or null
     * @param layer the layer's index, from 0
     */
    public static int qwenWindow(boolean useSlidingWindow, Integer slidingWindow, int maxWindowLayers,
                                 List<String> layerTypes, int layer) {
        Integer window = useSlidingWindow ? slidingWindow : null;
        if (window == null) {
            return 0;
        }
        boolean sliding = layerTypes != null ? layerTypes.get(layer).equals("sliding_attention") : layer >= maxWindowLayers;
        return sliding ? window : 0;
    }
}
