package org.transformers4j.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.transformers4j.model.electra.ElectraConfig;
import org.transformers4j.model.electra.ElectraModel;
import org.transformers4j.model.gpt2.Gpt2Config;
import org.transformers4j.model.gpt2.Gpt2Model;
import org.transformers4j.model.gptneo.GptNeoConfig;
import org.transformers4j.model.gemma.GemmaConfig;
import org.transformers4j.model.gemma.GemmaModel;
import org.transformers4j.model.gptneo.GptNeoModel;
import org.transformers4j.model.llama.LlamaConfig;
import org.transformers4j.model.llama.LlamaModel;
import org.transformers4j.model.mistral.MistralConfig;
import org.transformers4j.model.mistral.MistralModel;
import org.transformers4j.model.modernbert.ModernBertConfig;
import org.transformers4j.model.modernbert.ModernBertModel;
import org.transformers4j.model.phi3.Phi3Config;
import org.transformers4j.model.phi3.Phi3Model;
import org.transformers4j.model.qwen2.Qwen2Config;
import org.transformers4j.model.qwen2.Qwen2Model;
import org.transformers4j.model.qwen3.Qwen3Config;
import org.transformers4j.model.qwen3.Qwen3Model;
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
        /** An encoder-only model (BERT-like). */
        ENCODER("encoder"),
        /** A decoder-only model (GPT-like). */
        DECODER("decoder-only"),
        /** An encoder-decoder model (BART/T5-like). */
        SEQ2SEQ("encoder-decoder");

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
                    "distilbert", entry(DistilBertConfig::from, DistilBertModel::load),
                    "xlm-roberta", entry(BertConfig::from, BertModel::load),
                    "electra", entry(ElectraConfig::from, ElectraModel::load),
                    "modernbert", entry(ModernBertConfig::from, ModernBertModel::load)),
            List.of("BertModel", "BertForMaskedLM", "BertForSequenceClassification", "BertForTokenClassification",
                    "RobertaModel", "RobertaForMaskedLM", "RobertaForTokenClassification", "DistilBertModel",
                    "DistilBertForMaskedLM",
                    "BertForQuestionAnswering", "RobertaForSequenceClassification", "RobertaForQuestionAnswering",
                    "DistilBertForQuestionAnswering", "XLMRobertaModel", "XLMRobertaForMaskedLM",
                    "XLMRobertaForSequenceClassification", "XLMRobertaForTokenClassification",
                    "XLMRobertaForQuestionAnswering", "ElectraModel", "ElectraForPreTraining", "ElectraForMaskedLM",
                    "ElectraForSequenceClassification", "ElectraForTokenClassification", "ElectraForQuestionAnswering",
                    "ModernBertModel", "ModernBertForMaskedLM", "ModernBertForSequenceClassification",
                    "ModernBertForTokenClassification", "ModernBertForQuestionAnswering"),
            Map.of("bert", "BertModel", "roberta", "RobertaModel", "distilbert", "DistilBertModel",
                    "xlm-roberta", "XLMRobertaModel", "electra", "ElectraModel", "modernbert", "ModernBertModel"));

    private static final Family<DecoderModel> DECODERS = new Family<>(Kind.DECODER,
            Map.of("gpt2", entry(Gpt2Config::from, Gpt2Model::load), "gpt_neo", entry(GptNeoConfig::from,
                    GptNeoModel::load), "llama", entry(LlamaConfig::from, LlamaModel::load),
                    "qwen2", entry(Qwen2Config::from, Qwen2Model::load),
                    "qwen3", entry(Qwen3Config::from, Qwen3Model::load),
                    "mistral", entry(MistralConfig::from, MistralModel::load),
                    "gemma", entry(GemmaConfig::from, GemmaModel::load),
                    "phi3", entry(Phi3Config::from, Phi3Model::load)),
            List.of("GPT2LMHeadModel", "GPTNeoForCausalLM", "LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
                    "MistralForCausalLM", "GemmaForCausalLM", "Phi3ForCausalLM"), Map.of());

    /**
     * Decoder-only families with a sequence-classification head: built as encoders (a stack read
     * whole, labels per text), chosen by the architecture where the model_type is a decoder's.
     */
    private static final Family<EncoderModel> DECODER_CLASSIFIERS = new Family<>(Kind.ENCODER,
            Map.of("llama", entry(LlamaConfig::from, LlamaModel::loadClassifier),
                    "qwen2", entry(Qwen2Config::from, Qwen2Model::loadClassifier),
                    "qwen3", entry(Qwen3Config::from, Qwen3Model::loadClassifier),
                    "mistral", entry(MistralConfig::from, MistralModel::loadClassifier),
                    "gemma", entry(GemmaConfig::from, GemmaModel::loadClassifier),
                    "phi3", entry(Phi3Config::from, Phi3Model::loadClassifier)),
            List.of("LlamaForSequenceClassification", "Qwen2ForSequenceClassification",
                    "Qwen3ForSequenceClassification", "MistralForSequenceClassification",
                    "GemmaForSequenceClassification", "Phi3ForSequenceClassification"), Map.of());

    private static final Family<Seq2SeqModel> SEQ2SEQ = new Family<>(Kind.SEQ2SEQ,
            Map.of("bart", entry(BartConfig::from, BartModel::load), "marian", entry(BartConfig::from, BartModel::load),
                    "t5", entry(T5Config::from, T5Model::load),
                    "mbart", entry(BartConfig::from, BartModel::load), "pegasus", entry(BartConfig::from, BartModel::load),
                    "mt5", entry(T5Config::from, T5Model::load)),
            List.of("BartForConditionalGeneration", "MarianMTModel", "T5ForConditionalGeneration",
                    "MBartForConditionalGeneration", "PegasusForConditionalGeneration", "MT5ForConditionalGeneration"),
            Map.of());

    private ModelRegistry() {
    }

    /** {@return the architectures of encoder models this registry builds (decoders with a classification head included)} */
    public static List<String> encoderArchitectures() {
        List<String> all = new ArrayList<>(ENCODERS.architectures());
        all.addAll(DECODER_CLASSIFIERS.architectures());
        return List.copyOf(all);
    }

    /** {@return the architectures of decoder-only models this registry builds} */
    public static List<String> decoderArchitectures() {
        return DECODERS.architectures();
    }

    /** {@return the architectures of encoder-decoder models this registry builds} */
    public static List<String> seq2seqArchitectures() {
        return SEQ2SEQ.architectures();
    }

    /**
     * The config.json read as its family's record and checked (every size, ratio and token id
     * the family reads), without loading anything: a {@link CheckpointException} names the file,
     * the key and the value of the first thing wrong.
     *
     * @param config the parsed config.json
     * @return its family's config record
     */
    public static FamilyConfig readConfig(ModelConfig config) {
        for (Family<?> f : List.of(ENCODERS, DECODERS, SEQ2SEQ)) {
            if (f.byType().containsKey(config.modelType())) {
                return f.byType().get(config.modelType()).read().apply(config);
            }
        }
        throw unknownType(config);
    }

    /**
     * {@return what the config describes; names the known types when it is none of them}
     *
     * @param config the parsed config.json
     */
    public static Kind kind(ModelConfig config) {
        if (isDecoderClassifier(config)) {
            return Kind.ENCODER;
        }
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

    /**
     * Whether the config is a decoder-only family's with a sequence-classification head
     * (architectures[0] LlamaForSequenceClassification and the like): an encoder to its users.
     */
    private static boolean isDecoderClassifier(ModelConfig config) {
        List<String> architectures = config.architectures();
        return !architectures.isEmpty() && DECODER_CLASSIFIERS.architectures().contains(architectures.get(0))
                && DECODER_CLASSIFIERS.byType().containsKey(config.modelType());
    }

    /**
     * Loads the encoder model in a directory holding config.json and its weights.
     *
     * @param dir the model directory
     * @param backend where the model runs
     * @return the model, which owns its weights
     */
    public static EncoderModel loadEncoder(Path dir, Backend backend) {
        if (isDecoderClassifier(ModelConfig.read(dir.resolve("config.json")))) {
            return DECODER_CLASSIFIERS.open(dir, backend);
        }
        return ENCODERS.open(dir, backend);
    }

    /**
     * Builds an encoder model from a config and a checkpoint (which the model then owns).
     *
     * @param config the parsed config.json
     * @param checkpoint the weights
     * @param backend where the model runs
     * @return the model, which owns its weights
     */
    public static EncoderModel loadEncoder(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        return (isDecoderClassifier(config) ? DECODER_CLASSIFIERS : ENCODERS).build(config, checkpoint, backend);
    }

    /**
     * Loads the decoder-only model in a directory holding config.json and its weights.
     *
     * @param dir the model directory
     * @param backend where the model runs
     * @return the model, which owns its weights
     */
    public static DecoderModel loadDecoder(Path dir, Backend backend) {
        return DECODERS.open(dir, backend);
    }

    /**
     * Builds a decoder-only model from a config and a checkpoint (which the model then owns).
     *
     * @param config the parsed config.json
     * @param checkpoint the weights
     * @param backend where the model runs
     * @return the model, which owns its weights
     */
    public static DecoderModel loadDecoder(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        return DECODERS.build(config, checkpoint, backend);
    }

    /**
     * Loads the encoder-decoder model in a directory holding config.json and its weights.
     *
     * @param dir the model directory
     * @param backend where the model runs
     * @return the model, which owns its weights
     */
    public static Seq2SeqModel loadSeq2Seq(Path dir, Backend backend) {
        return SEQ2SEQ.open(dir, backend);
    }

    /**
     * Builds an encoder-decoder model from a config and a checkpoint (which the model then owns).
     *
     * @param config the parsed config.json
     * @param checkpoint the weights
     * @param backend where the model runs
     * @return the model, which owns its weights
     */
    public static Seq2SeqModel loadSeq2Seq(ModelConfig config, Checkpoint checkpoint, Backend backend) {
        return SEQ2SEQ.build(config, checkpoint, backend);
    }

    /**
     * {@return whether a directory looks like a model: config.json beside its weights}
     *
     * @param dir a directory
     */
    public static boolean isModelDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"));
    }
}
