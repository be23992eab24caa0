package org.transformers4j.model.bert;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.EncoderHead;
import org.transformers4j.model.Heads;
import org.transformers4j.model.TransformerEncoder;
import org.transformers4j.nn.EncoderLayer;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.Embeddings;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.Weights;

/**
 * BERT, RoBERTa and XLM-RoBERTa (the last is RoBERTa's architecture under its own names, its
 * weights under "roberta."): the bare model and its masked-LM, sequence-classification,
 * token-classification and question-answering heads, parameter names as the Hub writes them, with
 * or without the "bert." / "roberta." prefix.
 */
public final class BertModel {
    /** Parameter names of one layer (BertLayer), shared by ELECTRA. */
    public static final EncoderLayer.Names LAYER = new EncoderLayer.Names("attention.self.query", "attention.self.key",
            "attention.self.value", "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
            "output.dense", "output.LayerNorm");

    private BertModel() {
    }

    /**
     * Builds the model for the architecture named in the config from the checkpoint's weights.
     *
     * @param config the parsed config.json
     * @param cfg the family's checked config
     * @param w the checkpoint's tensors (every read recorded, leftovers reported)
     * @param architecture the architecture named in config.json (its head)
     * @return the model, which owns its weights
     */
    public static EncoderModel load(ModelConfig config, BertConfig cfg, Weights w, String architecture) {
        // buffers older checkpoints store; the pooler of checkpoints whose head does not use it (as transformers)
        w.ignore("((bert|roberta)\\.)?embeddings\\.(position_ids|token_type_ids)");
        w.ignore("((bert|roberta)\\.)?pooler\\..*");
        String base = cfg.isRoberta() ? "roberta." : "bert.";
        String p = w.has(base + "embeddings.word_embeddings.weight") ? base : "";
        long c = cfg.hidden_size();
        Embeddings emb = new Embeddings(w.get(p + "embeddings.word_embeddings.weight", cfg.vocab_size(), c),
                w.get(p + "embeddings.position_embeddings.weight", cfg.max_position_embeddings(), c),
                cfg.type_vocab_size() > 0
                        ? w.get(p + "embeddings.token_type_embeddings.weight", cfg.type_vocab_size(), c) : null,
                LayerNorm.load(w, p + "embeddings.LayerNorm", c, cfg.layer_norm_eps()));
        Activation act = Activation.fromConfigName(cfg.hidden_act());
        List<TransformerLayer> layers = new ArrayList<>();
        for (int i = 0; i < cfg.num_hidden_layers(); i++) {
            layers.add(EncoderLayer.load(w, p + "encoder.layer." + i + ".", LAYER, c, cfg.intermediate_size(),
                    cfg.num_attention_heads(), act, cfg.layer_norm_eps()));
        }
        if (architecture.endsWith("ForQuestionAnswering")) {
            Heads.checkQuestionAnsweringLabels(config, cfg.numLabels());
        }
        EncoderHead head = head(architecture, cfg, w, p, emb, act);
        return new TransformerEncoder(config, w.backend(), w.checkpoint(), w.arena(), emb, layers, head,
                cfg.num_attention_heads(), cfg.maxTokens(),
                cfg.isRoberta() ? in -> robertaPositions(in, cfg.pad_token_id()) : EncoderInput::absolutePositions);
    }

    /** RoBERTa: padding_idx + 1 + the count of non-padding tokens so far; padding keeps padding_idx. */
    static long[] robertaPositions(EncoderInput in, int pad) {
        long[] pos = new long[in.ids().length];
        for (int b = 0; b < in.batch(); b++) {
            long count = 0;
            for (int s = 0; s < in.seq(); s++) {
                int i = b * in.seq() + s;
                boolean real = in.ids()[i] != pad;
                count += real ? 1 : 0;
                pos[i] = real ? pad + count : pad;
            }
        }
        return pos;
    }

    private static EncoderHead head(String architecture, BertConfig cfg, Weights w, String p, Embeddings emb,
                                    Activation act) {
        long c = cfg.hidden_size(), labels = cfg.numLabels();
        return switch (architecture) {
            case "BertForMaskedLM" -> new Heads.MaskedLm(Linear.load(w, "cls.predictions.transform.dense", c, c), act,
                    LayerNorm.load(w, "cls.predictions.transform.LayerNorm", c, cfg.layer_norm_eps()),
                    decoder(w, cfg, emb, "cls.predictions.decoder.weight", "cls.predictions.bias",
                            "cls.predictions.decoder.bias"));
            case "RobertaForMaskedLM", "XLMRobertaForMaskedLM" -> new Heads.MaskedLm(
                    Linear.load(w, "lm_head.dense", c, c), Activation.GELU,
                    LayerNorm.load(w, "lm_head.layer_norm", c, cfg.layer_norm_eps()),
                    decoder(w, cfg, emb, "lm_head.decoder.weight", "lm_head.bias", "lm_head.decoder.bias"));
            case "BertForSequenceClassification" -> new Heads.SequenceClassification(
                    Linear.load(w, p + "pooler.dense", c, c), Linear.load(w, "classifier", labels, c));
            // RobertaClassificationHead: dense, tanh, out_proj on the first token
            case "RobertaForSequenceClassification", "XLMRobertaForSequenceClassification" ->
                    new Heads.SequenceClassification(Linear.load(w, "classifier.dense", c, c),
                            Linear.load(w, "classifier.out_proj", labels, c));
            case "BertForTokenClassification", "RobertaForTokenClassification", "XLMRobertaForTokenClassification" ->
                    new Heads.TokenClassification(Linear.load(w, "classifier", labels, c));
            case "BertForQuestionAnswering", "RobertaForQuestionAnswering", "XLMRobertaForQuestionAnswering" ->
                    new Heads.QuestionAnswering(Linear.load(w, "qa_outputs", 2, c));
            default -> Heads.NONE;
        };
    }

    /** The LM decoder: its own weight if stored, else tied to the word embeddings; its bias under either name. */
    private static Linear decoder(Weights w, BertConfig cfg, Embeddings emb, String weightName, String... biasNames) {
        long v = cfg.vocab_size(), c = cfg.hidden_size();
        var weight = w.tiedOr(weightName, new long[] {v, c}, emb.word(), cfg.tie_word_embeddings());
        return new Linear(weight, w.first(new long[] {v}, biasNames));
    }
}
