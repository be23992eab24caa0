package org.transformers4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.tensor.BFloat16;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * Checkpoints of real models' sizes with random weights (none can be downloaded here), written
 * once as config.json + model.safetensors under target/random-checkpoints and reused. Matrices
 * are uniform with GPT-2's init spread (std 0.02), norm gains 1, biases small.
 */
final class RandomCheckpoints {
    static final Path ROOT = root();

    private RandomCheckpoints() {
    }

    /** -Dt4j.checkpoints, else random-checkpoints beside the bench module's classes (bench/target). */
    private static Path root() {
        String set = System.getProperty("t4j.checkpoints");
        if (set != null) {
            return Path.of(set);
        }
        try {
            Path classes = Path.of(RandomCheckpoints.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return classes.getParent().resolve("random-checkpoints");
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Path.of("target", "random-checkpoints");
        }
    }

    /** GPT-2 small: 12 layers, 768 wide, 12 heads, 1024 positions, 50257 tokens (124M parameters). */
    static Path gpt2Small() {
        int c = 768, layers = 12, vocab = 50257, positions = 1024;
        String config = """
                {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
                 "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024, "n_inner": null,
                 "vocab_size": 50257, "layer_norm_epsilon": 1e-05, "bos_token_id": 50256, "eos_token_id": 50256,
                 "tie_word_embeddings": true}
                """;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("transformer.wte.weight", new long[] {vocab, c});
        shapes.put("transformer.wpe.weight", new long[] {positions, c});
        for (int i = 0; i < layers; i++) {
            String p = "transformer.h." + i + ".";
            norm(shapes, p + "ln_1", c);
            conv1d(shapes, p + "attn.c_attn", c, 3 * c);
            conv1d(shapes, p + "attn.c_proj", c, c);
            norm(shapes, p + "ln_2", c);
            conv1d(shapes, p + "mlp.c_fc", c, 4 * c);
            conv1d(shapes, p + "mlp.c_proj", 4 * c, c);
        }
        norm(shapes, "transformer.ln_f", c);
        return write("gpt2-small", config, shapes);
    }

    /** BERT-base for masked LM: 12 layers, 768 wide, 12 heads, 512 positions, 30522 tokens, tied decoder (110M parameters). */
    static Path bertBaseMlm() {
        int c = 768, ff = 3072, layers = 12, vocab = 30522, positions = 512;
        String config = """
                {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 768,
                 "num_attention_heads": 12, "num_hidden_layers": 12, "intermediate_size": 3072, "hidden_act": "gelu",
                 "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": 30522, "layer_norm_eps": 1e-12,
                 "pad_token_id": 0, "tie_word_embeddings": true}
                """;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("bert.embeddings.word_embeddings.weight", new long[] {vocab, c});
        shapes.put("bert.embeddings.position_embeddings.weight", new long[] {positions, c});
        shapes.put("bert.embeddings.token_type_embeddings.weight", new long[] {2, c});
        norm(shapes, "bert.embeddings.LayerNorm", c);
        for (int i = 0; i < layers; i++) {
            String p = "bert.encoder.layer." + i + ".";
            for (String m : new String[] {"query", "key", "value"}) {
                linear(shapes, p + "attention.self." + m, c, c);
            }
            linear(shapes, p + "attention.output.dense", c, c);
            norm(shapes, p + "attention.output.LayerNorm", c);
            linear(shapes, p + "intermediate.dense", ff, c);
            linear(shapes, p + "output.dense", c, ff);
            norm(shapes, p + "output.LayerNorm", c);
        }
        linear(shapes, "cls.predictions.transform.dense", c, c);
        norm(shapes, "cls.predictions.transform.LayerNorm", c);
        shapes.put("cls.predictions.bias", new long[] {vocab});
        return write("bert-base-mlm", config, shapes);
    }

    /** T5-small: 6 + 6 layers, 512 wide, 8 heads of 64, feed-forward 2048 (ReLU), 32128 tokens (60M parameters). */
    static Path t5Small() {
        int d = 512, ff = 2048, heads = 8, layers = 6, vocab = 32128;
        String config = """
                {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "d_model": 512, "d_kv": 64,
                 "d_ff": 2048, "num_heads": 8, "num_layers": 6, "num_decoder_layers": 6, "vocab_size": 32128,
                 "feed_forward_proj": "relu", "relative_attention_num_buckets": 32,
                 "relative_attention_max_distance": 128, "layer_norm_epsilon": 1e-06, "tie_word_embeddings": true,
                 "decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0, "n_positions": 512}
                """;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("shared.weight", new long[] {vocab, d});
        for (String stack : new String[] {"encoder", "decoder"}) {
            boolean dec = stack.equals("decoder");
            for (int i = 0; i < layers; i++) {
                String b = stack + ".block." + i + ".layer.";
                for (String m : new String[] {"q", "k", "v", "o"}) {
                    shapes.put(b + "0.SelfAttention." + m + ".weight", new long[] {d, d});
                }
                if (i == 0) {
                    shapes.put(b + "0.SelfAttention.relative_attention_bias.weight", new long[] {32, heads});
                }
                shapes.put(b + "0.layer_norm.weight", new long[] {d});
                if (dec) {
                    for (String m : new String[] {"q", "k", "v", "o"}) {
                        shapes.put(b + "1.EncDecAttention." + m + ".weight", new long[] {d, d});
                    }
                    shapes.put(b + "1.layer_norm.weight", new long[] {d});
                }
                String f = b + (dec ? 2 : 1);
                shapes.put(f + ".DenseReluDense.wi.weight", new long[] {ff, d});
                shapes.put(f + ".DenseReluDense.wo.weight", new long[] {d, ff});
                shapes.put(f + ".layer_norm.weight", new long[] {d});
            }
            shapes.put(stack + ".final_layer_norm.weight", new long[] {d});
        }
        return write("t5-small", config, shapes);
    }

    /** BART-base: 6 + 6 layers, 768 wide, 12 heads, feed-forward 3072 (GELU), 50265 tokens (140M parameters). */
    static Path bartBase() {
        int d = 768, ff = 3072, layers = 6, vocab = 50265, positions = 1024;
        String config = """
                {"architectures": ["BartForConditionalGeneration"], "model_type": "bart", "d_model": 768,
                 "encoder_layers": 6, "decoder_layers": 6, "encoder_attention_heads": 12,
                 "decoder_attention_heads": 12, "encoder_ffn_dim": 3072, "decoder_ffn_dim": 3072,
                 "activation_function": "gelu", "max_position_embeddings": 1024, "vocab_size": 50265,
                 "scale_embedding": false, "bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2,
                 "decoder_start_token_id": 2, "tie_word_embeddings": true}
                """;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.shared.weight", new long[] {vocab, d});
        shapes.put("final_logits_bias", new long[] {1, vocab});
        for (String stack : new String[] {"encoder", "decoder"}) {
            String p = "model." + stack + ".";
            shapes.put(p + "embed_positions.weight", new long[] {positions + 2, d});
            norm(shapes, p + "layernorm_embedding", d);
            for (int i = 0; i < layers; i++) {
                String l = p + "layers." + i + ".";
                List<String> attentions = stack.equals("decoder") ? List.of("self_attn", "encoder_attn")
                        : List.of("self_attn");
                for (String a : attentions) {
                    for (String m : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                        linear(shapes, l + a + "." + m, d, d);
                    }
                    norm(shapes, l + a + "_layer_norm", d);
                }
                linear(shapes, l + "fc1", ff, d);
                linear(shapes, l + "fc2", d, ff);
                norm(shapes, l + "final_layer_norm", d);
            }
        }
        return write("bart-base", config, shapes);
    }

    /**
     * Llama 3.2 1B's shape: 16 layers, 2048 wide, 32 query and 8 key-value heads of 64, SwiGLU
     * 8192, 128256 tokens, tied head, rope_theta 500000 with llama3 scaling (1.24B parameters);
     * matrices stored in bfloat16 as the Hub's file stores them, norms in float32.
     */
    static Path llama32OneB() {
        int c = 2048, ff = 8192, layers = 16, kv = 512, vocab = 128256;
        String config = """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
                 "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
                 "num_key_value_heads": 8, "head_dim": 64, "hidden_act": "silu", "max_position_embeddings": 131072,
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "rope_scaling": {"factor": 32.0,
                 "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192,
                 "rope_type": "llama3"}, "tie_word_embeddings": true, "vocab_size": 128256,
                 "bos_token_id": 128000, "eos_token_id": 128001}
                """;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, c});
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {c});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {c, c});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kv, c});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kv, c});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {c, c});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {c});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {ff, c});
            shapes.put(p + "mlp.up_proj.weight", new long[] {ff, c});
            shapes.put(p + "mlp.down_proj.weight", new long[] {c, ff});
        }
        shapes.put("model.norm.weight", new long[] {c});
        return write("llama-3.2-1b", config, shapes, true);
    }

    /** Bytes of parameters, excluding those whose name contains skip (null: none). */
    static long parameterBytes(Path dir, String skip) {
        return parameterBytes(dir, skip, 4);
    }

    /** As {@link #parameterBytes(Path, String)} with matrices (2-D parameters) at matrixBytes an element. */
    static long parameterBytes(Path dir, String skip, int matrixBytes) {
        try (var ckpt = org.transformers4j.checkpoint.Checkpoints.open(dir)) {
            long n = 0;
            for (String name : ckpt.names()) {
                if (skip == null || !name.contains(skip)) {
                    var shape = ckpt.shape(name);
                    n += shape.elements() * (shape.rank() == 2 ? matrixBytes : 4);
                }
            }
            return n;
        }
    }

    private static void norm(Map<String, long[]> shapes, String prefix, long c) {
        shapes.put(prefix + ".weight", new long[] {c});
        shapes.put(prefix + ".bias", new long[] {c});
    }

    /** GPT-2's Conv1D: weight [in, out], bias [out]. */
    private static void conv1d(Map<String, long[]> shapes, String prefix, long in, long out) {
        shapes.put(prefix + ".weight", new long[] {in, out});
        shapes.put(prefix + ".bias", new long[] {out});
    }

    /** nn.Linear: weight [out, in], bias [out]. */
    private static void linear(Map<String, long[]> shapes, String prefix, long out, long in) {
        shapes.put(prefix + ".weight", new long[] {out, in});
        shapes.put(prefix + ".bias", new long[] {out});
    }

    private static Path write(String name, String config, Map<String, long[]> shapes) {
        return write(name, config, shapes, false);
    }

    private static Path write(String name, String config, Map<String, long[]> shapes, boolean bf16Matrices) {
        Path dir = ROOT.resolve(name);
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return dir;
        }
        try (TensorArena arena = TensorArena.shared()) {
            Files.createDirectories(dir);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            SplittableRandom rnd = new SplittableRandom(2026);
            for (var e : shapes.entrySet()) {
                boolean rounded = bf16Matrices && e.getValue().length == 2;
                try (TensorArena values = TensorArena.confined()) {
                    Tensor t = (rounded ? values : arena).empty(e.getValue());
                    fill(t, e.getKey(), rnd);
                    tensors.put(e.getKey(), rounded ? BFloat16.rounded(t, arena) : t);
                }
            }
            Files.writeString(dir.resolve("config.json"), config);
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir, e);
        }
    }

    private static void fill(Tensor t, String name, SplittableRandom rnd) {
        boolean gain = t.rank() == 1 && (name.contains("ln") || name.contains("norm")) && name.endsWith(".weight");
        boolean bias = t.rank() == 1 && !gain;
        double spread = 0.02 * Math.sqrt(3);
        var seg = TensorMemory.host(t);
        long n = t.shape().elements();
        for (long i = 0; i < n; i++) {
            float v = gain ? 1f : (float) rnd.nextDouble(-spread, spread) * (bias ? 0.1f : 1f);
            seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
        }
    }
}
