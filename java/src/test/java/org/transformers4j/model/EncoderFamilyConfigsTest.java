package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.transformers4j.model.ConfigRecordsTest.config;
import static org.transformers4j.model.ConfigRecordsTest.refused;
import static org.transformers4j.model.ConfigRecordsTest.with;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.bert.BertConfig;
import org.transformers4j.model.electra.ElectraConfig;
import org.transformers4j.model.modernbert.ModernBertConfig;

/**
 * The config records of ELECTRA, XLM-RoBERTa and ModernBERT: transformers' defaults, ModernBERT's
 * two ways of writing its attention pattern, and the refusals, each naming config.json, the key
 * and the value.
 */
class EncoderFamilyConfigsTest {

    @Test
    void theFixturesReadAsTheirRecords() {
        var electra = ElectraConfig.from(ModelConfig.read(Fixtures.model("electra-disc").resolve("config.json")));
        assertEquals(List.of(32, 48, 3), List.of(electra.embedding_size(), electra.hidden_size(), electra.numLabels()));
        assertTrue(electra.projectsEmbeddings());
        var modern = ModernBertConfig.from(ModelConfig.read(Fixtures.model("modernbert-mlm").resolve("config.json")));
        assertEquals(List.of(false, true, false), List.of(modern.sliding(0), modern.sliding(1), modern.sliding(2)));
        assertEquals(4, modern.halfWindow());
        assertEquals(160000.0, modern.theta(ModernBertConfig.FULL));
        assertEquals(10000.0, modern.theta(ModernBertConfig.SLIDING));
        // bos 50281 lies outside this vocabulary of 1000: transformers accepts it, and so do we, leaving it out
        assertEquals(-1, modern.specialTokens().bos());
        assertEquals(0, modern.specialTokens().pad());
        for (String type : new String[] {"electra", "xlm-roberta", "modernbert"}) {
            assertEquals(ModelRegistry.Kind.ENCODER, ModelRegistry.kind(config("{\"model_type\": \"" + type + "\"}")));
        }
        assertTrue(ModelRegistry.encoderArchitectures().containsAll(List.of("XLMRobertaForQuestionAnswering",
                "ElectraForPreTraining", "ModernBertForSequenceClassification", "BertForQuestionAnswering",
                "DistilBertForQuestionAnswering", "RobertaForSequenceClassification")));
    }

    @Test
    void missingKeysTakeTransformersDefaults() {
        var electra = ElectraConfig.from(config("{\"model_type\": \"electra\"}"));
        assertEquals(List.of(30522, 128, 256, 12, 4, 1024, 512, 2), List.of(electra.vocab_size(),
                electra.embedding_size(), electra.hidden_size(), electra.num_hidden_layers(),
                electra.num_attention_heads(), electra.intermediate_size(), electra.max_position_embeddings(),
                electra.type_vocab_size()));
        assertEquals(0, electra.pad_token_id());
        var xlmr = BertConfig.from(config("{\"model_type\": \"xlm-roberta\"}"));
        assertEquals(List.of(30522, 1, 0), List.of(xlmr.vocab_size(), xlmr.pad_token_id(), xlmr.bos_token_id()));
        assertEquals(List.of(2L), xlmr.eos_token_id().ids());
        assertTrue(xlmr.isRoberta());
        assertEquals(510, xlmr.maxTokens()); // positions start after padding_idx 1, as RoBERTa's
        var modern = ModernBertConfig.from(config("{\"model_type\": \"modernbert\"}"));
        assertEquals(List.of(50368, 768, 1152, 22, 12, 8192), List.of(modern.vocab_size(), modern.hidden_size(),
                modern.intermediate_size(), modern.num_hidden_layers(), modern.num_attention_heads(),
                modern.max_position_embeddings()));
        assertEquals(64, modern.halfWindow());
        assertEquals(List.of(false, true, true, false, true), List.of(modern.sliding(0), modern.sliding(1),
                modern.sliding(2), modern.sliding(3), modern.sliding(4)));
        assertFalse(modern.attention_bias() || modern.mlp_bias() || modern.norm_bias() || modern.classifier_bias());
        assertTrue(modern.decoder_bias());
        assertEquals("cls", modern.classifier_pooling());
        assertEquals(1e-5, modern.norm_eps());
        assertEquals(50283, modern.specialTokens().pad());
    }

    @Test
    void modernBertThetasComeFromRopeParametersThenTheOlderKeysThenTheDefaults() {
        var old = ModernBertConfig.from(config("""
                {"model_type": "modernbert", "num_hidden_layers": 4, "global_attn_every_n_layers": 2,
                 "global_rope_theta": 80000, "local_rope_theta": 500}"""));
        assertEquals(List.of(false, true, false, true), List.of(old.sliding(0), old.sliding(1), old.sliding(2),
                old.sliding(3)));
        assertEquals(80000.0, old.theta(ModernBertConfig.FULL));
        assertEquals(500.0, old.theta(ModernBertConfig.SLIDING));
        var newer = ModernBertConfig.from(config("""
                {"model_type": "modernbert", "num_hidden_layers": 2, "global_rope_theta": 80000,
                 "layer_types": ["sliding_attention", "full_attention"],
                 "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1000.0}}}"""));
        assertEquals(List.of(true, false), List.of(newer.sliding(0), newer.sliding(1)));
        assertEquals(1000.0, newer.theta(ModernBertConfig.FULL));
        assertEquals(10000.0, newer.theta(ModernBertConfig.SLIDING));
    }

    @Test
    void badValuesAreRefusedNamingTheKey() {
        refused(with("modernbert-mlm", "classifier_pooling", JsonParser.parseString("\"max\"")),
                "classifier_pooling max is not supported");
        refused(with("modernbert-mlm", "layer_types", JsonParser.parseString("[\"full_attention\"]")),
                "layer_types has 1 entries, num_hidden_layers is 3");
        refused(with("modernbert-mlm", "layer_types", JsonParser.parseString(
                "[\"full_attention\", \"chunked_attention\", \"full_attention\"]")), "chunked_attention");
        refused(with("modernbert-mlm", "rope_parameters", JsonParser.parseString(
                "{\"full_attention\": {\"rope_type\": \"yarn\", \"rope_theta\": 10.0}}")),
                "rope_parameters.full_attention.rope_type yarn");
        refused(with("modernbert-mlm", "rope_parameters", JsonParser.parseString(
                "{\"sliding_attention\": {\"rope_theta\": -1}}")), "rope_parameters.sliding_attention.rope_theta");
        refused(with("modernbert-mlm", "rope_scaling", JsonParser.parseString("{\"factor\": 2}")), "rope_scaling");
        refused(with("modernbert-mlm", "num_attention_heads", 16), "head size hidden_size / num_attention_heads = 3");
        refused(with("modernbert-mlm", "local_attention", 0), "local_attention must be >= 1");
        refused(with("modernbert-mlm", "pad_token_id", 1000), "pad_token_id 1000 is outside the vocabulary");
        refused(with("electra-disc", "num_attention_heads", 5), "hidden_size 48 is not a multiple");
        refused(with("electra-disc", "embedding_size", 0), "embedding_size must be >= 1");
        var xlmr = with("roberta-mlm", "model_type", JsonParser.parseString("\"xlm-roberta\"")).json();
        refused(with(xlmr, "max_position_embeddings", 2), "leaves no position after pad_token_id 1");
    }

    @Test
    void aQuestionAnsweringModelWithOtherThanTwoLabelsIsRefused(@TempDir Path tmp) throws IOException {
        Path dir = Fixtures.model("electra-disc"); // id2label has three labels
        Files.copy(dir.resolve("model.safetensors"), tmp.resolve("model.safetensors"));
        Files.writeString(tmp.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("ElectraForTokenClassification", "ElectraForQuestionAnswering"));
        try (CpuBackend cpu = CpuBackend.create()) {
            var e = assertThrows(CheckpointException.class, () -> ModelRegistry.loadEncoder(tmp, cpu));
            assertTrue(e.getMessage().contains("config.json: a question-answering model has 2 labels")
                    && e.getMessage().contains("gives 3"), e.getMessage());
        }
    }
}
