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
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.verify.ParityCheck;

/**
 * The encoder-decoder fixtures (BART, T5, T5 gated, Marian, mBART, Pegasus): encoder and decoder hidden states
 * and logits within 1e-4 of Hugging Face, and decoding step by step through the caches equal to
 * the teacher-forced pass.
 */
class Seq2SeqFixturesTest {
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
    @ValueSource(strings = {"bart", "t5", "t5-gated", "marian", "mbart", "pegasus"})
    void forwardMatchesTransformers(String name) {
        Path dir = Fixtures.model(name);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, cpu)) {
            List<ParityCheck.Result> results = ParityCheck.seq2seq(model, dir.resolve("reference.safetensors"));
            Fixtures.assertParity(name, results, 7, BOUND);
        }
    }

    /** One target token at a time, with the self-attention cache and the cached cross keys. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bart", "t5", "t5-gated", "marian", "mbart", "pegasus"})
    void incrementalDecodingMatchesTheFullPass(String name) {
        Path dir = Fixtures.model(name);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
            int t = (int) ref.shape("decoder_input_ids").dim(1);
            long[] mask = ref.loadLongs("attention_mask"), target = ref.loadLongs("decoder_input_ids");
            var source = new EncoderInput(b, s, ref.loadLongs("input_ids"), mask, null);
            float[] want = model.forward(source, DecoderInput.of(b, t, target), false, arena).decoder().logits()
                    .toFloatArray();
            var encoded = model.encode(source, false, arena).lastHiddenState();
            int v = model.vocabSize();
            try (Seq2SeqCache cache = model.newCache(encoded, mask, t)) {
                for (int step = 0; step < t; step++) {
                    long[] tokens = new long[b];
                    for (int r = 0; r < b; r++) {
                        tokens[r] = target[r * t + step];
                    }
                    float[] got = model.decode(DecoderInput.of(b, 1, tokens), cache, false, true, arena).logits()
                            .toFloatArray();
                    for (int r = 0; r < b; r++) {
                        double err = 0, mag = 0;
                        for (int j = 0; j < v; j++) {
                            float w = want[(r * t + step) * v + j];
                            err = Math.max(err, Math.abs(got[r * v + j] - w));
                            mag = Math.max(mag, Math.abs(w));
                        }
                        assertTrue(err / mag <= BOUND, name + " step " + step + " row " + r + ": " + err / mag);
                    }
                }
            }
        }
    }
}
