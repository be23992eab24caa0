package org.transformers4j.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tensor.TensorArena;

/**
 * Rope scaling (linear, llama3): the inverse frequencies as transformers computes them, and the
 * model using them. The llama fixture has the default rotary embedding; a scaling that leaves
 * every frequency as it is must give its logits bit for bit, and one that changes them must not.
 */
class RopeScalingTest {
    // Llama 3.2 1B's rotary settings
    static final int DIM = 64;
    static final double THETA = 500000, FACTOR = 32, LOW = 1, HIGH = 4, ORIGINAL = 8192;
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @Test
    void defaultFrequenciesAreTheFloat32Powers() {
        float[] inv = RopeFrequencies.standard(10000, 12);
        assertEquals(6, inv.length);
        assertEquals(1.0f, inv[0]);
        for (int i = 0; i < inv.length; i++) {
            assertEquals(Math.pow(10000, -2.0 * i / 12), inv[i], 2e-7 * inv[i], "i = " + i);
        }
    }

    @Test
    void llama3KeepsShortWavelengthsDividesLongOnesAndBlendsBetween() {
        float[] inv = RopeFrequencies.standard(THETA, DIM);
        float[] scaled = RopeFrequencies.llama3(inv, FACTOR, LOW, HIGH, ORIGINAL);
        int kept = 0, divided = 0, blended = 0;
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen < ORIGINAL / HIGH) {
                assertEquals(inv[i], scaled[i], "i = " + i);
                kept++;
            } else if (wavelen > ORIGINAL / LOW) {
                assertEquals(inv[i] / (float) FACTOR, scaled[i], "i = " + i);
                divided++;
            } else {
                double smooth = (ORIGINAL / wavelen - LOW) / (HIGH - LOW);
                double want = (1 - smooth) * inv[i] / FACTOR + smooth * inv[i];
                assertEquals(want, scaled[i], 1e-6 * want, "i = " + i);
                assertTrue(scaled[i] < inv[i] && scaled[i] > inv[i] / FACTOR, "i = " + i);
                blended++;
            }
        }
        // all three regimes occur at these settings: 0..14 kept, 15..17 blended, 18..31 divided
        assertEquals(15, kept);
        assertEquals(3, blended);
        assertEquals(14, divided);
    }

    @Test
    void configFormatsOfTransformers4And5() {
        var v4 = "{\"rope_theta\": 500000.0, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}";
        float[] linear = frequencies(v4);
        float[] standard = RopeFrequencies.standard(THETA, DIM);
        for (int i = 0; i < standard.length; i++) {
            assertEquals(standard[i] / 2, linear[i]);
        }
        var v5 = "{\"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000.0, \"factor\": 32.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}";
        assertArrayEquals(RopeFrequencies.llama3(standard, FACTOR, LOW, HIGH, ORIGINAL), frequencies(v5));
        var v4Llama3 = "{\"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 32.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}";
        assertArrayEquals(frequencies(v5), frequencies(v4Llama3));
        assertArrayEquals(RopeFrequencies.standard(10000, DIM), frequencies("{}"));
    }

    @Test
    void unsupportedOrIncompleteScalingIsRefusedByName() {
        var yarn = "{\"rope_parameters\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}";
        var e = assertThrows(CheckpointException.class, () -> frequencies(yarn));
        assertTrue(e.getMessage().contains("rope type yarn is not supported"), e.getMessage());
        var noLow = "{\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192}}";
        e = assertThrows(CheckpointException.class, () -> frequencies(noLow));
        assertTrue(e.getMessage().contains("needs low_freq_factor"), e.getMessage());
        var zero = "{\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 0}}";
        e = assertThrows(CheckpointException.class, () -> frequencies(zero));
        assertTrue(e.getMessage().contains("factor must be finite and > 0"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> frequencies("{\"head_dim\": 7}"));
        assertTrue(e.getMessage().contains("must be even"), e.getMessage());
    }

    @Test
    void aScalingThatChangesNoFrequencyGivesTheFixturesLogitsExactly() {
        // the fixture's longest wavelength is about 13,600 positions, below 10^6 / 4
        float[] plain = logits(null);
        assertArrayEquals(plain, logits("{\"rope_type\": \"llama3\", \"rope_theta\": 10000.0, \"factor\": 8.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 1000000}"));
        assertArrayEquals(plain, logits("{\"rope_type\": \"linear\", \"rope_theta\": 10000.0, \"factor\": 1.0}"));
        float[] scaled = logits("{\"rope_type\": \"llama3\", \"rope_theta\": 10000.0, \"factor\": 8.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}");
        assertFalse(Arrays.equals(plain, scaled), "llama3 scaling with a 16-position original context changed nothing");
    }

    /** The llama fixture's logits for a fixed prompt, with ropeParameters (JSON) replacing its own, or as it is. */
    private static float[] logits(String ropeParameters) {
        Path dir = Fixtures.model("llama");
        JsonObject json = ModelConfig.read(dir.resolve("config.json")).json();
        if (ropeParameters != null) {
            json.add("rope_parameters", JsonParser.parseString(ropeParameters));
        }
        ModelConfig config = ModelConfig.parse(json.toString(), "llama with rope_parameters " + ropeParameters);
        try (DecoderModel model = ModelRegistry.loadDecoder(config, Checkpoints.open(dir), cpu);
             TensorArena arena = TensorArena.confined()) {
            long[] ids = {1, 17, 423, 99, 5, 871, 2, 64, 300, 12, 7, 999};
            long[] mask = new long[ids.length];
            Arrays.fill(mask, 1);
            return model.forward(new DecoderInput(1, ids.length, ids, mask, null), false, arena).logits().toFloatArray();
        }
    }

    /** A Llama config of the defaults with head_dim DIM and these keys: read, checked, its frequencies. */
    private static float[] frequencies(String keys) {
        JsonObject json = JsonParser.parseString("{\"model_type\": \"llama\", \"head_dim\": " + DIM + "}").getAsJsonObject();
        JsonParser.parseString(keys).getAsJsonObject().entrySet().forEach(e -> json.add(e.getKey(), e.getValue()));
        LlamaConfig cfg = LlamaConfig.from(ModelConfig.parse(json.toString(), "test config " + keys));
        return RopeFrequencies.of(cfg.rope(), cfg.headDim());
    }
}
