package org.transformers4j.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.model.bart.BartModel;
import org.transformers4j.model.bert.BertModel;
import org.transformers4j.model.distilbert.DistilBertModel;
import org.transformers4j.model.gpt2.Gpt2Model;
import org.transformers4j.model.gptneo.GptNeoModel;
import org.transformers4j.model.llama.LlamaModel;
import org.transformers4j.model.t5.T5Model;

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

    /** A decoder family's loader. */
    @FunctionalInterface
    interface DecoderLoader {
        DecoderModel load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture);
    }

    /** An encoder-decoder family's loader. */
    @FunctionalInterface
    interface Seq2SeqLoader {
        Seq2SeqModel load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture);
    }

    /** What a config describes. */
    public enum Kind { ENCODER, DECODER, SEQ2SEQ }

    private static final Map<String, Seq2SeqLoader> SEQ2SEQ = Map.of(
            "bart", BartModel::load,
            "marian", BartModel::load,
            "t5", T5Model::load);

    private static final List<String> SEQ2SEQ_ARCHITECTURES = List.of("BartForConditionalGeneration",
            "MarianMTModel", "T5ForConditionalGeneration");

    private static final Map<String, DecoderLoader> DECODERS = Map.of(
            "gpt2", Gpt2Model::load,
            "gpt_neo", GptNeoModel::load,
            "llama", LlamaModel::load);

    private static final List<String> DECODER_ARCHITECTURES = List.of("GPT2LMHeadModel", "GPTNeoForCausalLM",
            "LlamaForCausalLM");

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

    /** The architectures of decoder-only models this registry builds. */
    public static List<String> decoderArchitectures() {
        return DECODER_ARCHITECTURES;
    }

    /** Whether the config describes an encoder or a decoder; names the known types when neither. */
    public static Kind kind(ModelConfig config) {
        String type = config.modelType();
        if (DECODERS.containsKey(type)) {
            return Kind.DECODER;
        }
        if (SEQ2SEQ.containsKey(type)) {
            return Kind.SEQ2SEQ;
        }
        if (BY_MODEL_TYPE.containsKey(type)) {
            return Kind.ENCODER;
        }
        throw new CheckpointException(config.source() + ": unknown model_type " + type + "; encoder types: "
                + BY_MODEL_TYPE.keySet() + ", decoder types: " + DECODERS.keySet() + ", encoder-decoder types: "
                + SEQ2SEQ.keySet());
    }

    /** The architectures of encoder-decoder models this registry builds. */
    public static List<String> seq2seqArchitectures() {
        return SEQ2SEQ_ARCHITECTURES;
    }

    /** Loads the encoder-decoder model in a directory holding config.json and its weights. */
    public static Seq2SeqModel loadSeq2Seq(Path dir, Backend backend) {
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        Checkpoint checkpoint = Checkpoints.open(dir);
        try {
            return loadSeq2Seq(config, checkpoint, backend);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** Builds an encoder-decoder model from a config and a checkpoint (which the model then owns). */
    public static Seq2SeqModel loadSeq2Seq(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        String type = config.modelType();
        Seq2SeqLoader loader = SEQ2SEQ.get(type);
        if (loader == null) {
            throw new CheckpointException(config.source() + ": model_type " + type + " is not an encoder-decoder type; "
                    + "encoder-decoder types: " + SEQ2SEQ.keySet());
        }
        String architecture = config.architectures().isEmpty() ? "" : config.architectures().get(0);
        if (!architecture.isEmpty() && !SEQ2SEQ_ARCHITECTURES.contains(architecture)) {
            throw new CheckpointException(config.source() + ": architecture " + architecture
                    + " is not supported; supported: " + SEQ2SEQ_ARCHITECTURES);
        }
        return loader.load(config, checkpoint, backend, architecture);
    }

    /** Loads the decoder-only model in a directory holding config.json and its weights. */
    public static DecoderModel loadDecoder(Path dir, Backend backend) {
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        Checkpoint checkpoint = Checkpoints.open(dir);
        try {
            return loadDecoder(config, checkpoint, backend);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** Builds a decoder-only model from a config and a checkpoint (which the model then owns). */
    public static DecoderModel loadDecoder(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        String type = config.modelType();
        DecoderLoader loader = DECODERS.get(type);
        if (loader == null) {
            throw new CheckpointException(config.source() + ": model_type " + type + " is not a decoder-only type; "
                    + "decoder types: " + DECODERS.keySet());
        }
        String architecture = config.architectures().isEmpty() ? "" : config.architectures().get(0);
        if (!architecture.isEmpty() && !DECODER_ARCHITECTURES.contains(architecture)) {
            throw new CheckpointException(config.source() + ": architecture " + architecture
                    + " is not supported; supported: " + DECODER_ARCHITECTURES);
        }
        return loader.load(config, checkpoint, backend, architecture);
    }

    /** Whether a directory looks like a model: config.json beside its weights. */
    public static boolean isModelDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"));
    }
}
