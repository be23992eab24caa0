package org.transformers4j.pipeline;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.files.SafeFiles;
import org.transformers4j.checkpoint.files.StrictJson;
import org.transformers4j.util.JsonFields;

/**
 * What a model folder says about embedding, read as sentence-transformers reads it. A
 * sentence-transformers folder has {@code modules.json}: a Transformer module (its folder, the root
 * or a subfolder such as {@code 0_Transformer}, holds config.json, the weights, tokenizer.json and
 * {@code sentence_bert_config.json} with {@code max_seq_length} and {@code do_lower_case}), a
 * Pooling module ({@code 1_Pooling/config.json}: the {@code pooling_mode_*} flags), optionally a
 * Normalize module; {@code config_sentence_transformers.json} beside it names prompts and the
 * similarity function. Modules this library does not run (Dense, custom code) are refused by name.
 * A folder without modules.json is what sentence-transformers makes of a plain transformers
 * checkpoint: mean pooling (or what the caller chooses), no normalisation, the model's length.
 *
 * @param source                 the folder, for messages
 * @param transformer            the Transformer module's folder (config.json, weights, tokenizer.json)
 * @param sentenceTransformers   whether modules.json was there
 * @param pooling                the Pooling module's modes, or null without modules.json
 * @param wordEmbeddingDimension the Pooling module's word_embedding_dimension, or -1
 * @param normalize              whether a Normalize module follows the pooling
 * @param maxSeqLength           sentence_bert_config.json's max_seq_length, or -1 when not given
 * @param tokenizerMaxLength     tokenizer_config.json's model_max_length when it bounds anything, or -1
 * @param lowercase              sentence_bert_config.json's do_lower_case
 * @param prompts                prompt names to texts ("query" and "document" are always there, empty
 *                               unless the folder sets them)
 * @param defaultPromptName      the prompt used when none is named, or null
 * @param similarity             config_sentence_transformers.json's similarity_fn_name, or null (cosine)
 */
public record EmbeddingFolder(String source, Path transformer, boolean sentenceTransformers, Pooling pooling,
                              int wordEmbeddingDimension, boolean normalize, int maxSeqLength, int tokenizerMaxLength,
                              boolean lowercase, Map<String, String> prompts, String defaultPromptName,
                              String similarity) {
    /** The module types this library runs, by modules.json's class names. */
    static final String TRANSFORMER = "sentence_transformers.models.Transformer";
    static final String POOLING = "sentence_transformers.models.Pooling";
    static final String NORMALIZE = "sentence_transformers.models.Normalize";
    /** The names sentence-transformers looks for the Transformer module's settings under, in its order. */
    private static final List<String> TRANSFORMER_CONFIGS = List.of("sentence_bert_config.json",
            "sentence_roberta_config.json", "sentence_distilbert_config.json", "sentence_camembert_config.json",
            "sentence_albert_config.json", "sentence_xlm-roberta_config.json", "sentence_xlnet_config.json");
    private static final Set<String> SIMILARITIES = Set.of("cosine", "dot", "euclidean", "manhattan");
    private static final int MAX_MODULES = 64;

    /**
     * Copies the prompts, so that the record stays as made.
     */
    public EmbeddingFolder {
        prompts = Collections.unmodifiableMap(new LinkedHashMap<>(prompts));
    }

    /** The prompts every model has, as sentence-transformers starts them: "query" and "document", empty. */
    static Map<String, String> basePrompts() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("query", "");
        p.put("document", "");
        return p;
    }

    /**
     * Reads dir: a sentence-transformers folder (modules.json) or a plain checkpoint folder.
     * Malformed files, modules it does not run and inconsistent settings are refused with an
     * {@link IllegalArgumentException} naming the file, the key and the value.
     *
     * @param dir the model folder
     * @return its settings
     */
    public static EmbeddingFolder read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": no such model folder");
        }
        Path modules = dir.resolve("modules.json");
        if (!Files.exists(modules)) {
            return new EmbeddingFolder(dir.toString(), dir, false, null, -1, false, -1, tokenizerMaxLength(dir), false,
                    basePrompts(), null, null);
        }
        return readModules(dir, modules);
    }

    /** A module of modules.json: its class name and folder. */
    private record Module(String type, Path dir) {
    }

    private static EmbeddingFolder readModules(Path dir, Path file) {
        String source = file.toString();
        JsonElement root = StrictJson.parse(SafeFiles.readText(file, "modules.json", SafeFiles.MAX_JSON_BYTES), source);
        JsonArray list = JsonFields.array(root, "$", source);
        if (list.size() > MAX_MODULES) {
            throw JsonFields.fail(source, "$", "lists " + list.size() + " modules, more than " + MAX_MODULES);
        }
        Module transformer = null, pooling = null;
        boolean normalize = false;
        for (int i = 0; i < list.size(); i++) {
            Module m = module(dir, JsonFields.of(list.get(i), "$[" + i + "]", source));
            switch (m.type) {
                case TRANSFORMER -> {
                    if (i != 0) {
                        throw JsonFields.fail(source, "$[" + i + "]", "the Transformer module must come first");
                    }
                    transformer = m;
                }
                case POOLING -> {
                    if (transformer == null || pooling != null) {
                        throw JsonFields.fail(source, "$[" + i + "]", "expected one Pooling module, after the Transformer");
                    }
                    pooling = m;
                }
                case NORMALIZE -> {
                    if (pooling == null) {
                        throw JsonFields.fail(source, "$[" + i + "]", "Normalize before any Pooling module: it"
                                + " normalises the pooled vector");
                    }
                    normalize = true;
                }
                default -> throw unsupported(source, i, m.type);
            }
        }
        if (transformer == null || pooling == null) {
            throw JsonFields.fail(source, "$", "needs a " + TRANSFORMER + " module and a " + POOLING
                    + " module after it; found " + list.size() + " modules");
        }
        return folder(dir, transformer.dir, pooling.dir, normalize);
    }

    private static EmbeddingFolder folder(Path dir, Path transformer, Path poolingDir, boolean normalize) {
        Path poolingFile = poolingDir.resolve("config.json");
        JsonFields pc = JsonFields.of(StrictJson.parse(SafeFiles.readText(poolingFile, "Pooling config",
                SafeFiles.MAX_JSON_BYTES), poolingFile.toString()), "$", poolingFile.toString());
        Pooling pooling = pooling(pc);
        int dimension = (int) pc.unsigned("word_embedding_dimension", 1 << 20);
        TransformerSettings ts = transformerSettings(transformer);
        Map<String, String> prompts = basePrompts();
        String[] named = new String[2];
        readModelConfig(dir, prompts, named);
        return new EmbeddingFolder(dir.toString(), transformer, true, pooling, dimension, normalize, ts.maxSeqLength,
                tokenizerMaxLength(transformer), ts.lowercase, prompts, named[0], named[1]);
    }

    private static Module module(Path dir, JsonFields m) {
        String type = m.string("type");
        String path = m.string("path");
        m.string("name");
        if (m.has("kwargs") && !m.array("kwargs").isEmpty()) {
            throw m.fail("kwargs", "module arguments (" + m.get("kwargs") + ") are not supported");
        }
        return new Module(type, inside(dir, path, m));
    }

    /** The module's folder: a relative path that stays inside dir ("" is dir itself). */
    private static Path inside(Path dir, String path, JsonFields m) {
        Path p;
        try {
            p = Path.of(path);
        } catch (InvalidPathException e) {
            throw m.fail("path", "\"" + path + "\" is not a usable path");
        }
        if (p.isAbsolute() || path.contains("\\") || !dir.resolve(p).normalize().startsWith(dir.normalize())
                || p.normalize().startsWith("..")) {
            throw m.fail("path", "\"" + path + "\" is not a folder inside the model folder");
        }
        return path.isEmpty() ? dir : dir.resolve(p);
    }

    private static IllegalArgumentException unsupported(String source, int i, String type) {
        String what = type.startsWith("sentence_transformers.")
                ? "the sentence-transformers module " + type.substring(type.lastIndexOf('.') + 1)
                : "a custom module (code shipped with the model)";
        return JsonFields.fail(source, "$[" + i + "].type", "\"" + type + "\" is " + what + ", which this library does"
                + " not run; it runs " + TRANSFORMER + ", then " + POOLING + ", then optionally " + NORMALIZE);
    }

    /** The Pooling module's modes: pooling_mode (a name) over the flags, with the module's defaults. */
    private static Pooling pooling(JsonFields pc) {
        Set<String> keys = new HashSet<>(Set.of("word_embedding_dimension", "pooling_mode", "include_prompt"));
        for (Pooling.Mode m : Pooling.Mode.values()) {
            keys.add(m.flag());
        }
        pc.only(keys);
        boolean includePrompt = pc.boolOr("include_prompt", true);
        if (pc.has("pooling_mode")) {
            String name = pc.string("pooling_mode");
            try {
                return new Pooling(EnumSet.of(Pooling.Mode.parse(name)), includePrompt);
            } catch (IllegalArgumentException e) {
                throw pc.fail("pooling_mode", e.getMessage());
            }
        }
        EnumSet<Pooling.Mode> modes = EnumSet.noneOf(Pooling.Mode.class);
        for (Pooling.Mode m : Pooling.Mode.values()) {
            // the module's constructor defaults: mean on, every other mode off
            if (pc.boolOr(m.flag(), m == Pooling.Mode.MEAN)) {
                modes.add(m);
            }
        }
        if (modes.isEmpty()) {
            throw pc.fail("pooling_mode_mean_tokens", "every pooling_mode_* flag is false: no pooling mode is set");
        }
        return new Pooling(modes, includePrompt);
    }

    private record TransformerSettings(int maxSeqLength, boolean lowercase) {
    }

    /** sentence_bert_config.json (or an older name) in the Transformer module's folder, if any. */
    private static TransformerSettings transformerSettings(Path transformer) {
        for (String name : TRANSFORMER_CONFIGS) {
            Path file = transformer.resolve(name);
            if (!Files.exists(file)) {
                continue;
            }
            JsonFields c = JsonFields.of(StrictJson.parse(SafeFiles.readText(file, name, SafeFiles.MAX_JSON_BYTES),
                    file.toString()), "$", file.toString());
            c.only(Set.of("max_seq_length", "do_lower_case", "model_args", "tokenizer_args", "config_args",
                    "tokenizer_name_or_path"));
            for (String args : List.of("model_args", "tokenizer_args", "config_args")) {
                if (c.has(args) && !c.object(args).json().isEmpty()) {
                    throw c.fail(args, "arguments for transformers (" + c.get(args) + ") are not supported");
                }
            }
            if (c.has("tokenizer_name_or_path")) {
                throw c.fail("tokenizer_name_or_path", "a tokenizer from elsewhere is not supported; put its"
                        + " tokenizer.json in " + transformer);
            }
            int max = (int) c.optionalUnsigned("max_seq_length", Integer.MAX_VALUE);
            if (max == 0) {
                throw c.fail("max_seq_length", "must be at least 1, got 0");
            }
            return new TransformerSettings(max, c.boolOr("do_lower_case", false));
        }
        return new TransformerSettings(-1, false);
    }

    /**
     * tokenizer_config.json's model_max_length, which bounds the length when sentence_bert_config.json
     * gives none; -1 without the file or the key, or when it is transformers' "no limit" (a huge number).
     */
    static int tokenizerMaxLength(Path transformer) {
        Path file = transformer.resolve("tokenizer_config.json");
        if (!Files.exists(file)) {
            return -1;
        }
        JsonFields c = JsonFields.of(StrictJson.parse(SafeFiles.readText(file, "tokenizer config",
                SafeFiles.MAX_JSON_BYTES), file.toString()), "$", file.toString());
        JsonElement v = c.get("model_max_length");
        if (v == null || v.isJsonNull()) {
            return -1;
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw c.fail("model_max_length", "must be a number, got " + JsonFields.describe(v));
        }
        Number n = v.getAsNumber();
        double d = n.doubleValue();
        if (!(d >= 1) || (!(n instanceof Long) && !(n instanceof BigInteger) && d != Math.rint(d))) {
            throw c.fail("model_max_length", "must be a whole number >= 1, got " + v);
        }
        return d > Integer.MAX_VALUE ? -1 : (int) d;
    }

    /** config_sentence_transformers.json at the root: prompts, default_prompt_name, similarity_fn_name. */
    private static void readModelConfig(Path dir, Map<String, String> prompts, String[] named) {
        Path file = dir.resolve("config_sentence_transformers.json");
        if (!Files.exists(file)) {
            return;
        }
        String source = file.toString();
        JsonFields c = JsonFields.of(StrictJson.parse(SafeFiles.readText(file, "sentence-transformers config",
                SafeFiles.MAX_JSON_BYTES), source), "$", source);
        if (c.has("prompts")) {
            JsonFields p = c.object("prompts");
            for (String name : p.json().keySet()) {
                String text = JsonFields.string(p.get(name), p.at(name), source);
                if (prompts.getOrDefault(name, "").isEmpty()) {
                    prompts.put(name, text);
                }
            }
        }
        String dflt = c.optionalString("default_prompt_name");
        if (dflt != null && !prompts.containsKey(dflt)) {
            throw c.fail("default_prompt_name", "\"" + dflt + "\" is not one of the prompts " + prompts.keySet());
        }
        named[0] = dflt;
        named[1] = c.has("similarity_fn_name") ? c.oneOf("similarity_fn_name", SIMILARITIES) : null;
    }

    /**
     * The text of the prompt called name (an {@link IllegalArgumentException} naming the prompts
     * there are, when it is not one), or of the default prompt when name is null ("" without one).
     *
     * @param name a prompt's name, or null for the default prompt
     * @return the prompt's text
     */
    public String prompt(String name) {
        if (name == null) {
            return defaultPromptName == null ? "" : prompts.get(defaultPromptName);
        }
        String text = prompts.get(name);
        if (text == null) {
            throw new IllegalArgumentException("prompt '" + name + "' is not one of the prompts of " + source + ": "
                    + prompts.keySet());
        }
        return text;
    }
}
