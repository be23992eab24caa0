package org.transformers4j.model.electra;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.model.EncoderHead;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.Heads;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.TransformerEncoder;
import org.transformers4j.model.bert.BertModel;
import org.transformers4j.nn.EncoderLayer;
import org.transformers4j.nn.Embeddings;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.Weights;

/**
 * ELECTRA (ElectraModel, ElectraForPreTraining, ElectraForMaskedLM, ElectraForSequenceClassification,
 * ElectraForTokenClassification, ElectraForQuestionAnswering): BERT's embeddings at embedding_size,
 * projected to hidden_size by embeddings_project where the two differ, then BERT's layers; weights
 * under "electra." as the Hub stores them (or without the prefix).
 */
public final class ElectraModel {
    private ElectraModel() {
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
    public static EncoderModel load(ModelConfig config, ElectraConfig cfg, Weights w, String architecture) {
        w.ignore("(electra\\.)?embeddings\\.(position_ids|token_type_ids)"); // buffers older checkpoints store
        String p = w.has("electra.embeddings.word_embeddings.weight") ? "electra." : "";
        long e = cfg.embedding_size(), c = cfg.hidden_size();
        Embeddings emb = new Embeddings(w.get(p + "embeddings.word_embeddings.weight", cfg.vocab_size(), e),
                w.get(p + "embeddings.position_embeddings.weight", cfg.max_position_embeddings(), e),
                w.get(p + "embeddings.token_type_embeddings.weight", cfg.type_vocab_size(), e),
                LayerNorm.load(w, p + "embeddings.LayerNorm", e, cfg.layer_norm_eps()));
        Linear projection = cfg.projectsEmbeddings() ? Linear.load(w, p + "embeddings_project", c, e) : null;
        Activation act = Activation.fromConfigName(cfg.hidden_act());
        List<TransformerLayer> layers = new ArrayList<>();
        for (int i = 0; i < cfg.num_hidden_layers(); i++) {
            layers.add(EncoderLayer.load(w, p + "encoder.layer." + i + ".", BertModel.LAYER, c, cfg.intermediate_size(),
                    cfg.num_attention_heads(), act, cfg.layer_norm_eps()));
        }
        if (architecture.equals("ElectraForQuestionAnswering")) {
            Heads.checkQuestionAnsweringLabels(config, cfg.numLabels());
        }
        EncoderHead head = head(architecture, cfg, w, emb, act);
        return new TransformerEncoder(config, w.backend(), w.checkpoint(), w.arena(), emb, projection, layers, head,
                cfg.num_attention_heads(), cfg.max_position_embeddings(), EncoderInput::absolutePositions);
    }

    private static EncoderHead head(String architecture, ElectraConfig cfg, Weights w, Embeddings emb,
                                    Activation act) {
        long c = cfg.hidden_size(), e = cfg.embedding_size(), v = cfg.vocab_size(), labels = cfg.numLabels();
        return switch (architecture) {
            case "ElectraForPreTraining" -> new Heads.ReplacedTokenDetection(
                    Linear.load(w, "discriminator_predictions.dense", c, c), act,
                    Linear.load(w, "discriminator_predictions.dense_prediction", 1, c));
            // the generator: GELU whatever hidden_act says, a norm at the embedding width, the tied table
            case "ElectraForMaskedLM" -> new Heads.MaskedLm(Linear.load(w, "generator_predictions.dense", e, c),
                    Activation.GELU, LayerNorm.load(w, "generator_predictions.LayerNorm", e, cfg.layer_norm_eps()),
                    new Linear(w.tiedOr("generator_lm_head.weight", new long[] {v, e}, emb.word(),
                            cfg.tie_word_embeddings()), w.get("generator_lm_head.bias", v)));
            // ElectraClassificationHead: GELU where BERT's pooler has tanh
            case "ElectraForSequenceClassification" -> new Heads.SequenceClassification(
                    Linear.load(w, "classifier.dense", c, c), Activation.GELU,
                    Linear.load(w, "classifier.out_proj", labels, c));
            case "ElectraForTokenClassification" -> new Heads.TokenClassification(Linear.load(w, "classifier", labels,
                    c));
            case "ElectraForQuestionAnswering" -> new Heads.QuestionAnswering(Linear.load(w, "qa_outputs", 2, c));
            default -> Heads.NONE;
        };
    }
}
