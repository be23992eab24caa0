package org.transformers4j.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.List;
import org.transformers4j.pipeline.TextClassifier;
import org.transformers4j.scheduler.Embedding;

/**
 * text-embeddings-inference's /embed and /predict: {"inputs": a string or strings}; the answer is
 * an array per input (for a single string /predict answers its array alone, as TEI does).
 */
final class TeiApi {
    private final Models models;
    private final ServerOptions options;

    TeiApi(Models models, ServerOptions options) {
        this.models = models;
        this.options = options;
    }

    /** POST /embed: inputs, normalize (default true). */
    void embed(Exchange x) {
        JsonBody body = JsonBody.parse(x.body());
        ServedModel m = models.forRequest(ServedModel.Kind.EMBEDDING, body.string("model", null));
        List<String> inputs = body.strings("inputs", options.maxInputs(), true);
        boolean normalize = body.bool("normalize", true);
        body.bool("truncate", false); // type-checked; the model's tokenizer decides truncation
        List<Embedding> vectors = OpenAiApi.Futures.all(m.embeddings.submitAll(inputs, options.timeout()));
        JsonArray out = new JsonArray();
        for (Embedding e : vectors) {
            out.add(Vectors.array(normalize ? Vectors.normalized(e.vector()) : e.vector()));
        }
        x.json(200, out);
    }

    /** POST /predict: every label with its score, best first, per input (raw_scores: logits are not returned). */
    void predict(Exchange x) {
        JsonBody body = JsonBody.parse(x.body());
        ServedModel m = models.forRequest(ServedModel.Kind.CLASSIFICATION, body.string("model", null));
        JsonElement raw = body.get("inputs");
        if (raw != null && raw.isJsonArray() && !raw.getAsJsonArray().isEmpty() && raw.getAsJsonArray().get(0).isJsonArray()) {
            throw ApiError.invalid("inputs", "'inputs' as text pairs is not supported; give a string or strings");
        }
        List<String> inputs = body.strings("inputs", options.maxInputs(), true);
        if (body.bool("raw_scores", false)) {
            throw ApiError.invalid("raw_scores", "'raw_scores' is not supported: scores are probabilities");
        }
        List<List<TextClassifier.Label>> labels = OpenAiApi.Futures.all(m.classifier.submitAll(inputs, options.timeout()));
        JsonArray all = new JsonArray();
        for (List<TextClassifier.Label> ls : labels) {
            JsonArray one = new JsonArray();
            for (TextClassifier.Label l : ls) {
                JsonObject o = new JsonObject();
                o.addProperty("label", l.label());
                o.addProperty("score", l.score());
                one.add(o);
            }
            all.add(one);
        }
        x.json(200, raw != null && raw.isJsonPrimitive() ? all.get(0) : all);
    }
}
