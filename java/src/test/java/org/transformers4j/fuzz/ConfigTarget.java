package org.transformers4j.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.FamilyConfig;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.bart.BartConfig;
import org.transformers4j.model.bert.BertConfig;
import org.transformers4j.model.gpt2.Gpt2Config;
import org.transformers4j.model.gptneo.GptNeoConfig;
import org.transformers4j.model.llama.LlamaConfig;
import org.transformers4j.model.t5.T5Config;

/**
 * Fuzz target: the bytes as config.json text, parsed and read as the record of its own
 * model_type and then of every family's (the same keys under each model_type), with the views
 * derived from each record. Only the exceptions config reading documents for bad input
 * (CheckpointException, IllegalArgumentException) are expected.
 */
public final class ConfigTarget {
    static final List<String> TYPES = List.of("bert", "roberta", "distilbert", "gpt2", "gpt_neo", "llama", "bart",
            "marian", "t5");

    private ConfigTarget() {
    }

    /** libFuzzer's entry point. */
    public static void fuzzerTestOneInput(byte[] data) {
        ModelConfig config;
        try {
            config = ModelConfig.parse(new String(data, StandardCharsets.UTF_8), "config.json");
        } catch (CheckpointException notJson) {
            return;
        }
        check(config);
        for (String type : TYPES) {
            var json = config.json();
            json.addProperty("model_type", type);
            check(ModelConfig.parse(json.toString(), "config.json"));
        }
    }

    private static void check(ModelConfig config) {
        try {
            ModelRegistry.kind(config);
            config.architectures();
            config.id2label();
            derived(ModelRegistry.readConfig(config));
        } catch (IllegalArgumentException refused) { // CheckpointException is one
            // bad input, named
        }
    }

    /** What loaders compute from a checked record must not fail either. */
    private static void derived(FamilyConfig typed) {
        typed.specialTokens();
        switch (typed) {
            case BertConfig c -> {
                c.maxTokens();
                c.numLabels();
            }
            case Gpt2Config c -> {
                c.inner();
                c.headDim();
            }
            case GptNeoConfig c -> {
                c.layerKind(c.num_layers() - 1);
                c.inner();
                c.headDim();
            }
            case LlamaConfig c -> {
                c.rope().theta();
                c.kvHeads();
                c.headDim();
            }
            case BartConfig c -> c.targetVocabSize();
            case T5Config c -> {
                c.gated();
                c.activationName();
                c.decoderLayers();
                c.scalesDecoderOutputs();
            }
            default -> {
            }
        }
    }
}
