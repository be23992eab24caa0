package org.transformers4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.regex.Pattern;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * The int8 layout of a safetensors file (docs/int8.md): each quantized matrix NAME as I8 [N, K], row n
 * its output channel n (whatever orientation the float tensor had), beside NAME_scale as F32 [N],
 * w[n, k] = NAME[n, k] * NAME_scale[n]; the file's metadata says {@value #QUANTIZATION} =
 * {@value #INT8} and how the activations meeting the weights are quantized
 * ({@value #ACTIVATIONS} = {@value #PER_ROW} or {@value #PER_TENSOR}).
 */
public final class Int8Layout {
    /** Metadata key saying that the file holds int8 matrices in this layout. */
    public static final String QUANTIZATION = "t4j.quantization";
    /** Its value. */
    public static final String INT8 = "int8";
    /** Metadata key: how activations are quantized where they meet the int8 weights. */
    public static final String ACTIVATIONS = "t4j.int8_activations";
    /** One scale and zero point per row of a product's input. */
    public static final String PER_ROW = "per-row";
    /** One scale and zero point over a product's whole input (ONNX Runtime's dynamic quantization). */
    public static final String PER_TENSOR = "per-tensor";

    /**
     * Module names of embedding tables, which stay float32 when a checkpoint is written in int8:
     * the module's own name (the part before .weight) naming an embedding (word_embeddings,
     * embed_tokens, embed_positions, wte, wpe, shared) and T5's relative position bias tables.
     */
    private static final Pattern TABLE = Pattern.compile(
            "(.*\\.)?(\\w*embed\\w*|wte|wpe|shared|relative_attention_bias)\\.weight");
    /** GPT-2's Conv1D weights, stored [in, out]. */
    private static final Pattern CONV1D = Pattern.compile(".*\\.(attn\\.c_attn|attn\\.q_attn|attn\\.c_proj|mlp\\.c_fc"
            + "|mlp\\.c_proj|crossattention\\.c_attn|crossattention\\.q_attn|crossattention\\.c_proj)\\.weight");

    private Int8Layout() {
    }

    /** Whether the metadata says the file holds int8 matrices; throws naming the file for an unknown value. */
    static boolean declared(String source, Map<String, String> metadata) {
        String v = metadata.get(QUANTIZATION);
        if (v == null) {
            return false;
        }
        if (!v.equals(INT8)) {
            throw new CheckpointException(source + ": metadata " + QUANTIZATION + " is \"" + v + "\", expected \"" + INT8
                    + "\"");
        }
        return true;
    }

    /** Whether the metadata asks for per-tensor activations; throws naming the file for an unknown value. */
    static boolean perTensor(String source, Map<String, String> metadata) {
        String v = metadata.getOrDefault(ACTIVATIONS, PER_ROW);
        if (!v.equals(PER_ROW) && !v.equals(PER_TENSOR)) {
            throw new CheckpointException(source + ": metadata " + ACTIVATIONS + " is \"" + v + "\", expected \""
                    + PER_ROW + "\" or \"" + PER_TENSOR + "\"");
        }
        return v.equals(PER_TENSOR);
    }

    /** The scales' shape checked against the int8 matrix's: NAME_scale F32 [N] for NAME [N, K]. */
    static void checkScales(String source, String name, Shape values, String scaleDtype, Shape scales) {
        String scale = name + Checkpoint.INT8_SCALE_SUFFIX;
        if (values.rank() != 2) {
            throw new CheckpointException(source + ": int8 tensor " + name + " has shape " + values
                    + ", expected [N, K]");
        }
        if (scaleDtype == null) {
            throw new CheckpointException(source + ": int8 tensor " + name + " has no scales " + scale);
        }
        if (!scaleDtype.equals("F32") || scales.rank() != 1 || scales.dim(0) != values.dim(0)) {
            throw new CheckpointException(source + ": " + scale + " is " + scaleDtype + scales + ", expected F32["
                    + values.dim(0) + "] for " + name + values);
        }
    }

    /** w = q * scale per row, as float32 in arena, for int8 values q [N, K] (any segment) and scales [N]. */
    static Tensor dequantize(MemorySegment q, long n, long k, Tensor scale, TensorArena arena) {
        Tensor w = arena.allocate(DType.F32, n, k);
        MemorySegment dst = TensorMemory.host(w);
        for (long r = 0; r < n; r++) {
            float s = scale.getFloat(r);
            for (long c = 0; c < k; c++) {
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, r * k + c, q.get(ValueLayout.JAVA_BYTE, r * k + c) * s);
            }
        }
        return w;
    }

    /**
     * Whether a parameter is quantized when a checkpoint is written in int8: a 2-D NAME.weight that is
     * no embedding table (tables stay float32, as the int8 backend keeps them).
     *
     * @param name the parameter's name
     * @param shape its shape
     * @return whether it is quantized
     */
    public static boolean quantizes(String name, Shape shape) {
        return shape.rank() == 2 && name.endsWith(".weight") && !TABLE.matcher(name).matches();
    }

    /**
     * {@return whether the model stores the parameter [in, out] (GPT-2's Conv1D), so that its rows are input channels}
     *
     * @param modelType the config's model_type
     * @param name the parameter's name
     */
    public static boolean storedInputMajor(String modelType, String name) {
        return modelType.equals("gpt2") && CONV1D.matcher(name).matches();
    }
}
