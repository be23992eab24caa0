package org.transformers4j.model.distilbert;

import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Activation;
import org.transformers4j.model.EncoderHead;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.Heads;
import org.transformers4j.model.ModelConfig;
import org.transformers4j.model.TransformerEncoder;
import org.transformers4j.nn.EncoderLayer;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.Embeddings;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.Weights;

/**
 * DistilBERT (DistilBertModel, DistilBertForMaskedLM, DistilBertForQuestionAnswering) with the
 * Hub's parameter names.
 */
public final class DistilBertModel {
    static final EncoderLayer.Names LAYER = new EncoderLayer.Names("attention.q_lin", "attention.k_lin",
            "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm");

    private DistilBertModel() {
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
    public static EncoderModel load(ModelConfig config, DistilBertConfig cfg, Weights w, String architecture) {
        w.ignore("(distilbert\\.)?embeddings\\.position_ids");
        String p = w.has("distilbert.embeddings.word_embeddings.weight") ? "distilbert." : "";
        long c = cfg.dim(), v = cfg.vocab_size();
        double eps = DistilBertConfig.LAYER_NORM_EPS;
        Embeddings emb = new Embeddings(w.get(p + "embeddings.word_embeddings.weight", v, c),
                w.get(p + "embeddings.position_embeddings.weight", cfg.max_position_embeddings(), c), null,
                LayerNorm.load(w, p + "embeddings.LayerNorm", c, eps));
        Activation act = Activation.fromConfigName(cfg.activation());
        List<TransformerLayer> layers = new ArrayList<>();
        for (int i = 0; i < cfg.n_layers(); i++) {
            layers.add(EncoderLayer.load(w, p + "transformer.layer." + i + ".", LAYER, c, cfg.hidden_dim(),
                    cfg.n_heads(), act, eps));
        }
        EncoderHead head = Heads.NONE;
        if (architecture.equals("DistilBertForQuestionAnswering")) {
            int labels = config.id2label().isEmpty() ? 2 : config.id2label().size();
            Heads.checkQuestionAnsweringLabels(config, labels);
            head = new Heads.QuestionAnswering(Linear.load(w, "qa_outputs", 2, c));
        }
        if (architecture.equals("DistilBertForMaskedLM")) {
            var projector = w.tiedOr("vocab_projector.weight", new long[] {v, c}, emb.word(),
                    cfg.tie_word_embeddings());
            head = new Heads.MaskedLm(Linear.load(w, "vocab_transform", c, c), act,
                    LayerNorm.load(w, "vocab_layer_norm", c, eps),
                    new Linear(projector, w.get("vocab_projector.bias", v)));
        }
        return new TransformerEncoder(config, w.backend(), w.checkpoint(), w.arena(), emb, layers, head, cfg.n_heads(),
                cfg.max_position_embeddings(), EncoderInput::absolutePositions);
    }
}
