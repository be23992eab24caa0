package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.nn.KvCache;
import org.transformers4j.tensor.Shape;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * output_attentions: the probabilities of BERT against those transformers computes (float64,
 * eager attention), T5's first layer against its definition recomputed here; for decoders (causal,
 * grouped-query, sliding window), ModernBERT (band) and encoder-decoders (encoder, decoder and
 * cross-attention) probabilities whose rows sum to 1, that see no hidden key, and whose P·V gives
 * the fused kernels' hidden states.
 */
class AttentionMapsTest {
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
    void bertProbabilitiesMatchTransformersAtRealQueries() {
        Path dir = Fixtures.model("bert-mlm");
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             SafeTensors want = SafeTensors.open(dir.resolve("attentions.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
            long[] mask = ref.loadLongs("attention_mask");
            EncoderInput in = new EncoderInput(b, s, ref.loadLongs("input_ids"), mask, ref.loadLongs("token_type_ids"));
            EncoderOutput unfused = model.forward(in, true, true, arena);
            EncoderOutput fused = model.forward(in, true, arena);
            assertEquals(fused.hiddenStates().size() - 1, unfused.attentions().size());
            for (int l = 0; l < unfused.attentions().size(); l++) {
                Tensor got = unfused.attentions().get(l), expected = want.load("attentions." + l, arena);
                assertEquals(expected.shape(), got.shape(), "attentions." + l);
                double err = relativeError(got.toFloatArray(), expected.toFloatArray(), mask, b, (int) got.dim(1), s);
                System.out.printf("bert-mlm attentions.%d relative error %.2e%n", l, err);
                assertTrue(err <= 1e-4, "attentions." + l + ": relative error " + err);
            }
            assertSameHiddenStates("bert-mlm", fused.hiddenStates(), unfused.hiddenStates(), mask, s);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt2, 0", "llama, 0", "gpt-neo, 4"})
    void decoderProbabilitiesAreCausalRowsOfOneThatGiveTheFusedHiddenStates(String name, int window) {
        Path dir = Fixtures.model(name);
        try (DecoderModel model = ModelRegistry.loadDecoder(dir, cpu);
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
            long[] mask = ref.loadLongs("attention_mask");
            DecoderInput in = new DecoderInput(b, s, ref.loadLongs("input_ids"), mask, null);
            DecoderOutput fused = model.forward(in, true, arena);
            DecoderOutput unfused;
            try (KvCache cache = model.newCache(b, s)) {
                unfused = model.forward(in, cache, true, false, true, arena);
            }
            assertEquals(fused.hiddenStates().size() - 1, unfused.attentions().size());
            for (int l = 0; l < unfused.attentions().size(); l++) {
                Tensor p = unfused.attentions().get(l);
                int h = (int) p.dim(1);
                assertEquals(List.of((long) b, (long) h, (long) s, (long) s), List.of(p.dim(0), p.dim(1), p.dim(2),
                        p.dim(3)));
                assertCausalRowsOfOne(name + " layer " + l, p.toFloatArray(), mask, b, h, s,
                        name.equals("gpt-neo") && l % 2 == 1 ? window : 0);
            }
            assertSameHiddenStates(name, fused.hiddenStates(), unfused.hiddenStates(), mask, s);
        }
    }

    /**
     * On a backend whose tensors are device memory (no host read of them allowed), with a mask
     * that is not one range per row (an additive bias) under GPT-Neo's window: the same
     * probabilities as on the CPU, and the fused kernel's hidden states.
     */
    @Test
    void aHoleyMaskUnderAWindowOnTheSimulatedGpuGivesTheCpusProbabilities() {
        Path dir = Fixtures.model("gpt-neo");
        int b = 2, s = 9;
        long[] ids = new long[b * s], mask = new long[b * s];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 5 + (i * 37) % 300;
            mask[i] = i % s == 3 || i == s + 6 ? 0 : 1;
        }
        DecoderInput in = new DecoderInput(b, s, ids, mask, null);
        try (SimulatedGpuBackend gpu = SimulatedGpuBackend.create();
             DecoderModel onGpu = ModelRegistry.loadDecoder(dir, gpu);
             DecoderModel onCpu = ModelRegistry.loadDecoder(dir, cpu);
             TensorArena arena = TensorArena.confined()) {
            DecoderOutput fused = onCpu.forward(in, true, arena);
            DecoderOutput cpuMaps, gpuMaps;
            try (KvCache cache = onCpu.newCache(b, s)) {
                cpuMaps = onCpu.forward(in, cache, true, false, true, arena);
            }
            try (KvCache cache = onGpu.newCache(b, s)) {
                gpuMaps = onGpu.forward(in, cache, true, false, true, arena);
            }
            for (int l = 0; l < cpuMaps.attentions().size(); l++) {
                float[] want = cpuMaps.attentions().get(l).toFloatArray();
                float[] got = gpuMaps.attentions().get(l).toFloatArray();
                assertEquals(want.length, got.length);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-6, "layer " + l + " [" + i + "]");
                }
                assertCausalRowsOfOne("gpt-neo holey layer " + l, want, mask, b, (int) cpuMaps.attentions().get(l)
                        .dim(1), s, l % 2 == 1 ? 4 : 0);
            }
            assertSameHiddenStates("gpt-neo holey", fused.hiddenStates(), cpuMaps.hiddenStates(), mask, s);
            assertSameHiddenStates("gpt-neo holey (simulated GPU)", fused.hiddenStates(), gpuMaps.hiddenStates(), mask,
                    s);
        }
    }

    /**
     * ModernBERT: global layers see every real key, the sliding layer only keys within
     * local_attention / 2 positions (transformers' sliding_window_mask); P·V gives the fused
     * kernels' hidden states, the band's two fused calls included.
     */
    @Test
    void modernBertProbabilitiesKeepTheBandAndGiveTheFusedHiddenStates() {
        Path dir = Fixtures.model("modernbert-mlm");
        int half = 4; // local_attention 8 in the fixture's config; layer 1 is its sliding layer
        int b = 2, s = 13;
        long[] ids = new long[b * s], mask = new long[b * s];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 7 + (i * 53) % 400;
            mask[i] = i >= s + 10 || i == 5 ? 0 : 1; // a short second row, and a hole in the first
        }
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu); TensorArena arena = TensorArena.confined()) {
            EncoderInput in = new EncoderInput(b, s, ids, mask, null);
            EncoderOutput unfused = model.forward(in, true, true, arena);
            EncoderOutput fused = model.forward(in, true, arena);
            assertEquals(3, unfused.attentions().size());
            for (int l = 0; l < 3; l++) {
                Tensor p = unfused.attentions().get(l);
                int h = (int) p.dim(1);
                assertEquals(Shape.of(b, 4, s, s), p.shape(), "layer " + l);
                boolean sliding = l == 1;
                assertRowsOfOne("modernbert layer " + l, p.toFloatArray(), mask, mask, b, h, s, s,
                        (i, j) -> !sliding || Math.abs(i - j) <= half);
            }
            assertSameHiddenStates("modernbert", fused.hiddenStates(), unfused.hiddenStates(), mask, s);
        }
    }

    /**
     * Encoder-decoders: the encoder's probabilities see every real source key, the decoder's its
     * earlier targets, its cross-attention every real source key; every row sums to 1, and the
     * unfused pass gives the fused one's hidden states and logits (T5's position bias included).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bart", "t5", "t5-gated", "marian", "mbart", "pegasus"})
    void seq2seqProbabilitiesAreRowsOfOneThatGiveTheFusedPass(String name) {
        Path dir = Fixtures.model(name);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, cpu); TensorArena arena = TensorArena.confined()) {
            Pair pair = Pair.of(dir);
            var source = pair.source();
            var target = pair.target();
            int b = source.batch(), s = source.seq(), t = target.seq();
            long[] mask = source.attentionMask(), all = new long[b * t];
            java.util.Arrays.fill(all, 1);
            Seq2SeqOutput fused = model.forward(source, target, true, arena);
            Seq2SeqOutput unfused = model.forward(source, target, true, true, arena);
            List<Tensor> enc = unfused.encoder().attentions(), self = unfused.decoder().attentions();
            List<Tensor> cross = unfused.decoder().crossAttentions();
            assertEquals(fused.encoder().hiddenStates().size() - 1, enc.size());
            assertEquals(fused.decoder().hiddenStates().size() - 1, self.size());
            assertEquals(self.size(), cross.size());
            for (int l = 0; l < enc.size(); l++) {
                Tensor p = enc.get(l);
                assertEquals(Shape.of(b, p.dim(1), s, s), p.shape());
                assertRowsOfOne(name + " encoder layer " + l, p.toFloatArray(), mask, mask, b, (int) p.dim(1), s, s,
                        (i, j) -> true);
            }
            for (int l = 0; l < self.size(); l++) {
                Tensor p = self.get(l), c = cross.get(l);
                int h = (int) p.dim(1);
                assertEquals(Shape.of(b, h, t, t), p.shape());
                assertEquals(Shape.of(b, h, t, s), c.shape());
                assertRowsOfOne(name + " decoder layer " + l, p.toFloatArray(), all, all, b, h, t, t, (i, j) -> j <= i);
                assertRowsOfOne(name + " cross layer " + l, c.toFloatArray(), all, mask, b, h, t, s, (i, j) -> true);
            }
            assertSameHiddenStates(name + " encoder", fused.encoder().hiddenStates(),
                    unfused.encoder().hiddenStates(), mask, s);
            assertSameHiddenStates(name + " decoder", fused.decoder().hiddenStates(),
                    unfused.decoder().hiddenStates(), all, t);
            assertSameHiddenStates(name + " logits", List.of(fused.decoder().logits()),
                    List.of(unfused.decoder().logits()), all, t);
        }
    }

    /**
     * Decoding one target token at a time through the caches: each step's self-attention
     * probabilities [B, H, 1, i + 1] and cross-attention [B, H, 1, T] are row i of the
     * teacher-forced pass's.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t5", "bart"})
    void stepByStepDecodingGivesTheRowsOfTheWholePass(String name) {
        Path dir = Fixtures.model(name);
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, cpu); TensorArena arena = TensorArena.confined()) {
            Pair pair = Pair.of(dir);
            var source = pair.source();
            int b = source.batch(), s = source.seq(), t = pair.target().seq();
            long[] target = pair.target().ids();
            DecoderOutput whole = model.forward(source, DecoderInput.of(b, t, target), false, true, arena).decoder();
            try (Seq2SeqCache cache = model.encodeToCache(source, t)) {
                for (int step = 0; step < t; step++) {
                    long[] tokens = new long[b];
                    for (int r = 0; r < b; r++) {
                        tokens[r] = target[r * t + step];
                    }
                    DecoderOutput one = model.decode(DecoderInput.of(b, 1, tokens), cache, false, true, true, arena);
                    for (int l = 0; l < whole.attentions().size(); l++) {
                        assertRow(whole.attentions().get(l), one.attentions().get(l), step, step + 1,
                                name + " self layer " + l + " step " + step);
                        assertRow(whole.crossAttentions().get(l), one.crossAttentions().get(l), step, s,
                                name + " cross layer " + l + " step " + step);
                    }
                }
            }
        }
    }

    /**
     * got [B, H, 1, keys] equals row `row` of all [B, H, S, T] over its first keys (1e-5: products over
     * one row or many round differently).
     */
    private static void assertRow(Tensor all, Tensor got, int row, int keys, String what) {
        int b = (int) all.dim(0), h = (int) all.dim(1), s = (int) all.dim(2), t = (int) all.dim(3);
        assertEquals(Shape.of(b, h, 1, keys), got.shape(), what);
        float[] a = all.toFloatArray(), g = got.toFloatArray();
        for (int bh = 0; bh < b * h; bh++) {
            for (int j = 0; j < keys; j++) {
                assertEquals(a[(bh * s + row) * t + j], g[bh * keys + j], 1e-5, what + " [" + bh + ", " + j + "]");
            }
        }
    }

    /** T5 on a backend whose tensors are device memory: the position bias built there, the CPU's probabilities. */
    @Test
    void t5OnTheSimulatedGpuGivesTheCpusProbabilities() {
        Path dir = Fixtures.model("t5");
        try (SimulatedGpuBackend gpu = SimulatedGpuBackend.create();
             Seq2SeqModel onGpu = ModelRegistry.loadSeq2Seq(dir, gpu);
             Seq2SeqModel onCpu = ModelRegistry.loadSeq2Seq(dir, cpu);
             TensorArena arena = TensorArena.confined()) {
            Pair pair = Pair.of(dir);
            var source = pair.source();
            var target = pair.target();
            Seq2SeqOutput want = onCpu.forward(source, target, false, true, arena);
            Seq2SeqOutput got = onGpu.forward(source, target, false, true, arena);
            List<List<Tensor>> wanted = List.of(want.encoder().attentions(), want.decoder().attentions(),
                    want.decoder().crossAttentions());
            List<List<Tensor>> gotten = List.of(got.encoder().attentions(), got.decoder().attentions(),
                    got.decoder().crossAttentions());
            for (int kind = 0; kind < 3; kind++) {
                assertEquals(wanted.get(kind).size(), gotten.get(kind).size());
                for (int l = 0; l < wanted.get(kind).size(); l++) {
                    float[] w = wanted.get(kind).get(l).toFloatArray(), g = gotten.get(kind).get(l).toFloatArray();
                    assertEquals(w.length, g.length);
                    for (int i = 0; i < w.length; i++) {
                        // the device's products run other kernels than the CPU's packed ones: last bits
                        assertEquals(w[i], g[i], 1e-5, "kind " + kind + " layer " + l + " [" + i + "]");
                    }
                }
            }
        }
    }

    /**
     * T5's first encoder layer recomputed here from its weights, as transformers' T5Attention
     * does: RMS norm, q and k projections, scores q k^T (no scaling) plus the bucketed relative
     * position bias and the padding mask, softmax.
     */
    @Test
    void t5FirstLayerProbabilitiesMatchTheirDefinition() {
        Path dir = Fixtures.model("t5");
        int heads = 4, dk = 12, c = 48, buckets = 32, maxDistance = 128;
        try (Seq2SeqModel model = ModelRegistry.loadSeq2Seq(dir, cpu);
             SafeTensors w = SafeTensors.open(dir.resolve("model.safetensors"));
             SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             TensorArena arena = TensorArena.confined()) {
            int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
            long[] ids = ref.loadLongs("input_ids"), mask = ref.loadLongs("attention_mask");
            float[] got = model.encode(new EncoderInput(b, s, ids, mask, null), false, true, arena).attentions().get(0)
                    .toFloatArray();
            String a = "encoder.block.0.layer.0.";
            float[] table = w.load("shared.weight", arena).toFloatArray();
            float[] norm = w.load(a + "layer_norm.weight", arena).toFloatArray();
            float[] wq = w.load(a + "SelfAttention.q.weight", arena).toFloatArray();
            float[] wk = w.load(a + "SelfAttention.k.weight", arena).toFloatArray();
            float[] rel = w.load(a + "SelfAttention.relative_attention_bias.weight", arena).toFloatArray();
            double err = 0;
            for (int bi = 0; bi < b; bi++) {
                double[][] q = new double[s][], k = new double[s][];
                for (int i = 0; i < s; i++) {
                    double[] x = rmsNormed(table, (int) ids[bi * s + i], norm, c, 1e-6);
                    q[i] = project(wq, x, heads * dk);
                    k[i] = project(wk, x, heads * dk);
                }
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < s; i++) {
                        if (mask[bi * s + i] == 0) {
                            continue;
                        }
                        double[] scores = new double[s];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < s; j++) {
                            double dot = 0;
                            for (int d = 0; d < dk; d++) {
                                dot += q[i][h * dk + d] * k[j][h * dk + d];
                            }
                            scores[j] = mask[bi * s + j] == 0 ? Double.NEGATIVE_INFINITY
                                    : dot + rel[t5Bucket(j - i, buckets, maxDistance) * heads + h];
                            max = Math.max(max, scores[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < s; j++) {
                            scores[j] = Math.exp(scores[j] - max);
                            sum += scores[j];
                        }
                        for (int j = 0; j < s; j++) {
                            err = Math.max(err, Math.abs(scores[j] / sum - got[((bi * heads + h) * s + i) * s + j]));
                        }
                    }
                }
            }
            System.out.printf("t5 encoder attentions.0 max error %.2e%n", err);
            assertTrue(err <= 1e-5, "t5 encoder layer 0 probabilities differ by " + err);
        }
    }

    /** transformers' _relative_position_bucket, bidirectional, for relative = key - query. */
    private static int t5Bucket(int relative, int buckets, int maxDistance) {
        int half = buckets / 2, result = relative > 0 ? half : 0, n = Math.abs(relative), maxExact = half / 2;
        if (n < maxExact) {
            return result + n;
        }
        double large = maxExact + Math.log((double) n / maxExact) / Math.log((double) maxDistance / maxExact)
                * (half - maxExact);
        return result + Math.min((int) large, half - 1);
    }

    /** Row id of the table [V, c], scaled by its root mean square (T5LayerNorm) and the weight. */
    private static double[] rmsNormed(float[] table, int id, float[] weight, int c, double eps) {
        double sq = 0;
        for (int j = 0; j < c; j++) {
            sq += (double) table[id * c + j] * table[id * c + j];
        }
        double inv = 1 / Math.sqrt(sq / c + eps);
        double[] y = new double[c];
        for (int j = 0; j < c; j++) {
            y[j] = table[id * c + j] * inv * weight[j];
        }
        return y;
    }

    /** w [out, x.length] times x. */
    private static double[] project(float[] w, double[] x, int out) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            for (int j = 0; j < x.length; j++) {
                y[o] += w[o * x.length + j] * x[j];
            }
        }
        return y;
    }

    /**
     * Probabilities too large for one array (T5 takes sources of any length) are refused with
     * the sizes named, before they are built; the pass without them still runs.
     */
    @Test
    void probabilitiesTooLargeForAnArrayAreRefusedNamingTheSizes() {
        try (Seq2SeqModel t5 = ModelRegistry.loadSeq2Seq(Fixtures.model("t5"), cpu);
             TensorArena arena = TensorArena.confined()) {
            int s = 23171; // 4 heads x s x s overflows an int
            long[] ids = new long[s];
            java.util.Arrays.fill(ids, 5);
            EncoderInput in = new EncoderInput(1, s, ids, null, null);
            var e = assertThrows(IllegalArgumentException.class, () -> t5.encode(in, false, true, arena));
            assertTrue(e.getMessage().contains("1 x 4 x " + s + " x " + s), e.getMessage());
            var batch = assertThrows(IllegalArgumentException.class, () -> t5.forward(in,
                    DecoderInput.of(2, 1, new long[] {0, 0}), false, true, arena));
            assertEquals("target batch 2 differs from the source batch 1", batch.getMessage());
        }
    }

    /** A model that gives only the plain forward: the interface's default refuses probabilities, naming it. */
    @Test
    void aModelWithoutTheUnfusedPathRefusesNamingItself() {
        Path dir = Fixtures.model("bert-mlm");
        try (EncoderModel inner = ModelRegistry.loadEncoder(dir, cpu); TensorArena arena = TensorArena.confined()) {
            EncoderModel plain = new PlainEncoder(inner);
            EncoderInput in = new EncoderInput(1, 2, new long[] {1, 2}, null, null);
            var e = assertThrows(UnsupportedOperationException.class, () -> plain.forward(in, false, true, arena));
            assertTrue(e.getMessage().contains(inner.config().source().toString()), e.getMessage());
            assertEquals(0, plain.forward(in, false, false, arena).attentions().size());
        }
    }

    /** An encoder-decoder fixture's inputs: the source with its mask, the teacher-forced target. */
    private record Pair(EncoderInput source, DecoderInput target) {
        static Pair of(Path dir) {
            try (SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"))) {
                int b = (int) ref.shape("input_ids").dim(0), s = (int) ref.shape("input_ids").dim(1);
                int t = (int) ref.shape("decoder_input_ids").dim(1);
                return new Pair(new EncoderInput(b, s, ref.loadLongs("input_ids"), ref.loadLongs("attention_mask"), null),
                        DecoderInput.of(b, t, ref.loadLongs("decoder_input_ids")));
            }
        }
    }

    /** Max |got - want| / max |want| over rows [b, h, i, :] whose query i is real. */
    private static double relativeError(float[] got, float[] want, long[] mask, int b, int h, int s) {
        double err = 0, mag = 0;
        for (int i = 0; i < got.length; i++) {
            int row = i / s, query = row % s, batch = row / (h * s);
            if (mask[batch * s + query] == 0) {
                continue;
            }
            err = Math.max(err, Math.abs((double) got[i] - want[i]));
            mag = Math.max(mag, Math.abs(want[i]));
        }
        return err / mag;
    }

    /** Each real query's row sums to 1, and no later key, padded key or key outside the window gets weight. */
    private static void assertCausalRowsOfOne(String what, float[] p, long[] mask, int b, int h, int s, int window) {
        assertRowsOfOne(what, p, mask, mask, b, h, s, s, (i, j) -> j <= i && (window == 0 || i - j < window));
    }

    /** Which keys a query may see besides the key mask. */
    private interface Visible {
        boolean at(int query, int key);
    }

    /**
     * p [b, h, s, t]: each real query's row (queryMask) sums to 1, and keys that keyMask hides or
     * visible does not show get no weight.
     */
    private static void assertRowsOfOne(String what, float[] p, long[] queryMask, long[] keyMask, int b, int h, int s,
                                        int t, Visible visible) {
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                for (int i = 0; i < s; i++) {
                    if (queryMask[bi * s + i] == 0) {
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        float v = p[((bi * h + hi) * s + i) * t + j];
                        if (keyMask[bi * t + j] == 0 || !visible.at(i, j)) {
                            assertEquals(0f, v, what + ": query " + i + " gives key " + j + " weight " + v);
                        }
                        sum += v;
                    }
                    assertEquals(1.0, sum, 1e-5, what + ": row " + bi + "/" + hi + "/" + i);
                }
            }
        }
    }

    /** The unfused pass's hidden states equal the fused kernel's at real positions (1e-5 relative). */
    private static void assertSameHiddenStates(String name, List<Tensor> fused, List<Tensor> unfused, long[] mask,
                                               int s) {
        assertEquals(fused.size(), unfused.size());
        for (int l = 0; l < fused.size(); l++) {
            float[] f = fused.get(l).toFloatArray(), u = unfused.get(l).toFloatArray();
            int c = f.length / mask.length;
            double err = 0, mag = 0;
            for (int i = 0; i < f.length; i++) {
                if (mask[i / c] == 0) {
                    continue;
                }
                err = Math.max(err, Math.abs((double) f[i] - u[i]));
                mag = Math.max(mag, Math.abs(f[i]));
            }
            assertTrue(err / mag <= 1e-5, name + " hidden_states." + l + ": unfused differs by " + err / mag);
        }
    }
}
