package org.transformers4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.generation.CausalSession;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.generation.Seq2SeqSession;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.model.Seq2SeqCache;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.tokenizer.Tokenizer;

/**
 * Every closeable of the public API closes idempotently, and a call after close fails with
 * IllegalStateException naming what is closed, before any native code runs.
 */
class LifecycleTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    static void assertClosed(String what, Executable call) {
        var e = assertThrows(IllegalStateException.class, call);
        assertEquals(what + " is closed", e.getMessage());
    }

    @Test
    void tokenizer() {
        Tokenizer t = PipelinesTest.wordTokenizer();
        t.close();
        t.close();
        assertClosed("tokenizer", () -> t.encode("paris"));
        assertClosed("tokenizer", () -> t.encode("paris", "france"));
        assertClosed("tokenizer", () -> t.decode(new long[] {5}, true));
        assertClosed("tokenizer", () -> t.encodeBatch(List.of("paris")));
        assertClosed("tokenizer", () -> t.withTruncation(4));
    }

    @Test
    void encoderModel() {
        EncoderModel m = ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu);
        String what = "model " + m.config().source();
        m.close();
        m.close();
        try (TensorArena out = TensorArena.confined()) {
            assertClosed(what, () -> m.forward(new EncoderInput(1, 2, new long[] {2, 3}, null, null), false, out));
        }
    }

    @Test
    void decoderModelAndItsCache() {
        DecoderModel m = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
        String what = "model " + m.config().source();
        KvCache cache = m.newCache(1, 8);
        cache.close();
        cache.close();
        try (TensorArena out = TensorArena.confined()) {
            assertClosed("KV cache", () -> m.decodeStep(DecoderInput.of(1, 1, new long[] {5}), cache, out));
            assertClosed("KV cache", () -> cache.reorder(new int[] {0}));
            m.close();
            m.close();
            assertClosed(what, () -> m.newCache(1, 8));
            try (KvCache other = new KvCache(cpu, 2, 1, 4, 2, 8)) {
                assertClosed(what, () -> m.decodeStep(DecoderInput.of(1, 1, new long[] {5}), other, out));
            }
        }
    }

    @Test
    void seq2seqModelCacheAndSession() {
        Seq2SeqModel m = ModelRegistry.loadSeq2Seq(Fixtures.model("t5"), cpu);
        String what = "model " + m.config().source();
        EncoderInput source = new EncoderInput(1, 3, new long[] {5, 6, 7}, null, null);
        Seq2SeqCache cache = m.encodeToCache(source, 4);
        cache.close();
        cache.close();
        try (TensorArena out = TensorArena.confined()) {
            assertClosed("encoder-decoder cache", () -> m.decodeStep(DecoderInput.of(1, 1, new long[] {0}), cache, out));
            assertClosed("encoder-decoder cache", () -> cache.reorder(new int[] {0}));
            Seq2SeqSession session = new Seq2SeqSession(m, List.of(new long[] {5, 6, 7}), new int[] {0}, 0, 0, 3);
            session.close();
            session.close();
            assertClosed("encoder-decoder cache", session::start);
            m.close();
            m.close();
            assertClosed(what, () -> m.encode(source, false, out));
            assertClosed(what, () -> m.encodeToCache(source, 4));
        }
    }

    @Test
    void causalSession() {
        try (DecoderModel m = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu)) {
            CausalSession s = new CausalSession(m, List.of(new long[] {5, 6}), 0, 3);
            s.start();
            s.close();
            s.close();
            assertClosed("KV cache", () -> s.next(new long[] {7}));
        }
    }

    @Test
    void pipelines() {
        GenerationConfig three = GenerationConfig.defaults().withMaxNewTokens(3);
        FillMask fm = new FillMask(ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu),
                PipelinesTest.wordTokenizer(), "[MASK]");
        TextClassifier tc = new TextClassifier(ModelRegistry.loadEncoder(Fixtures.model("bert-seqcls"), cpu),
                PipelinesTest.wordTokenizer());
        TokenClassifier ner = new TokenClassifier(ModelRegistry.loadEncoder(Fixtures.model("bert-tokcls"), cpu),
                PipelinesTest.wordTokenizer());
        SentenceEmbedder emb = new SentenceEmbedder(ModelRegistry.loadEncoder(Fixtures.model("bert-mlm"), cpu),
                PipelinesTest.wordTokenizer(), true);
        DecoderModel gpt2 = ModelRegistry.loadDecoder(Fixtures.model("gpt2"), cpu);
        TextGenerator gen = new TextGenerator(gpt2, PipelinesTest.wordTokenizer(), three);
        Text2TextGenerator t2t = new Text2TextGenerator(ModelRegistry.loadSeq2Seq(Fixtures.model("t5"), cpu),
                PipelinesTest.wordTokenizer(), three);
        for (AutoCloseable p : List.<AutoCloseable>of(fm, tc, ner, emb, gen, t2t)) {
            assertTrue(closeTwice(p));
        }
        assertClosed("FillMask", () -> fm.fill("paris is the [MASK]", 2));
        assertClosed("TextClassifier", () -> tc.classify("paris"));
        assertClosed("TokenClassifier", () -> ner.entities("john smith"));
        assertClosed("SentenceEmbedder", () -> emb.embed("paris"));
        assertClosed("SentenceEmbedder", () -> emb.embed(List.of("paris", "france")));
        assertClosed("SentenceEmbedder", () -> emb.tokenVectors("paris"));
        assertClosed("TextGenerator", () -> gen.generate("paris"));
        assertClosed("Text2TextGenerator", () -> t2t.generate("paris"));
        assertClosed("model " + gpt2.config().source(), () -> gpt2.newCache(1, 2));
    }

    private static boolean closeTwice(AutoCloseable p) {
        try {
            p.close();
            p.close();
            return true;
        } catch (Exception e) {
            throw new AssertionError(p + ": " + e, e);
        }
    }
}
