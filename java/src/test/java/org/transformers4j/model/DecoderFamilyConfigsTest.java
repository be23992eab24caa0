package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.gemma.GemmaConfig;
import org.transformers4j.model.llama.RopeParameters;
import org.transformers4j.model.llama.Rotary;
import org.transformers4j.model.mistral.MistralConfig;
import org.transformers4j.model.phi3.Phi3Config;
import org.transformers4j.model.qwen2.Qwen2Config;
import org.transformers4j.model.qwen3.Qwen3Config;

/**
 * The config records of Qwen2, Qwen3, Mistral, Gemma and Phi-3: transformers' defaults for missing
 * keys (each family's own, where they differ from Llama's), explicit nulls, the rotary settings as
 * transformers standardises them, and every bad value refused naming the key and the value.
 */
class DecoderFamilyConfigsTest {

    static ModelConfig config(String json) {
        return ModelConfig.parse(json, "config.json");
    }

    /** The window of each layer. */
    static int[] windows(java.util.function.IntUnaryOperator window, int layers) {
        return java.util.stream.IntStream.range(0, layers).map(window).toArray();
    }

    static void refused(String json, String words) {
        var e = assertThrows(CheckpointException.class, () -> ModelRegistry.readConfig(config(json)));
        assertTrue(e.getMessage().contains(words), "expected '" + words + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
    }

    @Test
    void theFixturesReadAsTheirFamilies() {
        for (String name : List.of("qwen2", "gemma", "phi3")) {
            var typed = ModelRegistry.readConfig(ModelConfig.read(Fixtures.model(name).resolve("config.json")));
            assertEquals(1000, typed.vocab_size(), name);
            assertEquals(ModelRegistry.Kind.DECODER, ModelRegistry.kind(
                    ModelConfig.read(Fixtures.model(name).resolve("config.json"))));
        }
        var gemma = GemmaConfig.from(ModelConfig.read(Fixtures.model("gemma").resolve("config.json")));
        assertEquals(List.of(1, 12), List.of(gemma.kvHeads(), gemma.head_dim()));
        var phi3 = Phi3Config.from(ModelConfig.read(Fixtures.model("phi3").resolve("config.json")));
        assertEquals(List.of(4, 12, 12), List.of(phi3.kvHeads(), phi3.headDim(), phi3.rotaryDim()));
        assertArrayEquals(new int[] {0, 0}, windows(Qwen2Config.from(ModelConfig.read(Fixtures.model("qwen2")
                .resolve("config.json")))::window, 2));
    }

    @Test
    void missingKeysTakeEachFamilysDefaults() {
        var qwen2 = Qwen2Config.from(config("{\"model_type\": \"qwen2\"}"));
        assertEquals(List.of(151936, 4096, 22016, 32, 32, 128, 32768), List.of(qwen2.vocab_size(), qwen2.hidden_size(),
                qwen2.intermediate_size(), qwen2.num_hidden_layers(), qwen2.kvHeads(), qwen2.headDim(),
                qwen2.max_position_embeddings()));
        assertEquals(new SpecialTokens(-1, List.of(), -1, -1), qwen2.specialTokens());
        assertArrayEquals(new int[32], windows(qwen2::window, 32), "sliding_window 4096 applies only with use_sliding_window");
        var qwen3 = Qwen3Config.from(config("{\"model_type\": \"qwen3\", \"hidden_size\": 1024,"
                + " \"num_attention_heads\": 16, \"num_key_value_heads\": 8}"));
        assertEquals(128, qwen3.headDim(), "head_dim 128, not hidden_size / num_attention_heads (64)");
        assertFalse(qwen3.attention_bias());
        var mistral = MistralConfig.from(config("{\"model_type\": \"mistral\"}"));
        assertEquals(List.of(32000, 14336, 8, 128, 131072), List.of(mistral.vocab_size(), mistral.intermediate_size(),
                mistral.kvHeads(), mistral.headDim(), mistral.max_position_embeddings()));
        assertEquals(4096, mistral.window(31));
        assertEquals(new SpecialTokens(1, List.of(2L), -1, -1), mistral.specialTokens());
        var gemma = GemmaConfig.from(config("{\"model_type\": \"gemma\"}"));
        assertEquals(List.of(256000, 3072, 24576, 28, 16, 256, 8192), List.of(gemma.vocab_size(), gemma.hidden_size(),
                gemma.intermediate_size(), gemma.num_hidden_layers(), gemma.kvHeads(), gemma.head_dim(),
                gemma.max_position_embeddings()));
        assertEquals("gelu_pytorch_tanh", gemma.hidden_act());
        assertTrue(gemma.tie_word_embeddings());
        assertEquals(new SpecialTokens(2, List.of(1L), 0, -1), gemma.specialTokens());
        var phi3 = Phi3Config.from(config("{\"model_type\": \"phi3\"}"));
        assertEquals(List.of(32064, 3072, 8192, 32, 32, 96, 4096, 4096), List.of(phi3.vocab_size(), phi3.hidden_size(),
                phi3.intermediate_size(), phi3.num_hidden_layers(), phi3.kvHeads(), phi3.headDim(),
                phi3.max_position_embeddings(), phi3.original_max_position_embeddings()));
        assertEquals(1e-5, phi3.rms_norm_eps());
        assertEquals(new SpecialTokens(1, List.of(32000L), 32000, -1), phi3.specialTokens());
        assertArrayEquals(new int[32], windows(phi3::window, 32));
    }

    @Test
    void explicitNullsMeanNone() {
        var mistral = MistralConfig.from(config("{\"model_type\": \"mistral\", \"sliding_window\": null,"
                + " \"num_key_value_heads\": null, \"bos_token_id\": null, \"head_dim\": null}"));
        assertArrayEquals(new int[32], windows(mistral::window, 32), "a null window is global attention");
        assertEquals(32, mistral.kvHeads());
        assertEquals(-1, mistral.specialTokens().bos());
        assertEquals(128, mistral.headDim());
        var qwen2 = Qwen2Config.from(config("{\"model_type\": \"qwen2\", \"num_key_value_heads\": null,"
                + " \"num_attention_heads\": 8, \"hidden_size\": 64}"));
        assertEquals(8, qwen2.kvHeads());
        assertNull(qwen2.layer_types());
    }

    @Test
    void qwenWindowsFollowUseSlidingWindowMaxWindowLayersAndLayerTypes() {
        String base = "{\"model_type\": \"qwen3\", \"num_hidden_layers\": 4, \"use_sliding_window\": true,"
                + " \"sliding_window\": 16";
        assertArrayEquals(new int[] {0, 0, 16, 16}, windows(Qwen3Config.from(config(base
                + ", \"max_window_layers\": 2}"))::window, 4));
        assertArrayEquals(new int[] {16, 0, 16, 0}, windows(Qwen3Config.from(config(base + ", \"layer_types\":"
                + " [\"sliding_attention\", \"full_attention\", \"sliding_attention\", \"full_attention\"]}"))::window, 4));
        refused(base + ", \"layer_types\": [\"full_attention\"]}", "layer_types has 1 entries for 4 layers");
        refused(base + ", \"layer_types\": [\"chunked_attention\", \"full_attention\", \"full_attention\","
                + " \"full_attention\"]}", "layer_types[0] chunked_attention is not supported");
        refused("{\"model_type\": \"qwen2\", \"num_hidden_layers\": 2, \"layer_types\": [\"full_attention\","
                + " \"sliding_attention\"]}", "layer_types[1] is sliding_attention but there is no window");
        refused(base.replace("16", "0") + "}", "sliding_window must be >= 1, is 0");
        refused("{\"model_type\": \"mistral\", \"sliding_window\": -3}", "sliding_window must be >= 1, is -3");
    }

    @Test
    void rotarySettingsAreStandardisedAsTransformersDoes() {
        var v4 = MistralConfig.from(config("{\"model_type\": \"mistral\", \"rope_theta\": 1000000.0}")).rope();
        assertEquals(List.of("default", 1e6), List.of(v4.kind(), v4.theta()));
        var scaling = Qwen2Config.from(config("{\"model_type\": \"qwen2\", \"rope_theta\": 1000000.0, \"rope_scaling\":"
                + " {\"type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}}")).rope();
        assertEquals(List.of("yarn", 1e6, 4.0, 32768.0), List.of(scaling.kind(), scaling.theta(), scaling.factor(),
                scaling.original_max_position_embeddings()));
        assertEquals(0.1 * Math.log(4) + 1, Rotary.attentionFactor(scaling, 32768), 1e-15);
        var defaulted = MistralConfig.from(config("{\"model_type\": \"mistral\", \"max_position_embeddings\": 512,"
                + " \"rope_parameters\": {\"rope_type\": \"yarn\", \"factor\": 2.0}}")).rope();
        assertEquals(512.0, defaulted.original_max_position_embeddings(), "yarn's original context defaults to max");
        var su = Phi3Config.from(config("{\"model_type\": \"phi3\", \"hidden_size\": 64, \"num_attention_heads\": 4,"
                + " \"rope_scaling\": {\"type\": \"su\", \"short_factor\": [1, 1, 1, 1, 1, 1, 1, 1],"
                + " \"long_factor\": [2, 2, 2, 2, 2, 2, 2, 2]}, \"max_position_embeddings\": 131072}"));
        assertEquals(List.of("longrope", 4096.0), List.of(su.rope().kind(), su.rope().original_max_position_embeddings()));
        assertEquals(Math.sqrt(1 + Math.log(32) / Math.log(4096)), Rotary.attentionFactor(su.rope(), 131072), 1e-15);
        var partial = Phi3Config.from(config("{\"model_type\": \"phi3\", \"hidden_size\": 64, \"num_attention_heads\": 4,"
                + " \"partial_rotary_factor\": 0.75}"));
        assertEquals(12, partial.rotaryDim());
        var fromSettings = Phi3Config.from(config("{\"model_type\": \"phi3\", \"hidden_size\": 64,"
                + " \"num_attention_heads\": 4, \"rope_parameters\": {\"rope_type\": \"default\","
                + " \"partial_rotary_factor\": 0.5}}"));
        assertEquals(8, fromSettings.rotaryDim());
        // Llama's rotary embedding ignores partial_rotary_factor in its default type
        assertEquals(128, Qwen2Config.from(config("{\"model_type\": \"qwen2\", \"rope_parameters\":"
                + " {\"rope_type\": \"default\", \"partial_rotary_factor\": 0.5}}")).rotaryDim());
        RopeParameters theta = RopeParameters.theta(10000);
        assertEquals("default", theta.kind());
    }

    @Test
    void unsupportedValuesAreRefusedByName() {
        refused("{\"model_type\": \"mistral\", \"rope_parameters\": {\"rope_type\": \"dynamic\", \"factor\": 2.0}}",
                "rope type dynamic is not supported");
        refused("{\"model_type\": \"qwen2\", \"rope_parameters\": {\"rope_type\": \"longrope\"}}",
                "rope type longrope is not supported");
        refused("{\"model_type\": \"phi3\", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}",
                "rope type linear is not supported yet; the default, longrope rotary embeddings are");
        refused("{\"model_type\": \"phi3\", \"hidden_size\": 64, \"num_attention_heads\": 4, \"rope_scaling\":"
                + " {\"type\": \"longrope\", \"short_factor\": [1, 1], \"long_factor\": [1, 1]}}",
                "longrope's short_factor and long_factor need 8 values each");
        refused("{\"model_type\": \"phi3\", \"rope_scaling\": {\"type\": \"longrope\", \"long_factor\": [1]}}",
                "longrope rope scaling needs short_factor");
        refused("{\"model_type\": \"phi3\", \"hidden_size\": 64, \"num_attention_heads\": 4, \"rope_scaling\":"
                + " {\"type\": \"longrope\", \"short_factor\": [1, 1, 1, 1, 1, 1, 1, -1], \"long_factor\": [1, 1, 1, 1,"
                + " 1, 1, 1, 1]}}", "longrope's short_factor[7] must be finite and > 0, is -1.0");
        refused("{\"model_type\": \"qwen3\", \"rope_parameters\": {\"rope_type\": \"yarn\", \"factor\": 4.0,"
                + " \"partial_rotary_factor\": 0.5}}", "partial_rotary_factor 0.5 with rope type yarn");
        refused("{\"model_type\": \"phi3\", \"partial_rotary_factor\": 1.5}", "partial_rotary_factor must be in (0, 1]");
        refused("{\"model_type\": \"phi3\", \"hidden_size\": 40, \"num_attention_heads\": 4,"
                + " \"partial_rotary_factor\": 0.5}", "the rotary dimension must be even and > 0, is 5");
        refused("{\"model_type\": \"gemma\", \"use_bidirectional_attention\": true}", "use_bidirectional_attention");
        refused("{\"model_type\": \"gemma\", \"head_dim\": 0}", "head_dim must be >= 1, is 0");
        refused("{\"model_type\": \"qwen3\", \"head_dim\": 13}", "the rotary dimension must be even and > 0, is 13");
        refused("{\"model_type\": \"qwen2\", \"num_attention_heads\": 4}",
                "num_attention_heads 4 is not a multiple of num_key_value_heads 32");
        refused("{\"model_type\": \"mistral\", \"hidden_size\": 100, \"num_attention_heads\": 3}",
                "hidden_size 100 is not a multiple of num_attention_heads 3");
        refused("{\"model_type\": \"phi3\", \"vocab_size\": 1000}", "pad_token_id 32000 is outside the vocabulary");
        refused("{\"model_type\": \"mistral\", \"hidden_act\": \"mish\"}", "hidden_act mish is not a supported activation");
        refused("{\"model_type\": \"qwen2\", \"rms_norm_eps\": 0}", "rms_norm_eps must be finite and > 0, is 0.0");
        refused("{\"model_type\": \"phi3\", \"original_max_position_embeddings\": 0}",
                "original_max_position_embeddings must be >= 1, is 0");
        refused("{\"model_type\": \"gemma\", \"id2label\": {\"1\": \"x\"}}", "id2label must have the keys 0 .. 0");
    }

    @Test
    void sequenceClassificationArchitecturesAreEncodersToTheirUsers() {
        for (String type : List.of("llama", "qwen2", "qwen3", "mistral", "gemma", "phi3")) {
            String arch = switch (type) {
                case "qwen2" -> "Qwen2";
                case "qwen3" -> "Qwen3";
                case "phi3" -> "Phi3";
                default -> Character.toUpperCase(type.charAt(0)) + type.substring(1);
            };
            var classifier = config("{\"model_type\": \"" + type + "\", \"architectures\": [\"" + arch
                    + "ForSequenceClassification\"], \"vocab_size\": 100000, \"pad_token_id\": 0}");
            assertEquals(ModelRegistry.Kind.ENCODER, ModelRegistry.kind(classifier), type);
            var lm = config("{\"model_type\": \"" + type + "\", \"architectures\": [\"" + arch + "ForCausalLM\"],"
                    + " \"vocab_size\": 100000, \"pad_token_id\": 0}");
            assertEquals(ModelRegistry.Kind.DECODER, ModelRegistry.kind(lm), type);
            assertTrue(ModelRegistry.encoderArchitectures().contains(arch + "ForSequenceClassification"));
            assertTrue(ModelRegistry.decoderArchitectures().contains(arch + "ForCausalLM"));
        }
        assertEquals(3, MistralConfig.from(config("{\"model_type\": \"mistral\", \"id2label\": {\"0\": \"a\","
                + " \"1\": \"b\", \"2\": \"c\"}}")).numLabels());
        assertEquals(2, GemmaConfig.from(config("{\"model_type\": \"gemma\"}")).numLabels());
    }
}
