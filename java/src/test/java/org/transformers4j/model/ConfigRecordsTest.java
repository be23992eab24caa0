package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.model.bart.BartConfig;
import org.transformers4j.model.bert.BertConfig;
import org.transformers4j.model.distilbert.DistilBertConfig;
import org.transformers4j.model.gpt2.Gpt2Config;
import org.transformers4j.model.gptneo.GptNeoConfig;
import org.transformers4j.model.llama.LlamaConfig;
import org.transformers4j.model.t5.T5Config;

/**
 * The typed config records: Hugging Face's defaults for missing keys, the second names
 * transformers accepts, and every bad value refused with a CheckpointException naming
 * config.json, the key and the value (never a division by zero, an overflow or a stack trace from
 * deeper down).
 */
class ConfigRecordsTest {
    static final List<String> FIXTURES = List.of("bert-mlm", "bert-seqcls", "bert-tokcls", "roberta-mlm",
            "distilbert-mlm", "gpt2", "gpt-neo", "llama", "bart", "marian", "t5", "t5-gated");

    @Test
    void everyFixtureConfigReadsAsItsFamilysRecord() {
        for (String name : FIXTURES) {
            ModelConfig config = ModelConfig.read(Fixtures.model(name).resolve("config.json"));
            FamilyConfig typed = ModelRegistry.readConfig(config);
            assertEquals(1000, typed.vocab_size(), name);
        }
        var llama = LlamaConfig.from(fixture("llama"));
        assertEquals(2, llama.kvHeads());
        assertEquals(12, llama.headDim());
        assertEquals("default", llama.rope().kind());
        var t5 = T5Config.from(fixture("t5-gated"));
        assertTrue(t5.gated());
        assertEquals("gelu_new", t5.activationName());
        assertEquals(2, t5.decoderLayers());
        var neo = GptNeoConfig.from(fixture("gpt-neo"));
        assertEquals(List.of("global", "local"), List.of(neo.layerKind(0), neo.layerKind(1)));
        assertEquals(3, BertConfig.from(fixture("bert-seqcls")).numLabels());
        assertEquals(64, BertConfig.from(fixture("roberta-mlm")).maxTokens());
    }

    @Test
    void missingKeysTakeTransformersDefaults() {
        var bert = BertConfig.from(config("{\"model_type\": \"bert\"}"));
        assertEquals(List.of(30522, 768, 12, 12, 3072, 512, 2), List.of(bert.vocab_size(), bert.hidden_size(),
                bert.num_hidden_layers(), bert.num_attention_heads(), bert.intermediate_size(),
                bert.max_position_embeddings(), bert.type_vocab_size()));
        assertEquals(1e-12, bert.layer_norm_eps());
        assertEquals("gelu", bert.hidden_act());
        assertEquals(0, bert.pad_token_id());
        var roberta = BertConfig.from(config("{\"model_type\": \"roberta\"}"));
        assertEquals(List.of(50265, 1, 0), List.of(roberta.vocab_size(), roberta.pad_token_id(),
                roberta.bos_token_id()));
        assertEquals(List.of(2L), roberta.eos_token_id().ids());
        var gpt2 = Gpt2Config.from(config("{\"model_type\": \"gpt2\"}"));
        assertEquals(List.of(50257, 1024, 768, 12, 12, 3072), List.of(gpt2.vocab_size(), gpt2.n_positions(),
                gpt2.n_embd(), gpt2.n_layer(), gpt2.n_head(), gpt2.inner()));
        assertEquals(50256, gpt2.specialTokens().bos());
        var neo = GptNeoConfig.from(config("{\"model_type\": \"gpt_neo\"}"));
        assertEquals(List.of("global", "local", "local"), List.of(neo.layerKind(0), neo.layerKind(21),
                neo.layerKind(23)));
        assertEquals(List.of(2048, 256, 8192), List.of(neo.hidden_size(), neo.window_size(), neo.inner()));
        var llama = LlamaConfig.from(config("{\"model_type\": \"llama\"}"));
        assertEquals(List.of(32000, 4096, 11008, 32, 32, 128), List.of(llama.vocab_size(), llama.hidden_size(),
                llama.intermediate_size(), llama.num_hidden_layers(), llama.kvHeads(), llama.headDim()));
        assertEquals(10000.0, llama.rope().theta());
        assertFalse(llama.tie_word_embeddings());
        var bart = BartConfig.from(config("{\"model_type\": \"bart\"}"));
        assertEquals(List.of(50265, 1024, 16, 4096, 2), List.of(bart.vocab_size(), bart.d_model(),
                bart.decoder_attention_heads(), bart.decoder_ffn_dim(), bart.decoder_start_token_id()));
        var marian = BartConfig.from(config("{\"model_type\": \"marian\"}"));
        assertEquals(List.of(58101, 58100, 58100), List.of(marian.vocab_size(), marian.pad_token_id(),
                marian.decoder_start_token_id()));
        var t5 = T5Config.from(config("{\"model_type\": \"t5\"}"));
        assertEquals(List.of(32128, 512, 64, 2048, 6, 6, 8), List.of(t5.vocab_size(), t5.d_model(), t5.d_kv(),
                t5.d_ff(), t5.num_layers(), t5.decoderLayers(), t5.num_heads()));
        assertEquals("relu", t5.activationName());
        var distil = DistilBertConfig.from(config("{\"model_type\": \"distilbert\"}"));
        assertEquals(List.of(30522, 768, 6, 12, 3072), List.of(distil.vocab_size(), distil.dim(), distil.n_layers(),
                distil.n_heads(), distil.hidden_dim()));
    }

    @Test
    void anExplicitNullMeansNoneForIdsAndTheDefaultForSizes() {
        var gpt2 = Gpt2Config.from(config("{\"model_type\": \"gpt2\", \"bos_token_id\": null, \"n_embd\": null,"
                + " \"n_inner\": null}"));
        assertNull(gpt2.bos_token_id());
        assertEquals(-1, gpt2.specialTokens().bos());
        assertEquals(768, gpt2.n_embd());
        assertEquals(3072, gpt2.inner());
    }

    @Test
    void secondNamesOfKeysAreReadAndMustAgree() {
        var gpt2 = Gpt2Config.from(config("{\"model_type\": \"gpt2\", \"hidden_size\": 64, \"num_attention_heads\": 4,"
                + " \"num_hidden_layers\": 3, \"max_position_embeddings\": 32}"));
        assertEquals(List.of(64, 4, 3, 32), List.of(gpt2.n_embd(), gpt2.n_head(), gpt2.n_layer(), gpt2.n_positions()));
        assertEquals(64, Gpt2Config.from(config("{\"model_type\": \"gpt2\", \"hidden_size\": 64, \"n_embd\": 64.0,"
                + " \"n_head\": 4}"))
                .n_embd());
        refused("{\"model_type\": \"gpt2\", \"hidden_size\": 64, \"n_embd\": 48}", "n_embd is 48 but hidden_size");
        assertEquals(256, T5Config.from(config("{\"model_type\": \"t5\", \"hidden_size\": 256}")).d_model());
        assertEquals(8, BartConfig.from(config("{\"model_type\": \"bart\", \"num_attention_heads\": 8}"))
                .encoder_attention_heads());
        assertEquals(96, DistilBertConfig.from(config("{\"model_type\": \"distilbert\", \"hidden_size\": 96}")).dim());
    }

    /** Each family's head count of zero: a message, not "/ by zero". */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"bert-mlm, num_attention_heads", "roberta-mlm, num_attention_heads", "distilbert-mlm, n_heads",
        "gpt2, n_head", "gpt-neo, num_heads", "llama, num_attention_heads", "bart, encoder_attention_heads",
        "bart, decoder_attention_heads", "marian, decoder_attention_heads", "t5, num_heads"})
    void zeroAttentionHeadsAreRefusedByName(String fixture, String key) {
        refusedIn(fixture, key, 0, key + " must be >= 1, is 0");
    }

    @ParameterizedTest(name = "{0} {1} = {2}")
    @CsvSource({"bert-mlm, num_hidden_layers, 0", "bert-mlm, num_hidden_layers, -1", "distilbert-mlm, n_layers, 0",
        "gpt2, n_layer, -1", "gpt-neo, num_layers, 0", "llama, num_hidden_layers, 0", "bart, encoder_layers, 0",
        "marian, decoder_layers, -3", "t5, num_layers, 0", "t5, num_decoder_layers, 0",
        "bert-mlm, intermediate_size, 0", "llama, intermediate_size, 0", "distilbert-mlm, hidden_dim, 0",
        "gpt2, n_inner, 0", "gpt-neo, intermediate_size, -5", "bart, encoder_ffn_dim, 0", "t5, d_ff, 0",
        "llama, num_key_value_heads, -2", "llama, num_key_value_heads, 0", "t5, d_kv, 0",
        "bert-mlm, vocab_size, 0", "gpt2, n_positions, 0", "bert-mlm, max_position_embeddings, -1",
        "gpt-neo, window_size, 0", "bart, d_model, 0", "bert-mlm, type_vocab_size, -1"})
    void sizesBelowTheirMinimumAreRefusedByName(String fixture, String key, int value) {
        refusedIn(fixture, key, value, key + " must be >= ");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bert-mlm | hidden_size | 50 | hidden_size 50 is not a multiple of num_attention_heads 4",
        "distilbert-mlm | dim | 50 | dim 50 is not a multiple of n_heads 4",
        "gpt2 | n_embd | 50 | n_embd 50 is not a multiple of n_head 4",
        "gpt-neo | hidden_size | 50 | hidden_size 50 is not a multiple of num_heads 4",
        "llama | num_key_value_heads | 3 | num_attention_heads 4 is not a multiple of num_key_value_heads 3",
        "bart | d_model | 50 | d_model 50 is not a multiple of encoder_attention_heads 4",
        "llama | head_dim | 7 | must be even and > 0, is 7", "llama | head_dim | 0 | (head_dim) must be even and > 0, is 0"})
    void indivisibleSizesAreRefusedByName(String fixture, String key, int value, String message) {
        refusedIn(fixture, key, value, message);
    }

    @ParameterizedTest(name = "{0} {1} = {2}")
    @CsvSource({"bert-mlm, pad_token_id, 1000", "roberta-mlm, bos_token_id, -1", "gpt2, eos_token_id, 5000",
        "gpt2, bos_token_id, 1000", "gpt-neo, pad_token_id, 1000", "llama, eos_token_id, 1000",
        "bart, decoder_start_token_id, 1000", "bart, forced_bos_token_id, 1000", "bart, forced_eos_token_id, -1",
        "marian, pad_token_id, 1000", "t5, decoder_start_token_id, 1000", "t5, eos_token_id, 1000",
        "distilbert-mlm, pad_token_id, 2000"})
    void tokenIdsOutsideTheVocabularyAreRefusedByName(String fixture, String key, int value) {
        refusedIn(fixture, key, value, key + " " + value + " is outside the vocabulary");
    }

    @Test
    void aListOfEosIdsIsCheckedIdByIdAndKept() {
        var ids = Gpt2Config.from(with("gpt2", "eos_token_id", JsonParser.parseString("[2, 7]"))).eos_token_id();
        assertEquals(List.of(2L, 7L), ids.ids());
        refused(with("gpt2", "eos_token_id", JsonParser.parseString("[2, 7000]")), "holds 7000");
        refused(with("gpt2", "eos_token_id", JsonParser.parseString("[2, 1.5]")), "key eos_token_id");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "bert-mlm | layer_norm_eps | 0", "bert-mlm | layer_norm_eps | -1e-12", "llama | rms_norm_eps | \"NaN\"",
        "t5 | layer_norm_epsilon | 0", "gpt2 | layer_norm_epsilon | \"Infinity\"", "gpt-neo | layer_norm_epsilon | 0"})
    void epsilonsMustBeFiniteAndPositive(String fixture, String key, String value) {
        refused(with(fixture, key, JsonParser.parseString(value)), key + " must be finite and > 0");
    }

    @ParameterizedTest(name = "{0} {1} = {2}")
    @CsvSource(delimiter = '|', value = {
        "bert-mlm | hidden_size | \"abc\" | key hidden_size: ",
        "bert-mlm | hidden_size | 1.5 | key hidden_size: expected an int but was 1.5",
        "gpt2 | n_embd | 2147483648 | key n_embd: expected an int but was 2147483648",
        "llama | max_position_embeddings | 1e10 | key max_position_embeddings: expected an int but was 1e10",
        "t5 | num_heads | true | key num_heads: ",
        "llama | rope_scaling | \"linear\" | key rope_scaling: ",
        "bart | scale_embedding | 3 | key scale_embedding: ",
        "bert-seqcls | id2label | {\"x\": \"a\"} | key id2label",
        "gpt-neo | attention_types | 5 | key attention_types"})
    void valuesOfTheWrongTypeAreRefusedByKey(String fixture, String key, String value, String message) {
        refused(with(fixture, key, JsonParser.parseString(value)), message);
    }

    @Test
    void sizesWhoseProductsOverflowOrCannotBeAllocatedAreRefused() {
        refusedIn("marian", "max_position_embeddings", Integer.MAX_VALUE,
                "max_position_embeddings 2147483647 x d_model 48 values are more than the 2147483639 a table computed"
                        + " on the heap may hold");
        refused(with(with("bert-mlm", "vocab_size", Integer.MAX_VALUE).json(), "hidden_size", Integer.MAX_VALUE - 3),
                "vocab_size 2147483647 x hidden_size 2147483644 values are more than the 1099511627776");
        refused(with(with("t5", "num_heads", 65536).json(), "d_kv", 65536),
                "num_heads 65536 x d_kv 65536 = 4294967296 is more than a size may be");
        refusedIn("gpt2", "n_embd", 1 << 30, "4 x n_embd 1073741824 = 4294967296 is more than a size may be");
    }

    @Test
    void gptNeoAttentionTypesMustGiveOneKindPerLayerWithoutBeingExpandedFirst() {
        refused(with("gpt-neo", "attention_types", JsonParser.parseString("[[[\"global\"], 2000000000]]")),
                "gives 2000000000 layers, num_layers is 2");
        refused(with("gpt-neo", "attention_types", JsonParser.parseString("[[[\"global\", \"sparse\"], 1]]")),
                "attention_types must be a list");
        refused(with("gpt-neo", "attention_layers", JsonParser.parseString("[\"local\", \"local\"]")),
                "attention_layers [local, local] disagrees");
        refused(with(with("gpt-neo", "num_layers", Integer.MAX_VALUE).json(), "attention_types",
                JsonParser.parseString("[[[\"global\", \"local\"], 1073741823], [[\"global\"], 1]]")),
                "disagrees"); // counted, not expanded: 2^31 - 1 layers checked without allocating them
        refused(with("gpt-neo", "attention_types", JsonParser.parseString("[[[\"global\"], 1.5]]")),
                "attention_types must be a list");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"relative_attention_num_buckets:2:must be >= 4",
        "relative_attention_max_distance:3:must be at least the 16 exact distances",
        "feed_forward_proj:\"gated-gelu-x\":is not ACT or gated-ACT", "feed_forward_proj:\"fast-gelu\":is not ACT",
"dense_act_fn:\"elu\":dense_act_fn elu"})
    void t5ProjectionsAndBucketsAreChecked(String keyValueMessage) {
        String[] p = keyValueMessage.split(":", 3);
        refused(with("t5", p[0], JsonParser.parseString(p[1])), p[2]);
    }

    @Test
    void familySpecificRefusals() {
        refused(with("roberta-mlm", "pad_token_id", JsonParser.parseString("null")), "pad_token_id must be set");
        refusedIn("roberta-mlm", "max_position_embeddings", 2, "leaves no position after pad_token_id 1");
        refused(with("bert-mlm", "position_embedding_type", JsonParser.parseString("\"relative_key\"")),
                "position_embedding_type relative_key is not supported");
        refused(with("bert-mlm", "hidden_act", JsonParser.parseString("\"mish\"")),
                "hidden_act mish is not a supported activation");
        refused(with("gpt2", "add_cross_attention", JsonParser.parseString("true")), "add_cross_attention true");
        refused(with("bert-seqcls", "id2label", JsonParser.parseString("{\"0\": \"a\", \"2\": \"b\"}")),
                "id2label must have the keys 0 .. 1");
        refused(with("llama", "rope_parameters", JsonParser.parseString("{\"rope_type\": \"yarn\"}")),
                "rope type yarn is not supported");
    }

    @Test
    void errorsNameTheFileAndAreCheckpointExceptions() {
        var e = assertThrows(CheckpointException.class, () -> ModelRegistry.readConfig(with("bert-mlm",
                "num_attention_heads", 0)));
        assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
        assertInstanceOf(IllegalArgumentException.class, e);
        ModelConfig fromFile = ModelConfig.read(Fixtures.model("t5").resolve("config.json"));
        assertTrue(ModelRegistry.readConfig(fromFile).specialTokens().eos().contains(1L));
    }

    static ModelConfig fixture(String name) {
        return ModelConfig.read(Fixtures.model(name).resolve("config.json"));
    }

    static ModelConfig config(String json) {
        return ModelConfig.parse(json, "config.json");
    }

    /** The fixture's config.json with key set to value. */
    static ModelConfig with(String fixture, String key, JsonElement value) {
        return with(fixture(fixture).json(), key, value);
    }

    static ModelConfig with(String fixture, String key, long value) {
        return with(fixture(fixture).json(), key, JsonParser.parseString(Long.toString(value)));
    }

    static ModelConfig with(JsonObject json, String key, long value) {
        return with(json, key, JsonParser.parseString(Long.toString(value)));
    }

    static ModelConfig with(JsonObject json, String key, JsonElement value) {
        JsonObject copy = json.deepCopy();
        copy.add(key, value);
        return config(copy.toString());
    }

    static void refusedIn(String fixture, String key, long value, String message) {
        refused(with(fixture, key, value), message);
    }

    static void refused(ModelConfig config, String message) {
        var e = assertThrows(CheckpointException.class, () -> ModelRegistry.readConfig(config));
        assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }

    static void refused(String json, String message) {
        refused(config(json), message);
    }
}
