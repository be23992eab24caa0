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
    interface Loader<M> {
        M load(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture);
    }

    /** What a config describes. */
    public enum Kind {
        ENCODER("encoder"), DECODER("decoder-only"), SEQ2SEQ("encoder-decoder");

        private final String words;

        Kind(String words) {
            this.words = words;
        }

        @Override
        public String toString() {
            return words;
        }
    }

    /**
     * The loaders of one kind of model by model_type, the architectures they build, and the
     * architecture assumed when a config names none (or none: then the loader decides).
     */
    private record Family<M>(Kind kind, Map<String, Loader<M>> byType, List<String> architectures,
                             Map<String, String> defaultArchitecture) {

        M build(ModelConfig config, Checkpoint checkpoint, Backend backend) {
            String type = config.modelType();
            Loader<M> loader = byType.get(type);
            if (loader == null) {
                throw new CheckpointException(config.source() + ": model_type " + type + " belongs to the "
                        + ModelRegistry.kind(config) + " models; this loads " + kind + " models (types " + byType.keySet() + ")");
            }
            String architecture = config.architectures().isEmpty() ? defaultArchitecture.getOrDefault(type, "")
                    : config.architectures().get(0);
            if (!architecture.isEmpty() && !architectures.contains(architecture)) {
                throw new CheckpointException(config.source() + ": architecture " + architecture
                        + " is not supported; supported: " + architectures);
            }
            return loader.load(config, checkpoint, backend, architecture);
        }

        /** Reads config.json, opens the weights beside it and builds; the model owns the checkpoint. */
        M open(Path dir, Backend backend) {
            ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
            Checkpoint checkpoint = Checkpoints.open(dir);
            try {
                return build(config, checkpoint, backend);
            } catch (RuntimeException e) {
                checkpoint.close();
                throw e;
            }
        }
    }

    private static final Family<EncoderModel> ENCODERS = new Family<>(Kind.ENCODER,
            Map.of("bert", BertModel::load, "roberta", BertModel::load, "distilbert", DistilBertModel::load),
            List.of("BertModel", "BertForMaskedLM", "BertForSequenceClassification", "BertForTokenClassification",
                    "RobertaModel", "RobertaForMaskedLM", "RobertaForTokenClassification", "DistilBertModel",
                    "DistilBertForMaskedLM"),
            Map.of("bert", "BertModel", "roberta", "RobertaModel", "distilbert", "DistilBertModel"));

    private static final Family<DecoderModel> DECODERS = new Family<>(Kind.DECODER,
            Map.of("gpt2", Gpt2Model::load, "gpt_neo", GptNeoModel::load, "llama", LlamaModel::load),
            List.of("GPT2LMHeadModel", "GPTNeoForCausalLM", "LlamaForCausalLM"), Map.of());

    private static final Family<Seq2SeqModel> SEQ2SEQ = new Family<>(Kind.SEQ2SEQ,
            Map.of("bart", BartModel::load, "marian", BartModel::load, "t5", T5Model::load),
            List.of("BartForConditionalGeneration", "MarianMTModel", "T5ForConditionalGeneration"), Map.of());

    private ModelRegistry() {
    }

    /** The architectures of encoder models this registry builds. */
    public static List<String> encoderArchitectures() {
        return ENCODERS.architectures();
    }

    /** The architectures of decoder-only models this registry builds. */
    public static List<String> decoderArchitectures() {
        return DECODERS.architectures();
    }

    /** The architectures of encoder-decoder models this registry builds. */
    public static List<String> seq2seqArchitectures() {
        return SEQ2SEQ.architectures();
    }

    /** What the config describes; names the known types when it is none of them. */
    public static Kind kind(ModelConfig config) {
        String type = config.modelType();
        for (Family<?> f : List.of(ENCODERS, DECODERS, SEQ2SEQ)) {
            if (f.byType().containsKey(type)) {
                return f.kind();
            }
        }
        throw new CheckpointException(config.source() + ": unknown model_type " + type + "; encoder types: "
                + ENCODERS.byType().keySet() + ", decoder types: " + DECODERS.byType().keySet()
                + ", encoder-decoder types: " + SEQ2SEQ.byType().keySet());
    }

    /** Loads the encoder model in a directory holding config.json and its weights. */
    public static EncoderModel loadEncoder(Path dir, Backend backend) {
        return ENCODERS.open(dir, backend);
    }

    /** Builds an encoder model from a config and a checkpoint (which the model then owns). */
    public static EncoderModel loadEncoder(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        return ENCODERS.build(config, checkpoint, backend);
    }

    /** Loads the decoder-only model in a directory holding config.json and its weights. */
    public static DecoderModel loadDecoder(Path dir, Backend backend) {
        return DECODERS.open(dir, backend);
    }

    /** Builds a decoder-only model from a config and a checkpoint (which the model then owns). */
    public static DecoderModel loadDecoder(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        return DECODERS.build(config, checkpoint, backend);
    }

    /** Loads the encoder-decoder model in a directory holding config.json and its weights. */
    public static Seq2SeqModel loadSeq2Seq(Path dir, Backend backend) {
        return SEQ2SEQ.open(dir, backend);
    }

    /** Builds an encoder-decoder model from a config and a checkpoint (which the model then owns). */
    public static Seq2SeqModel loadSeq2Seq(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        return SEQ2SEQ.build(config, checkpoint, backend);
    }

    /** Whether a directory looks like a model: config.json beside its weights. */
    public static boolean isModelDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"));
    }
}
