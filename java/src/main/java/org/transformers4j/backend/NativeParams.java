package org.transformers4j.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.transformers4j.bindings.cpu.t4j_attention_params;
import org.transformers4j.bindings.cpu.t4j_softmax_params;
import org.transformers4j.tensor.Tensor;

/**
 * The parameter structs of t4j.h, shared by the CPU and CUDA libraries, filled from checked
 * arguments. The pointers (bias or mask, key ranges) are the caller's: host memory for the CPU,
 * device memory for a GPU.
 */
public final class NativeParams {
    private NativeParams() {
    }

    /**
     * A t4j_attention_params in arena, for arguments already checked.
     *
     * @param arena where the struct is allocated; it must outlive the native call
     * @param q the queries, [B, S, H, D]; their strides are recorded
     * @param k the keys, [B, T, K, D]; their strides are recorded
     * @param v the values, [B, T, K, D]; their strides are recorded
     * @param out the output, [B, S, H, D]; its strides are recorded
     * @param o the options: scale, causal, window
     * @param sh the checked sizes and bias strides
     * @param bias the bias's memory, or {@link MemorySegment#NULL}
     * @param keyStart per batch the first visible key (int32), or {@link MemorySegment#NULL}
     * @param keyLength per batch one past the last visible key (int32), or {@link MemorySegment#NULL}
     * @return the filled struct
     */
    public static MemorySegment attention(Arena arena, Tensor q, Tensor k, Tensor v, Tensor out, AttentionOptions o,
                                          AttentionShape sh, MemorySegment bias, MemorySegment keyStart,
                                          MemorySegment keyLength) {
        MemorySegment p = t4j_attention_params.allocate(arena);
        t4j_attention_params.batch(p, sh.batch());
        t4j_attention_params.q_len(p, sh.queries());
        t4j_attention_params.kv_len(p, sh.keys());
        t4j_attention_params.heads(p, sh.heads());
        t4j_attention_params.kv_heads(p, sh.kvHeads());
        t4j_attention_params.head_dim(p, sh.headDim());
        t4j_attention_params.scale(p, o.scale());
        t4j_attention_params.causal(p, o.causal() ? 1 : 0);
        t4j_attention_params.window(p, o.window());
        t4j_attention_params.q_stride_b(p, q.stride(0));
        t4j_attention_params.q_stride_s(p, q.stride(1));
        t4j_attention_params.q_stride_h(p, q.stride(2));
        t4j_attention_params.k_stride_b(p, k.stride(0));
        t4j_attention_params.k_stride_s(p, k.stride(1));
        t4j_attention_params.k_stride_h(p, k.stride(2));
        t4j_attention_params.v_stride_b(p, v.stride(0));
        t4j_attention_params.v_stride_s(p, v.stride(1));
        t4j_attention_params.v_stride_h(p, v.stride(2));
        t4j_attention_params.out_stride_b(p, out.stride(0));
        t4j_attention_params.out_stride_s(p, out.stride(1));
        t4j_attention_params.out_stride_h(p, out.stride(2));
        t4j_attention_params.bias(p, bias);
        t4j_attention_params.bias_stride_b(p, sh.biasStrideB());
        t4j_attention_params.bias_stride_h(p, sh.biasStrideH());
        t4j_attention_params.bias_stride_s(p, sh.biasStrideS());
        t4j_attention_params.key_start(p, keyStart);
        t4j_attention_params.key_len(p, keyLength);
        return p;
    }

    /**
     * A t4j_softmax_params in arena, for arguments already checked.
     *
     * @param arena where the struct is allocated; it must outlive the native call
     * @param o the options: scale and causal
     * @param sh the checked sizes and mask strides
     * @param mask the mask's memory, or {@link MemorySegment#NULL}
     * @param keyStart per batch the first visible key (int32), or {@link MemorySegment#NULL}
     * @param keyLength per batch one past the last visible key (int32), or {@link MemorySegment#NULL}
     * @return the filled struct
     */
    public static MemorySegment softmax(Arena arena, SoftmaxOptions o, SoftmaxShape sh, MemorySegment mask,
                                        MemorySegment keyStart, MemorySegment keyLength) {
        MemorySegment p = t4j_softmax_params.allocate(arena);
        t4j_softmax_params.batch(p, sh.batch());
        t4j_softmax_params.heads(p, sh.heads());
        t4j_softmax_params.rows(p, sh.rows());
        t4j_softmax_params.cols(p, sh.cols());
        t4j_softmax_params.scale(p, o.scale());
        t4j_softmax_params.causal(p, o.causal() ? 1 : 0);
        t4j_softmax_params.mask(p, mask);
        t4j_softmax_params.mask_stride_b(p, sh.maskStrideB());
        t4j_softmax_params.mask_stride_h(p, sh.maskStrideH());
        t4j_softmax_params.mask_stride_s(p, sh.maskStrideS());
        t4j_softmax_params.key_start(p, keyStart);
        t4j_softmax_params.key_len(p, keyLength);
        return p;
    }
}
