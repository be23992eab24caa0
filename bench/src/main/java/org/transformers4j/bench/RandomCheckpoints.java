package org.transformers4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Checkpoints of real models' sizes with random weights (none can be downloaded here), written
 * once as config.json + model.safetensors under target/random-checkpoints and reused. Matrices
 * are uniform with GPT-2's init spread (std 0.02), norm gains 1, biases small.
 */
final class RandomCheckpoints {
    static final Path ROOT = Path.of(System.getProperty("t4j.checkpoints", "target/random-checkpoints"));

    private RandomCheckpoints() {
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
            linear(shapes, p + "attn.c_attn", c, 3 * c);
            linear(shapes, p + "attn.c_proj", c, c);
            norm(shapes, p + "ln_2", c);
            linear(shapes, p + "mlp.c_fc", c, 4 * c);
            linear(shapes, p + "mlp.c_proj", 4 * c, c);
        }
        norm(shapes, "transformer.ln_f", c);
        return write("gpt2-small", config, shapes);
    }

    /** Bytes of parameters, excluding those whose name contains skip (null: none). */
    static long parameterBytes(Path dir, String skip) {
        try (var ckpt = org.transformers4j.checkpoint.Checkpoints.open(dir)) {
            long n = 0;
            for (String name : ckpt.names()) {
                if (skip == null || !name.contains(skip)) {
                    n += ckpt.shape(name).elements() * 4;
                }
            }
            return n;
        }
    }

    private static void norm(Map<String, long[]> shapes, String prefix, long c) {
        shapes.put(prefix + ".weight", new long[] {c});
        shapes.put(prefix + ".bias", new long[] {c});
    }

    /** A weight stored [a, b] and a bias [b] (Conv1D layout; the shape only matters for the count). */
    private static void linear(Map<String, long[]> shapes, String prefix, long a, long b) {
        shapes.put(prefix + ".weight", new long[] {a, b});
        shapes.put(prefix + ".bias", new long[] {b});
    }

    private static Path write(String name, String config, Map<String, long[]> shapes) {
        Path dir = ROOT.resolve(name);
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return dir;
        }
        try (TensorArena arena = TensorArena.shared()) {
            Files.createDirectories(dir);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            SplittableRandom rnd = new SplittableRandom(2026);
            for (var e : shapes.entrySet()) {
                Tensor t = arena.empty(e.getValue());
                fill(t, e.getKey(), rnd);
                tensors.put(e.getKey(), t);
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
        var seg = t.segment();
        long n = t.shape().elements();
        for (long i = 0; i < n; i++) {
            float v = gain ? 1f : (float) rnd.nextDouble(-spread, spread) * (bias ? 0.1f : 1f);
            seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
        }
    }
}
