package org.transformers4j.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.model.bert.BertModel;
import org.transformers4j.model.distilbert.DistilBertModel;

/**
 * The architecture registry: picks the model class from config.json's {@code architectures}
 * (else its {@code model_type}), so one class serves every checkpoint of its shape.
 */
public final class ModelRegistry {
    /** A family's loader: config, weights and backend to a model of the named architecture. */
    @FunctionalInterface
    interface EncoderLoader {
        EncoderModel load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture);
    }

    private static final Map<String, EncoderLoader> BY_MODEL_TYPE = Map.of(
            "bert", BertModel::load,
            "roberta", BertModel::load,
            "distilbert", DistilBertModel::load);

    private static final Map<String, String> DEFAULT_ARCHITECTURE = Map.of(
            "bert", "BertModel", "roberta", "RobertaModel", "distilbert", "DistilBertModel");

    private static final List<String> ENCODER_ARCHITECTURES = List.of("BertModel", "BertForMaskedLM",
            "BertForSequenceClassification", "BertForTokenClassification", "RobertaModel", "RobertaForMaskedLM",
            "RobertaForTokenClassification", "DistilBertModel", "DistilBertForMaskedLM");

    private ModelRegistry() {
    }

    /** The architectures this registry builds. */
    public static List<String> encoderArchitectures() {
        return ENCODER_ARCHITECTURES;
    }

    /** Loads the encoder model in a directory holding config.json and its weights. */
    public static EncoderModel loadEncoder(Path dir, Backend backend) {
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        Checkpoint checkpoint = Checkpoints.open(dir);
        try {
            return loadEncoder(config, checkpoint, backend);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** Builds an encoder model from a config and a checkpoint (which the model then owns). */
    public static EncoderModel loadEncoder(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        String type = config.modelType();
        EncoderLoader loader = BY_MODEL_TYPE.get(type);
        if (loader == null) {
            throw new CheckpointException(config.source() + ": unknown model_type " + type + "; encoder types: "
                    + BY_MODEL_TYPE.keySet());
        }
        String architecture = config.architectures().isEmpty() ? DEFAULT_ARCHITECTURE.get(type)
                : config.architectures().get(0);
        if (!ENCODER_ARCHITECTURES.contains(architecture)) {
            throw new CheckpointException(config.source() + ": architecture " + architecture
                    + " is not supported; supported: " + ENCODER_ARCHITECTURES);
        }
        return loader.load(config, checkpoint, backend, architecture);
    }

    /** Whether a directory looks like a model: config.json beside its weights. */
    public static boolean isModelDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"));
    }
}
