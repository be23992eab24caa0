package org.transformers4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.transformers4j.Fixtures;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.checkpoint.SafeTensorsWriter;
import org.transformers4j.tensor.SimulatedGpuBackend;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;
import org.transformers4j.verify.ParityCheck;

/**
 * The heads without a fixture of their own, and XLM-RoBERTa, which has none on purpose. Each
 * head is put on a fixture's encoder (random head weights added to its checkpoint, as the bert-qa
 * fixture was assembled) and its logits are checked against the head's formula in transformers'
 * modeling code, evaluated in double precision on the fixture's last hidden state, which the
 * encoder reproduces within 1e-6.
 */
class EncoderHeadsTest {
    static final double BOUND = 1e-5;
    static CpuBackend cpu;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void open() {
        cpu = CpuBackend.create();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** XLMRobertaForMaskedLM is RobertaForMaskedLM under another model_type and name: the RoBERTa fixture's outputs. */
    @Test
    void xlmRobertaIsRobertasArchitectureUnderItsOwnNames() throws IOException {
        for (String arch : new String[] {"XLMRobertaForMaskedLM", "XLMRobertaModel"}) {
            Path dir = variant("roberta-mlm", arch, Map.of("model_type", "xlm-roberta"), n -> true, Map.of());
            try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu)) {
                assertEquals(arch.endsWith("MaskedLM") ? EncoderModel.Head.MASKED_LM : EncoderModel.Head.NONE,
                        model.head());
                var results = ParityCheck.encoder(model, dir.resolve("reference.safetensors"));
                Fixtures.assertParity("xlm-roberta " + arch, results, arch.endsWith("MaskedLM") ? 4 : 3, 1e-4);
            }
        }
    }

    /** RobertaClassificationHead: out_proj(tanh(dense(h[:, 0]))). */
    @Test
    void robertaAndXlmRobertaSequenceClassification() throws IOException {
        for (String type : new String[] {"roberta", "xlm-roberta"}) {
            String arch = type.equals("roberta") ? "RobertaForSequenceClassification"
                    : "XLMRobertaForSequenceClassification";
            Linear dense = new Linear(48, 48, 5), out = new Linear(3, 48, 6);
            Path dir = variant("roberta-mlm", arch, Map.of("model_type", type, "id2label", labels(3)),
                    n -> !n.startsWith("lm_head."), Map.of("classifier.dense", dense, "classifier.out_proj", out));
            checkFirstToken(dir, EncoderModel.Head.SEQUENCE_CLASSIFICATION, x -> out.apply(tanh(dense.apply(x))));
        }
    }

    /** qa_outputs at every token, [B, S, 2]: BERT (also the fixture), RoBERTa, XLM-R, DistilBERT, ELECTRA. */
    @Test
    void questionAnsweringHeads() throws IOException {
        String[][] cases = {{"roberta-mlm", "roberta", "RobertaForQuestionAnswering", "lm_head."},
            {"roberta-mlm", "xlm-roberta", "XLMRobertaForQuestionAnswering", "lm_head."},
            {"distilbert-mlm", "distilbert", "DistilBertForQuestionAnswering", "vocab_"},
            {"electra-disc", "electra", "ElectraForQuestionAnswering", "classifier."}};
        for (String[] c : cases) {
            Linear qa = new Linear(2, 48, 7);
            Path dir = variant(c[0], c[2], Map.of("model_type", c[1], "id2label", labels(2)),
                    n -> !n.startsWith(c[3]), Map.of("qa_outputs", qa));
            checkPerToken(dir, EncoderModel.Head.QUESTION_ANSWERING, qa::apply);
        }
    }

    /** ElectraDiscriminatorPredictions: dense_prediction(act(dense(h))) with hidden_act, one logit per token. */
    @Test
    void electraDiscriminator() throws IOException {
        Linear dense = new Linear(48, 48, 11), prediction = new Linear(1, 48, 12);
        Path dir = variant("electra-disc", "ElectraForPreTraining", Map.of(), n -> !n.startsWith("classifier."),
                Map.of("discriminator_predictions.dense", dense, "discriminator_predictions.dense_prediction",
                        prediction));
        checkPerToken(dir, EncoderModel.Head.REPLACED_TOKEN_DETECTION, x -> prediction.apply(gelu(dense.apply(x))));
    }

    /** ElectraClassificationHead: out_proj(gelu(dense(h[:, 0]))), GELU whatever hidden_act is. */
    @Test
    void electraSequenceClassification() throws IOException {
        Linear dense = new Linear(48, 48, 13), out = new Linear(3, 48, 14);
        Path dir = variant("electra-disc", "ElectraForSequenceClassification", Map.of(),
                n -> !n.startsWith("classifier."), Map.of("classifier.dense", dense, "classifier.out_proj", out));
        checkFirstToken(dir, EncoderModel.Head.SEQUENCE_CLASSIFICATION, x -> out.apply(gelu(dense.apply(x))));
    }

    /**
     * The generator's head: generator_lm_head(LayerNorm(gelu(dense(h)))) at the embedding width
     * (32), the LM head's weight tied to the word embeddings.
     */
    @Test
    void electraGenerator() throws IOException {
        Linear dense = new Linear(32, 48, 15);
        double[] gamma = random(1, 32, 16)[0], beta = random(1, 32, 17)[0], bias = random(1, 1000, 18)[0];
        for (int i = 0; i < gamma.length; i++) {
            gamma[i] += 1;
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("generator_predictions.dense", dense);
        extra.put("generator_predictions.LayerNorm.weight", gamma);
        extra.put("generator_predictions.LayerNorm.bias", beta);
        extra.put("generator_lm_head.bias", bias);
        Path dir = variant("electra-disc", "ElectraForMaskedLM", Map.of(), n -> !n.startsWith("classifier."), extra);
        Linear lmHead = new Linear(matrix(dir, "electra.embeddings.word_embeddings.weight", 1000, 32), bias);
        checkPerToken(dir, EncoderModel.Head.MASKED_LM,
                x -> lmHead.apply(layerNorm(gelu(dense.apply(x)), gamma, beta, 1e-12)));
    }

    /**
     * ModernBERT's heads: the prediction head norm(gelu(dense(x))) (no biases in this config),
     * then the classifier, on the first token or the mean over the attention mask, or per token.
     */
    @Test
    void modernBertHeads() throws IOException {
        Path fixture = Fixtures.model("modernbert-mlm");
        double[][] headDense = matrix(fixture, "head.dense.weight", 48, 48);
        double[] headNorm = vector(fixture, "head.norm.weight", 48);
        java.util.function.UnaryOperator<double[]> prediction = x -> layerNorm(gelu(
                new Linear(headDense, new double[48]).apply(x)), headNorm, null, 1e-5);
        Linear classifier = new Linear(3, 48, 21);
        for (String pooling : new String[] {"cls", "mean"}) {
            Path dir = variant("modernbert-mlm", "ModernBertForSequenceClassification",
                    Map.of("id2label", labels(3), "classifier_pooling", pooling), n -> !n.startsWith("decoder."),
                    Map.of("classifier", classifier));
            if (pooling.equals("cls")) {
                checkFirstToken(dir, EncoderModel.Head.SEQUENCE_CLASSIFICATION, x -> classifier.apply(prediction.apply(x)));
            } else {
                checkMean(dir, x -> classifier.apply(prediction.apply(x)));
            }
        }
        Path tokens = variant("modernbert-mlm", "ModernBertForTokenClassification", Map.of("id2label", labels(3)),
                n -> !n.startsWith("decoder."), Map.of("classifier", classifier));
        checkPerToken(tokens, EncoderModel.Head.TOKEN_CLASSIFICATION, x -> classifier.apply(prediction.apply(x)));
        Linear qa = new Linear(2, 48, 22);
        Path spans = variant("modernbert-mlm", "ModernBertForQuestionAnswering", Map.of("id2label", labels(2)),
                n -> !n.startsWith("decoder."), Map.of("classifier", qa));
        checkPerToken(spans, EncoderModel.Head.QUESTION_ANSWERING, x -> qa.apply(prediction.apply(x)));
    }

    /**
     * A ModernBERT config in the older keys (global_attn_every_n_layers, global_rope_theta,
     * local_rope_theta; no layer_types, no rope_parameters) means the same model.
     */
    @Test
    void modernBertOlderConfigKeysGiveTheSameModel() throws IOException {
        JsonObject old = JsonParser.parseString(Files.readString(Fixtures.model("modernbert-mlm")
                .resolve("config.json"))).getAsJsonObject();
        old.remove("layer_types");
        old.remove("rope_parameters");
        old.addProperty("global_rope_theta", 160000.0);
        old.addProperty("local_rope_theta", 10000.0);
        Path dir = variant("modernbert-mlm", "ModernBertForMaskedLM", Map.of("__replace__", old), n -> true, Map.of());
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, cpu)) {
            Fixtures.assertParity("modernbert older keys", ParityCheck.encoder(model,
                    dir.resolve("reference.safetensors")), 5, 1e-4);
        }
        // and a different theta is a different model: the keys are read, not ignored
        old.addProperty("local_rope_theta", 500.0);
        Path other = variant("modernbert-mlm", "ModernBertForMaskedLM", Map.of("__replace__", old), n -> true, Map.of());
        try (EncoderModel model = ModelRegistry.loadEncoder(other, cpu)) {
            var logits = ParityCheck.encoder(model, other.resolve("reference.safetensors")).getLast();
            assertTrue(logits.relativeError() > 1e-3, logits.toString());
        }
    }

    // ---- the checks

    private void checkFirstToken(Path dir, EncoderModel.Head kind, java.util.function.UnaryOperator<double[]> head) {
        Reference ref = Reference.of(dir);
        float[] got = logits(dir, kind);
        int n = got.length / ref.b;
        double[] want = new double[got.length];
        for (int b = 0; b < ref.b; b++) {
            System.arraycopy(head.apply(ref.row(b, 0)), 0, want, b * n, n);
        }
        assertClose(dir, got, want, null, n);
    }

    private void checkMean(Path dir, java.util.function.UnaryOperator<double[]> head) {
        Reference ref = Reference.of(dir);
        float[] got = logits(dir, EncoderModel.Head.SEQUENCE_CLASSIFICATION);
        int n = got.length / ref.b;
        double[] want = new double[got.length];
        for (int b = 0; b < ref.b; b++) {
            double[] mean = new double[ref.c];
            int count = 0;
            for (int s = 0; s < ref.s; s++) {
                if (ref.mask[b * ref.s + s] == 1) {
                    count++;
                    double[] r = ref.row(b, s);
                    for (int i = 0; i < ref.c; i++) {
                        mean[i] += r[i];
                    }
                }
            }
            for (int i = 0; i < ref.c; i++) {
                mean[i] /= count;
            }
            System.arraycopy(head.apply(mean), 0, want, b * n, n);
        }
        assertClose(dir, got, want, null, n);
    }

    private void checkPerToken(Path dir, EncoderModel.Head kind, java.util.function.UnaryOperator<double[]> head) {
        Reference ref = Reference.of(dir);
        float[] got = logits(dir, kind);
        int n = got.length / (ref.b * ref.s);
        double[] want = new double[got.length];
        for (int b = 0; b < ref.b; b++) {
            for (int s = 0; s < ref.s; s++) {
                System.arraycopy(head.apply(ref.row(b, s)), 0, want, (b * ref.s + s) * n, n);
            }
        }
        assertClose(dir, got, want, ref.mask, n);
    }

    /** The logits on the CPU, after checking the simulated GPU (device tensors never read on the host) gives them too. */
    private static float[] logits(Path dir, EncoderModel.Head kind) {
        float[] onCpu = logits(dir, kind, cpu);
        try (SimulatedGpuBackend gpu = SimulatedGpuBackend.create()) {
            float[] onGpu = logits(dir, kind, gpu);
            for (int i = 0; i < onCpu.length; i++) {
                assertEquals(onCpu[i], onGpu[i], 1e-5 * (1 + Math.abs(onCpu[i])), dir.getFileName() + " [" + i + "]");
            }
        }
        return onCpu;
    }

    private static float[] logits(Path dir, EncoderModel.Head kind, org.transformers4j.backend.Backend backend) {
        try (EncoderModel model = ModelRegistry.loadEncoder(dir, backend); SafeTensors ref = SafeTensors.open(
                dir.resolve("reference.safetensors")); TensorArena arena = TensorArena.confined()) {
            assertEquals(kind, model.head(), dir.toString());
            var shape = ref.shape("input_ids");
            long[] types = ref.has("token_type_ids") ? ref.loadLongs("token_type_ids") : null;
            var in = new EncoderInput((int) shape.dim(0), (int) shape.dim(1), ref.loadLongs("input_ids"),
                    ref.loadLongs("attention_mask"), types);
            return model.forward(in, false, arena).logits().toFloatArray();
        }
    }

    /** Relative error over rows (of n values) whose mask is 1, all rows without a mask. */
    private static void assertClose(Path dir, float[] got, double[] want, long[] mask, int n) {
        assertEquals(want.length, got.length);
        double err = 0, mag = 0;
        for (int i = 0; i < got.length; i++) {
            if (mask != null && mask[i / n] == 0) {
                continue;
            }
            err = Math.max(err, Math.abs(got[i] - want[i]));
            mag = Math.max(mag, Math.abs(want[i]));
        }
        System.out.printf("%s: logits relative error %.2e%n", dir.getFileName(), err / mag);
        assertTrue(mag > 0.1 && err / mag <= BOUND, dir.getFileName() + ": relative error " + err / mag);
    }

    /** The fixture's inputs and its last hidden state (what the heads read). */
    private record Reference(int b, int s, int c, long[] mask, float[] hidden) {
        static Reference of(Path dir) {
            try (SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
                 TensorArena arena = TensorArena.confined()) {
                int last = 0;
                while (ref.has("hidden_states." + (last + 1))) {
                    last++;
                }
                Tensor h = ref.load("hidden_states." + last, arena);
                return new Reference((int) h.dim(0), (int) h.dim(1), (int) h.dim(2), ref.loadLongs("attention_mask"),
                        h.toFloatArray());
            }
        }

        double[] row(int batch, int pos) {
            double[] r = new double[c];
            for (int i = 0; i < c; i++) {
                r[i] = hidden[(batch * s + pos) * c + i];
            }
            return r;
        }
    }

    // ---- checkpoints with a head added

    /** A dense layer's weights [out, in] and bias, random (or given), applied in double precision. */
    private record Linear(double[][] w, double[] b) {
        Linear(int out, int in, long seed) {
            this(random(out, in, seed), random(1, out, seed + 1000)[0]);
        }

        double[] apply(double[] x) {
            double[] y = new double[w.length];
            for (int o = 0; o < w.length; o++) {
                double acc = b[o];
                for (int i = 0; i < x.length; i++) {
                    acc += w[o][i] * x[i];
                }
                y[o] = acc;
            }
            return y;
        }
    }

    private static double[][] random(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) rnd.nextDouble(-0.5, 0.5); // values a float32 checkpoint holds exactly
            }
        }
        return m;
    }

    /**
     * The fixture's folder again under another architecture: config keys replaced (the key
     * "__replace__" replaces the whole config), the stored tensors kept where keep says, extra
     * tensors added (a {@link Linear} as NAME.weight and NAME.bias, a double[] as NAME).
     */
    private static Path variant(String fixture, String architecture, Map<String, Object> changes,
                                Predicate<String> keep, Map<String, Object> extra) throws IOException {
        Path src = Fixtures.model(fixture);
        Path dir = Files.createTempDirectory(tmp, fixture + "-" + architecture + "-");
        JsonObject config = changes.containsKey("__replace__") ? ((JsonObject) changes.get("__replace__")).deepCopy()
                : JsonParser.parseString(Files.readString(src.resolve("config.json"))).getAsJsonObject();
        changes.forEach((k, v) -> {
            if (v instanceof String str) {
                config.addProperty(k, str);
            } else if (v instanceof JsonObject o && !k.equals("__replace__")) {
                config.add(k, o);
            }
        });
        JsonArray archs = new JsonArray();
        archs.add(architecture);
        config.add("architectures", archs);
        Files.writeString(dir.resolve("config.json"), config.toString());
        Files.copy(src.resolve("reference.safetensors"), dir.resolve("reference.safetensors"));
        try (Checkpoint stored = Checkpoints.open(src); TensorArena arena = TensorArena.confined()) {
            Map<String, Tensor> tensors = new HashMap<>();
            for (String name : stored.names()) {
                if (keep.test(name)) {
                    tensors.put(name, stored.load(name, arena));
                }
            }
            extra.forEach((name, value) -> {
                if (value instanceof Linear l) {
                    tensors.put(name + ".weight", arena.of(flat(l.w), l.w.length, l.w[0].length));
                    tensors.put(name + ".bias", arena.of(toFloat(l.b), l.b.length));
                } else if (value instanceof double[] v) {
                    tensors.put(name, arena.of(toFloat(v), v.length));
                }
            });
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        }
        return dir;
    }

    private static JsonObject labels(int n) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < n; i++) {
            o.addProperty(Integer.toString(i), "LABEL_" + i);
        }
        return o;
    }

    private static double[][] matrix(Path dir, String name, int rows, int cols) {
        try (Checkpoint c = Checkpoints.open(dir); TensorArena arena = TensorArena.confined()) {
            float[] v = c.load(name, arena).toFloatArray();
            double[][] m = new double[rows][cols];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < cols; i++) {
                    m[r][i] = v[r * cols + i];
                }
            }
            return m;
        }
    }

    private static double[] vector(Path dir, String name, int n) {
        return matrix(dir, name, 1, n)[0];
    }

    private static double[] gelu(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = ReferenceBackend.activate(Activation.GELU, x[i]);
        }
        return y;
    }

    private static double[] tanh(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.tanh(x[i]);
        }
        return y;
    }

    private static double[] layerNorm(double[] x, double[] gamma, double[] beta, double eps) {
        double mean = 0, var = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + eps) * gamma[i] + (beta == null ? 0 : beta[i]);
        }
        return y;
    }

    private static float[] flat(double[][] m) {
        float[] out = new float[m.length * m[0].length];
        for (int r = 0; r < m.length; r++) {
            for (int i = 0; i < m[0].length; i++) {
                out[r * m[0].length + i] = (float) m[r][i];
            }
        }
        return out;
    }

    private static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }
}
