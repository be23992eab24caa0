package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.DType;
import org.transformers4j.tensor.TensorArena;

/**
 * The ways the Llama-shaped families depart from Llama, each shown against Llama itself or a plain
 * reference: Mistral's window (a window covering the input is Llama exactly; a shorter one changes
 * exactly the positions it cuts off), Qwen2's sliding layers, Qwen3's head norms before the
 * rotary embedding (a reference written from modeling_qwen3 in double), LongRoPE's refusal to mix
 * frequency sets in one cache, and Gemma's embedding scale in the model's type.
 */
class DecoderFamiliesTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** A fixture's config.json with keys set (JsonNull: null) or removed (Java null), read as a config. */
    static ModelConfig fixtureAs(Path dir, Map<String, JsonElement> keys) {
        JsonObject json = ModelConfig.read(dir.resolve("config.json")).json();
        keys.forEach((k, v) -> {
            if (v == null) {
                json.remove(k);
            } else {
                json.add(k, v);
            }
        });
        return ModelConfig.parse(json.toString(), dir.getFileName() + " as " + keys);
    }

    static JsonElement json(String text) {
        return JsonParser.parseString(text);
    }

    /** Logits [B, S, V] of the reference batch (row 0: 10 real tokens, row 1: 6 then padding). */
    static float[] referenceLogits(ModelConfig config, Path dir) {
        try (SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             DecoderModel model = ModelRegistry.loadDecoder(config, Checkpoints.open(dir), cpu);
             TensorArena arena = TensorArena.confined()) {
            long[] ids = ref.loadLongs("input_ids"), mask = ref.loadLongs("attention_mask");
            return model.forward(new DecoderInput(2, 10, ids, mask, null), false, arena).logits().toFloatArray();
        }
    }

    /** Positions of row 0 whose logits differ between a and b (V logits per position). */
    static int[] differingPositions(float[] a, float[] b, int row, int seq, int v) {
        return java.util.stream.IntStream.range(0, seq).filter(p -> !Arrays.equals(
                Arrays.copyOfRange(a, (row * seq + p) * v, (row * seq + p + 1) * v),
                Arrays.copyOfRange(b, (row * seq + p) * v, (row * seq + p + 1) * v))).toArray();
    }

    @Test
    void mistralWithAWindowCoveringTheInputIsLlamaAndAShorterOneCutsOffExactlyThePositionsPastIt() {
        Path dir = Fixtures.model("llama");
        float[] llama = referenceLogits(ModelConfig.read(dir.resolve("config.json")), dir);
        for (String window : new String[] {"null", "10", "64"}) {
            var mistral = fixtureAs(dir, Map.of("model_type", json("\"mistral\""),
                    "architectures", json("[\"MistralForCausalLM\"]"), "sliding_window", json(window)));
            assertArrayEquals(llama, referenceLogits(mistral, dir), "sliding_window " + window);
        }
        for (int window = 1; window < 10; window++) {
            var mistral = fixtureAs(dir, Map.of("model_type", json("\"mistral\""),
                    "architectures", json("[\"MistralForCausalLM\"]"), "sliding_window", json("" + window)));
            float[] windowed = referenceLogits(mistral, dir);
            // query i sees keys j with i - window < j <= i: positions below the window see all, as in Llama
            int[] want = java.util.stream.IntStream.range(window, 10).toArray();
            assertArrayEquals(want, differingPositions(llama, windowed, 0, 10, 1000), "window " + window + ", row 0");
            int[] wantRow1 = java.util.stream.IntStream.range(window, 6).toArray();
            int[] gotRow1 = Arrays.stream(differingPositions(llama, windowed, 1, 10, 1000)).filter(p -> p < 6).toArray();
            assertArrayEquals(wantRow1, gotRow1, "window " + window + ", row 1 (real positions)");
        }
    }

    @Test
    void qwen2SlidesOnlyTheLayersItsLayerTypesName() {
        Path dir = Fixtures.model("qwen2");
        float[] plain = referenceLogits(ModelConfig.read(dir.resolve("config.json")), dir);
        var noWindowUsed = fixtureAs(dir, Map.of("use_sliding_window", json("false"), "sliding_window", json("3"),
                "layer_types", JsonNull.INSTANCE, "max_window_layers", json("0")));
        assertArrayEquals(plain, referenceLogits(noWindowUsed, dir), "sliding_window without use_sliding_window");
        var fromMaxWindowLayers = fixtureAs(dir, Map.of("use_sliding_window", json("true"), "sliding_window",
                json("3"), "layer_types", JsonNull.INSTANCE, "max_window_layers", json("2")));
        assertArrayEquals(plain, referenceLogits(fromMaxWindowLayers, dir), "no layer from max_window_layers 2 on");
        var lastLayer = fixtureAs(dir, Map.of("use_sliding_window", json("true"), "sliding_window", json("3"),
                "layer_types", JsonNull.INSTANCE, "max_window_layers", json("1")));
        var named = fixtureAs(dir, Map.of("use_sliding_window", json("true"), "sliding_window", json("3"),
                "layer_types", json("[\"full_attention\", \"sliding_attention\"]")));
        float[] windowed = referenceLogits(lastLayer, dir);
        assertArrayEquals(windowed, referenceLogits(named, dir), "max_window_layers 1 and layer_types agree");
        assertArrayEquals(new int[] {3, 4, 5, 6, 7, 8, 9}, differingPositions(plain, windowed, 0, 10, 1000));
        var e = assertThrows(CheckpointException.class, () -> ModelRegistry.readConfig(fixtureAs(dir, Map.of(
                "layer_types", json("[\"full_attention\", \"sliding_attention\"]")))));
        assertTrue(e.getMessage().contains("layer_types[1] is sliding_attention but there is no window"),
                e.getMessage());
    }

    /**
     * Qwen3's first layer (global attention) recomputed in double from modeling_qwen3: q_norm and
     * k_norm over each head after the projection, then the rotary embedding, then attention. The
     * model's hidden_states[1] must match it, and must not match the same reference with the norms
     * after the rotation (which the elementwise weights do not commute with).
     */
    @Test
    void qwen3NormsEachQueryAndKeyHeadBeforeTheRotaryEmbedding() {
        Path dir = PortedReferencesTest.ported("qwen3-window");
        long[] ids = {5, 17, 99, 3, 42, 120};
        int s = ids.length;
        float[] got;
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu); TensorArena arena = TensorArena.confined()) {
            got = model.forward(DecoderInput.of(1, s, ids), true, arena).hiddenStates().get(1).toFloatArray();
        }
        try (Checkpoint w = Checkpoints.open(dir); TensorArena arena = TensorArena.confined()) {
            Qwen3Reference ref = new Qwen3Reference(w, arena);
            double[] before = ref.firstLayer(ids, true), after = ref.firstLayer(ids, false);
            assertTrue(relativeError(got, before) < 1e-5, "norms before the rotation: " + relativeError(got, before));
            assertTrue(relativeError(got, after) > 1e-3, "norms after the rotation: " + relativeError(got, after));
        }
    }

    static double relativeError(float[] got, double[] want) {
        double err = 0, mag = 0;
        for (int i = 0; i < want.length; i++) {
            err = Math.max(err, Math.abs(got[i] - want[i]));
            mag = Math.max(mag, Math.abs(want[i]));
        }
        return err / mag;
    }

    /** One Qwen3 decoder layer in double, written from transformers' modeling_qwen3 (hidden 40, 4 heads, 2 KV heads, D 16). */
    static final class Qwen3Reference {
        static final int C = 40, H = 4, K = 2, D = 16, F = 96;
        static final double EPS = 1e-6, THETA = 10000;
        final Checkpoint w;
        final TensorArena arena;

        Qwen3Reference(Checkpoint w, TensorArena arena) {
            this.w = w;
            this.arena = arena;
        }

        float[] p(String name) {
            return w.load(name, arena).toFloatArray();
        }

        double[] firstLayer(long[] ids, boolean normBeforeRotation) {
            int s = ids.length;
            float[] emb = p("model.embed_tokens.weight");
            double[][] x = new double[s][C];
            for (int t = 0; t < s; t++) {
                for (int c = 0; c < C; c++) {
                    x[t][c] = emb[(int) ids[t] * C + c];
                }
            }
            String l = "model.layers.0.";
            double[][] q = new double[s][], k = new double[s][], v = new double[s][];
            for (int t = 0; t < s; t++) {
                double[] h = rms(x[t], p(l + "input_layernorm.weight"));
                q[t] = linear(h, p(l + "self_attn.q_proj.weight"), p(l + "self_attn.q_proj.bias"), H * D);
                k[t] = linear(h, p(l + "self_attn.k_proj.weight"), p(l + "self_attn.k_proj.bias"), K * D);
                v[t] = linear(h, p(l + "self_attn.v_proj.weight"), p(l + "self_attn.v_proj.bias"), K * D);
                if (normBeforeRotation) {
                    headNorm(q[t], H, p(l + "self_attn.q_norm.weight"));
                    headNorm(k[t], K, p(l + "self_attn.k_norm.weight"));
                }
                rotate(q[t], H, t);
                rotate(k[t], K, t);
                if (!normBeforeRotation) {
                    headNorm(q[t], H, p(l + "self_attn.q_norm.weight"));
                    headNorm(k[t], K, p(l + "self_attn.k_norm.weight"));
                }
            }
            double[] out = new double[s * C];
            for (int t = 0; t < s; t++) {
                double[] context = new double[H * D];
                for (int h = 0; h < H; h++) {
                    int kv = h / (H / K);
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= t; j++) {
                        for (int d = 0; d < D; d++) {
                            scores[j] += q[t][h * D + d] * k[j][kv * D + d];
                        }
                        scores[j] /= Math.sqrt(D);
                        max = Math.max(max, scores[j]);
                    }
                    for (int j = 0; j <= t; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= t; j++) {
                        for (int d = 0; d < D; d++) {
                            context[h * D + d] += scores[j] / sum * v[j][kv * D + d];
                        }
                    }
                }
                double[] attended = linear(context, p(l + "self_attn.o_proj.weight"), p(l + "self_attn.o_proj.bias"), C);
                double[] x1 = new double[C];
                for (int c = 0; c < C; c++) {
                    x1[c] = x[t][c] + attended[c];
                }
                double[] h2 = rms(x1, p(l + "post_attention_layernorm.weight"));
                double[] gate = linear(h2, p(l + "mlp.gate_proj.weight"), null, F);
                double[] up = linear(h2, p(l + "mlp.up_proj.weight"), null, F);
                for (int f = 0; f < F; f++) {
                    gate[f] = gate[f] / (1 + Math.exp(-gate[f])) * up[f];
                }
                double[] down = linear(gate, p(l + "mlp.down_proj.weight"), null, C);
                for (int c = 0; c < C; c++) {
                    out[t * C + c] = x1[c] + down[c];
                }
            }
            return out;
        }

        static double[] rms(double[] x, float[] weight) {
            double ms = 0;
            for (double v : x) {
                ms += v * v;
            }
            double r = 1 / Math.sqrt(ms / x.length + EPS);
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = x[i] * r * weight[i];
            }
            return y;
        }

        static void headNorm(double[] x, int heads, float[] weight) {
            for (int h = 0; h < heads; h++) {
                double[] head = rms(Arrays.copyOfRange(x, h * D, (h + 1) * D), weight);
                System.arraycopy(head, 0, x, h * D, D);
            }
        }

        /** rotate_half: pairs (i, i + D/2) by the angle position / theta^(2i / D). */
        static void rotate(double[] x, int heads, int position) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < D / 2; i++) {
                    double angle = position / Math.pow(THETA, 2.0 * i / D);
                    double a = x[h * D + i], b = x[h * D + i + D / 2];
                    x[h * D + i] = a * Math.cos(angle) - b * Math.sin(angle);
                    x[h * D + i + D / 2] = b * Math.cos(angle) + a * Math.sin(angle);
                }
            }
        }

        static double[] linear(double[] x, float[] weight, float[] bias, int out) {
            double[] y = new double[out];
            for (int o = 0; o < out; o++) {
                double acc = bias == null ? 0 : bias[o];
                for (int i = 0; i < x.length; i++) {
                    acc += weight[o * x.length + i] * x[i];
                }
                y[o] = acc;
            }
            return y;
        }
    }

    /**
     * phi3-longrope switches to its long factors past 8 positions: feeding it token by token
     * through one cache would rotate later keys by other frequencies than those cached, which
     * transformers never does; the pass is refused, naming LongRoPE, and the model reports the
     * length at which generation re-runs the sequence.
     */
    @Test
    void longRopeRefusesToMixFrequencySetsInOneCache() {
        Path dir = PortedReferencesTest.ported("phi3-longrope");
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu); KvCache cache = model.newCache(1, 12);
             TensorArena arena = TensorArena.confined()) {
            assertEquals(8, model.recomputeAt());
            for (int t = 0; t < 8; t++) {
                model.forward(DecoderInput.of(1, 1, new long[] {5 + t}), cache, false, true, arena);
            }
            var e = assertThrows(IllegalStateException.class,
                    () -> model.forward(DecoderInput.of(1, 1, new long[] {40}), cache, false, true, arena));
            assertTrue(e.getMessage().contains("LongRoPE") && e.getMessage().contains("holds 8 positions"),
                    e.getMessage());
            cache.truncate(0);
            long[] all = {5, 6, 7, 8, 9, 10, 11, 12, 40};
            model.forward(DecoderInput.of(1, 9, all), cache, false, true, arena); // re-run whole: long factors
            model.forward(DecoderInput.of(1, 1, new long[] {41}), cache, false, true, arena);
            assertEquals(10, cache.length());
        }
        try (DecoderModel llama = ModelRegistry.loadDecoder(Fixtures.model("llama"), cpu)) {
            assertEquals(-1, llama.recomputeAt());
        }
    }

    /**
     * A generation session over phi3-longrope re-runs its rows whole when they reach 9 tokens, after
     * beam-style reordering of its rows: each row's logits there are those of a fresh pass over that
     * row's own tokens.
     */
    @Test
    void aSessionReRunsReorderedRowsWholeAtTheLongRopeSwitch() {
        Path dir = PortedReferencesTest.ported("phi3-longrope");
        long[][] prompts = {{5, 6, 7, 8, 9}, {20, 21, 22, 23, 24}, {40, 41, 42, 43, 44}};
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             var session = new org.transformers4j.generation.CausalSession(model, Arrays.asList(prompts), 0, 8)) {
            session.start();
            long[][] rows = {prompts[0].clone(), prompts[1].clone(), prompts[2].clone()};
            long[][] steps = {{50, 51, 52}, {60, 61, 62}, {70, 71, 72}, {80, 81, 82}};
            float[][] logits = null;
            for (int i = 0; i < steps.length; i++) {
                if (i == 1) {
                    int[] from = {2, 0, 0};
                    session.reorder(from);
                    rows = new long[][] {rows[from[0]], rows[from[1]], rows[from[2]]};
                }
                logits = session.next(steps[i]);
                for (int r = 0; r < 3; r++) {
                    rows[r] = java.util.stream.LongStream.concat(Arrays.stream(rows[r]),
                            java.util.stream.LongStream.of(steps[i][r])).toArray();
                }
            }
            assertEquals(9, rows[0].length, "the last step reached the switch");
            try (TensorArena arena = TensorArena.confined()) {
                for (int r = 0; r < 3; r++) {
                    float[] alone = model.forward(DecoderInput.of(1, 9, rows[r]), false, arena).logits()
                            .toFloatArray();
                    float[] want = Arrays.copyOfRange(alone, 8 * model.vocabSize(), 9 * model.vocabSize());
                    double err = 0, mag = 0;
                    for (int j = 0; j < want.length; j++) {
                        err = Math.max(err, Math.abs(logits[r][j] - want[j]));
                        mag = Math.max(mag, Math.abs(want[j]));
                    }
                    assertTrue(err / mag < 1e-5, "row " + r + ": " + err / mag);
                }
            }
        }
    }

    @Test
    void gemmaScalesEmbeddingsBySqrtHiddenInTheModelsType() {
        float scale = (float) Math.sqrt(3072);
        assertEquals(55.425625f, TransformerDecoder.inType(scale, DType.F32));
        assertEquals(55.5f, TransformerDecoder.inType(scale, DType.BF16), "transformers' comment: 55.4256 becomes 55.5");
        assertEquals(55.4375f, TransformerDecoder.inType(scale, DType.F16));
        assertFalse(TransformerDecoder.inType((float) Math.sqrt(48), DType.BF16) == (float) Math.sqrt(48));
    }
}
