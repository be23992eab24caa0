package org.transformers4j.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.checkpoint.Checkpoints;
import org.transformers4j.model.bart.BartConfig;
import org.transformers4j.model.bart.BartModel;
import org.transformers4j.model.bert.BertConfig;
import org.transformers4j.model.bert.BertModel;
import org.transformers4j.model.distilbert.DistilBertConfig;
import org.transformers4j.model.distilbert.DistilBertModel;
import org.transformers4j.model.gpt2.Gpt2Config;
import org.transformers4j.model.gpt2.Gpt2Model;
import org.transformers4j.model.gptneo.GptNeoConfig;
import org.transformers4j.model.gptneo.GptNeoModel;
import org.transformers4j.model.llama.LlamaConfig;
import org.transformers4j.model.llama.LlamaModel;
import org.transformers4j.model.t5.T5Config;
import org.transformers4j.model.t5.T5Model;
import org.transformers4j.nn.Weights;
import org.transformers4j.tensor.TensorArena;

/**
 * The architecture registry: picks the model class from config.json's {@code architectures}
 * (else its {@code model_type}), so one class serves every checkpoint of its shape.
 */
public final class ModelRegistry {
    /**
     * A family's loader: the checked config record and the weights to a model of the named
     * architecture. The weights' arena is the model's to own; the registry closes it if loading fails.
     */
    @FunctionalInterface
    interface Loader<C, M> {
        M load(ModelConfig config, C typed, Weights weights, String architecture);
    }

    /** One model_type: how its config.json reads into its record, and how the model is built. */
    private record Entry<C extends FamilyConfig, M>(Function<ModelConfig, C> read, Loader<C, M> loader) {

        M build(ModelConfig config, C typed, Checkpoint checkpoint, Backend backend, String architecture) {
            TensorArena arena = backend.longLived();
            try {
                Weights weights = new Weights(checkpoint, arena, backend);
                M model = loader.load(config, typed, weights, architecture);
                weights.reportUnused(architecture.isEmpty() ? config.modelType() : architecture);
                return model;
            } catch (RuntimeException | Error e) {
                arena.close();
                throw e;
            }
        }

        M build(ModelConfig config, Checkpoint checkpoint, Backend backend, String architecture) {
            return build(config, read.apply(config), checkpoint, backend, architecture);
        }

        /** Checks the config before anything is mapped, then opens the weights beside it; the model owns them. */
        M open(ModelConfig config, Path dir, Backend backend, String architecture) {
            C typed = read.apply(config);
            Checkpoint checkpoint = Checkpoints.open(dir);
            try {
                return build(config, typed, checkpoint, backend, architecture);
            } catch (RuntimeException | Error e) {
                checkpoint.close();
                throw e;
            }
        }
    }

    private static <C extends FamilyConfig, M> Entry<C, M> entry(Function<ModelConfig, C> read, Loader<C, M> loader) {
        return new Entry<>(read, loader);
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
     * The entries of one kind of model by model_type, the architectures they build, and the
     * architecture assumed when a config names none (or none: then the loader decides).
     */
    private record Family<M>(Kind kind, Map<String, Entry<?, M>> byType, List<String> architectures,
                             Map<String, String> defaultArchitecture) {

        Entry<?, M> entry(ModelConfig config) {
            String type = config.modelType();
            Entry<?, M> entry = byType.get(type);
            if (entry == null) {
                throw new CheckpointException(config.source() + ": model_type " + type + " belongs to the "
                        + ModelRegistry.kind(config) + " models; this loads " + kind + " models (types " + byType.keySet() + ")");
            }
            return entry;
        }

        String architecture(ModelConfig config) {
            String architecture = config.architectures().isEmpty()
                    ? defaultArchitecture.getOrDefault(config.modelType(), "") : config.architectures().get(0);
            if (!architecture.isEmpty() && !architectures.contains(architecture)) {
                throw new CheckpointException(config.source() + ": architecture " + architecture
                        + " is not supported; supported: " + architectures);
            }
            return architecture;
        }

        M build(ModelConfig config, Checkpoint checkpoint, Backend backend) {
            Entry<?, M> entry = entry(config);
            return entry.build(config, checkpoint, backend, architecture(config));
        }

        /** Reads config.json, checks it, opens the weights beside it and builds; the model owns the checkpoint. */
        M open(Path dir, Backend backend) {
            ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
            Entry<?, M> entry = entry(config);
            return entry.open(config, dir, backend, architecture(config));
        }
    }

    private static final Family<EncoderModel> ENCODERS = new Family<>(Kind.ENCODER,
            Map.of("bert", entry(BertConfig::from, BertModel::load),
                    "roberta", entry(BertConfig::from, BertModel::load),
                    "distilbert", entry(DistilBertConfig::from, DistilBertModel::load)),
            List.of("BertModel", "BertForMaskedLM", "BertForSequenceClassification", "BertForTokenClassification",
                    "RobertaModel", "RobertaForMaskedLM", "RobertaForTokenClassification", "DistilBertModel",
                    "DistilBertForMaskedLM"),
            Map.of("bert", "BertModel", "roberta", "RobertaModel", "distilbert", "DistilBertModel"));

    private static final Family<DecoderModel> DECODERS = new Family<>(Kind.DECODER,
            Map.of("gpt2", entry(Gpt2Config::from, Gpt2Model::load), "gpt_neo", entry(GptNeoConfig::from,
                    GptNeoModel::load), "llama", entry(LlamaConfig::from, LlamaModel::load)),
            List.of("GPT2LMHeadModel", "GPTNeoForCausalLM", "LlamaForCausalLM"), Map.of());

    private static final Family<Seq2SeqModel> SEQ2SEQ = new Family<>(Kind.SEQ2SEQ,
            Map.of("bart", entry(BartConfig::from, BartModel::load), "marian", entry(BartConfig::from, BartModel::load),
                    "t5", entry(T5Config::from, T5Model::load)),
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

    /**
     * The config.json read as its family's record and checked (every size, ratio and token id
     * the family reads), without loading anything: a {@link CheckpointException} names the file,
     * the key and the value of the first thing wrong.
     */
    public static FamilyConfig readConfig(ModelConfig config) {
        for (Family<?> f : List.of(ENCODERS, DECODERS, SEQ2SEQ)) {
            if (f.byType().containsKey(config.modelType())) {
                return f.byType().get(config.modelType()).read().apply(config);
            }
        }
        throw unknownType(config);
    }

    /** What the config describes; names the known types when it is none of them. */
    public static Kind kind(ModelConfig config) {
        String type = config.modelType();
        for (Family<?> f : List.of(ENCODERS, DECODERS, SEQ2SEQ)) {
            if (f.byType().containsKey(type)) {
                return f.kind();
            }
        }
        throw unknownType(config);
    }

    private static CheckpointException unknownType(ModelConfig config) {
        return new CheckpointException(config.source() + ": unknown model_type " + config.modelType()
                + "; encoder types: " + ENCODERS.byType().keySet() + ", decoder types: " + DECODERS.byType().keySet()
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
