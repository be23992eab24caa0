package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.verify.ParityCheck;

/**
 * The decoder fixtures (GPT-2, GPT-Neo, Llama; Hugging Face outputs in float64 from the same
 * float32 weights): hidden states and logits within 1e-4 at real positions, and incremental
 * decoding through the KV cache equal to full passes.
 */
class DecoderFixturesTest {
    static final double BOUND = 1e-4;
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt-neo", "llama", "qwen2", "gemma", "phi3"})
    void forwardMatchesTransformers(String name) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu)) {
            List<ParityCheck.Result> results = ParityCheck.decoder(model, dir.resolve("reference.safetensors"));
            Fixtures.assertParity(name, results, 4, BOUND);
        }
    }

    /**
     * Feeds the reference batch (second row right-padded) one token at a time through the cache
     * and compares each step's logits with the full pass at that position.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt-neo", "llama", "qwen2", "gemma", "phi3"})
    void incrementalDecodingMatchesFullPass(String name) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
            long[] ids = ref.loadLongs("input_ids"), mask = ref.loadLongs("attention_mask");
            var full = model.forward(new DecoderInput(b, s, ids, mask, null), false, arena).logits();
            int v = model.vocabSize();
            float[] want = full.toFloatArray();
            try (KvCache cache = model.newCache(b, s)) {
                for (int t = 0; t < s; t++) {
                    long[] step = new long[b], stepMask = new long[b * (t + 1)];
                    for (int r = 0; r < b; r++) {
                        step[r] = ids[r * s + t];
                        System.arraycopy(mask, r * s, stepMask, r * (t + 1), t + 1);
                    }
                    float[] got = model.forward(new DecoderInput(b, 1, step, stepMask, null), cache, false, true, arena)
                            .logits().toFloatArray();
                    for (int r = 0; r < b; r++) {
                        if (mask[r * s + t] == 0) {
                            continue;
                        }
                        double err = 0, mag = 0;
                        for (int j = 0; j < v; j++) {
                            err = Math.max(err, Math.abs(got[r * v + j] - want[(r * s + t) * v + j]));
                            mag = Math.max(mag, Math.abs(want[(r * s + t) * v + j]));
                        }
                        assertTrue(err / mag <= BOUND, name + " step " + t + " row " + r + ": relative error "
                                + err / mag);
                    }
                }
                assertEquals(s, cache.length());
            }
        }
    }
}
