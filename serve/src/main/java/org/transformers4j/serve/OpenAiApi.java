package org.transformers4j.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.transformers4j.generation.FinishReason;
import org.transformers4j.generation.GenerationConfig;
import org.transformers4j.pipeline.Generation;
import org.transformers4j.scheduler.Embedding;
import org.transformers4j.scheduler.GenerationStream;

/** OpenAI's /v1/embeddings, /v1/completions (streamed as server-sent events too) and /v1/models. */
final class OpenAiApi {
    private final Models models;
    private final ServerOptions options;

    OpenAiApi(Models models, ServerOptions options) {
        this.models = models;
        this.options = options;
    }

    /** GET /v1/models. */
    void listModels(Exchange x) {
        JsonArray data = new JsonArray();
        for (ServedModel m : models.all()) {
            JsonObject o = new JsonObject();
            o.addProperty("id", m.name);
            o.addProperty("object", "model");
            o.addProperty("created", m.created);
            o.addProperty("owned_by", "transformers4j");
            data.add(o);
        }
        JsonObject out = new JsonObject();
        out.addProperty("object", "list");
        out.add("data", data);
        x.json(200, out);
    }

    /** POST /v1/embeddings: input (a string or strings), encoding_format float or base64. */
    void embeddings(Exchange x) {
        JsonBody body = JsonBody.parse(x.body());
        ServedModel m = models.forRequest(ServedModel.Kind.EMBEDDING, body.string("model", null));
        List<String> inputs = body.strings("input", options.maxInputs(), true);
        String format = body.string("encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiError.invalid("encoding_format", "'encoding_format' must be float or base64, got " + format);
        }
        body.unsupported("dimensions", null, "the model's embeddings have a fixed size");
        List<Embedding> vectors = Futures.all(m.embeddings.submitAll(inputs, options.timeout()));
        JsonArray data = new JsonArray();
        int tokens = 0;
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = Vectors.normalized(vectors.get(i).vector());
            tokens += vectors.get(i).tokens();
            JsonObject e = new JsonObject();
            e.addProperty("object", "embedding");
            e.addProperty("index", i);
            e.add("embedding", format.equals("float") ? Vectors.array(v) : new JsonPrimitive(base64(v)));
            data.add(e);
        }
        JsonObject out = new JsonObject();
        out.addProperty("object", "list");
        out.add("data", data);
        out.addProperty("model", m.name);
        out.add("usage", usage(tokens, -1));
        x.json(200, out);
    }

    /** Little-endian float32 bytes in base64, as OpenAI encodes them. */
    static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** The settings and prompts of a completion request. */
    private record Completion(ServedModel model, List<String> prompts, GenerationConfig config, List<String> stop,
                              boolean stream, boolean streamUsage) {
    }

    /** POST /v1/completions. */
    void completions(Exchange x) throws IOException {
        Completion c = parseCompletion(JsonBody.parse(x.body()));
        List<GenerationStream> streams = new ArrayList<>();
        try {
            for (String p : c.prompts()) {
                streams.add(c.model().generation.submit(p, c.config(), options.timeout()));
            }
            x.request.addFailureListener(failure -> { // the client left (an idle timeout is not a failure here)
                if (!(failure instanceof java.util.concurrent.TimeoutException)) {
                    streams.forEach(GenerationStream::cancel);
                }
            });
            if (c.stream()) {
                streamCompletion(x, c, streams);
            } else {
                x.json(200, completionBody(c, streams));
            }
        } finally {
            streams.forEach(GenerationStream::cancel); // no-op for those that finished
        }
    }

    private Completion parseCompletion(JsonBody body) {
        ServedModel m = models.forRequest(ServedModel.Kind.GENERATION, body.string("model", null));
        List<String> prompts = body.strings("prompt", options.maxInputs(), true);
        int maxTokens = (int) body.integer("max_tokens", 16, 1, options.maxNewTokens());
        double temperature = body.real("temperature", 1.0, 0, 2);
        double topP = body.real("top_p", 1.0, Double.MIN_VALUE, 1);
        int n = (int) body.integer("n", 1, 1, m.generation.options().maxRows());
        List<String> stop = body.strings("stop", 4, false);
        long seed = body.integer("seed", System.nanoTime(), Long.MIN_VALUE, Long.MAX_VALUE);
        body.unsupported("logprobs", null, "log probabilities are not returned");
        body.unsupported("echo", new JsonPrimitive(false), "the prompt is not echoed");
        body.unsupported("best_of", new JsonPrimitive(1), "best_of needs log probabilities");
        body.unsupported("suffix", null, "insertion is not supported");
        body.unsupported("presence_penalty", new JsonPrimitive(0), "use repetition penalties of the model's generation config");
        body.unsupported("frequency_penalty", new JsonPrimitive(0), "use repetition penalties of the model's generation config");
        if (body.has("logit_bias") && !(body.get("logit_bias").isJsonObject() && body.get("logit_bias").getAsJsonObject().isEmpty())) {
            throw ApiError.invalid("logit_bias", "'logit_bias' is not supported");
        }
        boolean stream = body.bool("stream", false);
        boolean streamUsage = false;
        if (body.has("stream_options")) {
            if (!body.get("stream_options").isJsonObject()) {
                throw ApiError.invalid("stream_options", "'stream_options' must be an object");
            }
            var so = body.get("stream_options").getAsJsonObject();
            streamUsage = so.has("include_usage") && so.get("include_usage").isJsonPrimitive()
                    && so.get("include_usage").getAsBoolean();
        }
        GenerationConfig cfg = m.generation.defaults().withMaxNewTokens(maxTokens).withMinNewTokens(0);
        if (temperature == 0) {
            if (n > 1) {
                throw ApiError.invalid("n", "'n' above 1 needs a temperature above 0 (greedy search has one answer)");
            }
            cfg = cfg.withoutSampling();
        } else {
            cfg = cfg.withSampling(temperature, 0, topP).withSeed(seed).withNumReturnSequences(n);
        }
        if (!stop.isEmpty()) {
            cfg = cfg.withStopStrings(stop);
        }
        try {
            cfg = cfg.withBeams(1, n, cfg.lengthPenalty(), cfg.earlyStopping()).validate();
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(null, e.getMessage());
        }
        return new Completion(m, prompts, cfg, stop, stream, streamUsage);
    }

    private JsonObject completionBody(Completion c, List<GenerationStream> streams) {
        List<List<Generation>> results = Futures.all(streams.stream().map(GenerationStream::result).toList());
        JsonArray choices = new JsonArray();
        long promptTokens = 0, completionTokens = 0;
        for (int p = 0; p < results.size(); p++) {
            promptTokens += streams.get(p).promptTokens();
            List<Generation> gens = results.get(p);
            for (int k = 0; k < gens.size(); k++) {
                Generation g = gens.get(k);
                completionTokens += g.tokens().length;
                choices.add(choice(p * gens.size() + k, StopTrimmer.trim(g.text(), c.stop()), finishReason(g.finishReason())));
            }
        }
        JsonObject out = head(c);
        out.add("choices", choices);
        out.add("usage", usage(promptTokens, completionTokens));
        return out;
    }

    /**
     * Streams each prompt's sequences in turn (all of them are generated at once), then [DONE].
     * Until the first piece arrives nothing is sent, so a request that fails before it (a prompt
     * too long, a closed scheduler) gets its error status; a failure after that ends the stream
     * with an error event and no [DONE].
     */
    private void streamCompletion(Exchange x, Completion c, List<GenerationStream> streams) throws IOException {
        JsonObject head = head(c);
        GenerationStream.Piece first = next(streams.get(0));
        if (first == null) {
            Futures.get(streams.get(0).result()); // throws its failure, if it failed
        }
        long promptTokens = 0, completionTokens = 0;
        try (OutputStream out = x.events()) {
            int n = c.config().numReturnSequences();
            for (int p = 0; p < streams.size(); p++) {
                GenerationStream s = streams.get(p);
                List<StopTrimmer> trimmers = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    trimmers.add(new StopTrimmer(c.stop()));
                }
                List<Generation> gens;
                try {
                    gens = streamOne(out, head, s, p, n, trimmers, p == 0 ? first : null);
                } catch (RuntimeException e) {
                    Exchange.event(out, errorEvent(e));
                    x.done();
                    return;
                }
                promptTokens += s.promptTokens();
                for (int k = 0; k < gens.size(); k++) {
                    completionTokens += gens.get(k).tokens().length;
                    Exchange.event(out, chunk(head, p * n + k, trimmers.get(k).finish(),
                            finishReason(gens.get(k).finishReason())));
                }
            }
            if (c.streamUsage()) {
                JsonObject last = head.deepCopy();
                last.add("choices", new JsonArray());
                last.add("usage", usage(promptTokens, completionTokens));
                Exchange.event(out, Exchange.GSON.toJson(last));
            }
            Exchange.event(out, "[DONE]");
        }
        x.done();
    }

    /** One prompt's pieces as chunks (starting with first, when given); returns its outputs. */
    private static List<Generation> streamOne(OutputStream out, JsonObject head, GenerationStream s, int p, int n,
                                              List<StopTrimmer> trimmers, GenerationStream.Piece first)
            throws IOException {
        for (GenerationStream.Piece piece = first != null ? first : next(s); piece != null; piece = next(s)) {
            String text = trimmers.get(piece.sequence()).add(piece.text());
            if (!text.isEmpty()) {
                Exchange.event(out, chunk(head, p * n + piece.sequence(), text, null));
            }
        }
        return Futures.get(s.result());
    }

    /** An error inside a stream that has started, in OpenAI's error shape. */
    private static String errorEvent(RuntimeException e) {
        JsonObject err = new JsonObject();
        err.addProperty("message", e.getMessage());
        err.addProperty("type", "server_error");
        JsonObject o = new JsonObject();
        o.add("error", err);
        return Exchange.GSON.toJson(o);
    }

    private static GenerationStream.Piece next(GenerationStream s) {
        try {
            return s.next();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.cancel();
            throw new ApiError(503, "server_error", null, null, "The server is shutting down");
        }
    }

    private static String chunk(JsonObject head, int index, String text, String finish) {
        JsonObject o = head.deepCopy();
        JsonArray choices = new JsonArray();
        choices.add(choice(index, text, finish));
        o.add("choices", choices);
        return Exchange.GSON.toJson(o);
    }

    private static JsonObject head(Completion c) {
        JsonObject o = new JsonObject();
        o.addProperty("id", "cmpl-" + UUID.randomUUID().toString().replace("-", ""));
        o.addProperty("object", "text_completion");
        o.addProperty("created", System.currentTimeMillis() / 1000);
        o.addProperty("model", c.model().name);
        return o;
    }

    private static JsonObject choice(int index, String text, String finish) {
        JsonObject o = new JsonObject();
        o.addProperty("text", text);
        o.addProperty("index", index);
        o.add("logprobs", JsonNull.INSTANCE);
        o.add("finish_reason", finish == null ? JsonNull.INSTANCE : new JsonPrimitive(finish));
        return o;
    }

    /** OpenAI's finish reasons: stop (an end token or stop sequence) or length. */
    static String finishReason(FinishReason r) {
        return r == FinishReason.EOS || r == FinishReason.STOP_STRING ? "stop" : "length";
    }

    private static JsonObject usage(long prompt, long completion) {
        JsonObject u = new JsonObject();
        u.addProperty("prompt_tokens", prompt);
        if (completion >= 0) {
            u.addProperty("completion_tokens", completion);
        }
        u.addProperty("total_tokens", prompt + Math.max(0, completion));
        return u;
    }

    /** Waiting for futures, with the library's exceptions unwrapped for the error mapping. */
    static final class Futures {
        private Futures() {
        }

        static <T> List<T> all(List<CompletableFuture<T>> futures) {
            List<T> out = new ArrayList<>();
            try {
                for (CompletableFuture<T> f : futures) {
                    out.add(get(f));
                }
            } finally {
                futures.forEach(f -> f.cancel(false));
            }
            return out;
        }

        static <T> T get(CompletableFuture<T> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiError(503, "server_error", null, null, "The server is shutting down");
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof java.util.concurrent.TimeoutException) {
                    throw new T4jServer.UncheckedTimeout(cause);
                }
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException(cause);
            }
        }
    }
}
