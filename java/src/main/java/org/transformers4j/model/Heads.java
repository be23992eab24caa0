package org.transformers4j.model;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.CheckpointException;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** The heads shared by the BERT family (BERT, RoBERTa, XLM-RoBERTa, DistilBERT, ELECTRA). */
public final class Heads {
    private Heads() {
    }

    /**
     * transformers splits the num_labels outputs of a question-answering head into start and end
     * logits: a config whose id2label gives another count cannot be one.
     *
     * @param config the model's configuration, named in the message
     * @param labels the label count id2label gives
     * @throws CheckpointException when labels is not 2
     */
    public static void checkQuestionAnsweringLabels(ModelConfig config, int labels) {
        if (labels != 2) {
            throw new CheckpointException(config.source() + ": a question-answering model has 2 labels (start and"
                    + " end logits), id2label gives " + labels);
        }
    }

    /** No head: the model returns hidden states only. */
    public static final EncoderHead NONE = new EncoderHead() {
        @Override
        public EncoderModel.Head kind() {
            return EncoderModel.Head.NONE;
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            return null;
        }
    };

    /**
     * Masked LM: decoder(LN(act(transform x))) with the decoder usually tied to the word embeddings;
     * logits [B, S, V].
     *
     * @param transform the dense layer, [C, C]
     * @param act its activation
     * @param norm the layer norm after it
     * @param decoder the projection to the vocabulary, [V, C]
     */
    public record MaskedLm(Linear transform, Activation act, LayerNorm norm, Linear decoder) implements EncoderHead {
        @Override
        public EncoderModel.Head kind() {
            return EncoderModel.Head.MASKED_LM;
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            Tensor t = norm.forward(backend, transform.forward(backend, x, act, work), null, work);
            Tensor logits = Rows.target(backend, out, work).empty(batch * (long) seq, decoder.outFeatures());
            backend.linear(t, decoder.weight(), decoder.bias(), Activation.NONE, logits);
            return backend.toHost(logits, out).reshape(batch, seq, decoder.outFeatures());
        }
    }

    /**
     * Sequence classification on the first token: classifier(act(dense(x[:, 0]))), with act tanh
     * where it is null (BERT's pooler, RoBERTa's classification head) and GELU for ELECTRA's;
     * logits [B, labels].
     *
     * @param dense the pooler or the head's dense layer, [C, C]
     * @param act its activation, or null for tanh
     * @param classifier the projection to the labels, [labels, C]
     */
    public record SequenceClassification(Linear dense, Activation act, Linear classifier) implements EncoderHead {
        /**
         * BERT's pooler and classifier: the activation is tanh.
         *
         * @param pooler the pooler's dense layer, [C, C]
         * @param classifier the projection to the labels, [labels, C]
         */
        public SequenceClassification(Linear pooler, Linear classifier) {
            this(pooler, null, classifier);
        }

        @Override
        public EncoderModel.Head kind() {
            return EncoderModel.Head.SEQUENCE_CLASSIFICATION;
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            long c = x.dim(1);
            Tensor first = x.reshape(batch, seq * c).narrow(1, 0, c); // [B, C], row stride S * C
            Tensor pooled = act != null ? dense.forward(backend, first, act, work) : tanh(backend,
                    dense.forward(backend, first, Activation.NONE, work), work);
            Tensor logits = Rows.target(backend, out, work).empty(batch, classifier.outFeatures());
            backend.linear(pooled, classifier.weight(), classifier.bias(), Activation.NONE, logits);
            return backend.toHost(logits, out);
        }

        /** tanh has no kernel: computed on the host, over B x C values. */
        private static Tensor tanh(Backend backend, Tensor pooled, TensorArena work) {
            float[] v;
            try (TensorArena host = TensorArena.confined()) {
                v = backend.toHost(pooled, host).toFloatArray();
            }
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) Math.tanh(v[i]);
            }
            return backend.values(v, work, pooled.shape().toArray());
        }
    }

    /**
     * Token classification: classifier(x) at every token; logits [B, S, labels].
     *
     * @param classifier the projection to the labels, [labels, C]
     */
    public record TokenClassification(Linear classifier) implements EncoderHead {
        @Override
        public EncoderModel.Head kind() {
            return EncoderModel.Head.TOKEN_CLASSIFICATION;
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            Tensor logits = Rows.target(backend, out, work).empty(batch * (long) seq, classifier.outFeatures());
            backend.linear(x, classifier.weight(), classifier.bias(), Activation.NONE, logits);
            return backend.toHost(logits, out).reshape(batch, seq, classifier.outFeatures());
        }
    }

    /**
     * Question answering (extractive): qa_outputs(x) at every token, [B, S, 2], start logits at
     * index 0 and end logits at 1 (transformers splits the last axis into the two).
     *
     * @param qa the projection to start and end logits, [2, C]
     */
    public record QuestionAnswering(Linear qa) implements EncoderHead {
        /**
         * Checks the projection's size.
         *
         * @throws IllegalArgumentException when qa does not have 2 outputs
         */
        public QuestionAnswering {
            if (qa.outFeatures() != 2) {
                throw new IllegalArgumentException("a question-answering head has 2 outputs (start, end), this one "
                        + qa.outFeatures());
            }
        }

        @Override
        public EncoderModel.Head kind() {
            return EncoderModel.Head.QUESTION_ANSWERING;
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            Tensor logits = Rows.target(backend, out, work).empty(batch * (long) seq, 2);
            backend.linear(x, qa.weight(), qa.bias(), Activation.NONE, logits);
            return backend.toHost(logits, out).reshape(batch, seq, 2);
        }
    }

    /**
     * ELECTRA's discriminator: prediction(act(dense(x))) at every token, one logit each ([B, S];
     * positive where the token looks replaced).
     *
     * @param dense the dense layer, [C, C]
     * @param act its activation
     * @param prediction the projection to one logit, [1, C]
     */
    public record ReplacedTokenDetection(Linear dense, Activation act, Linear prediction) implements EncoderHead {
        @Override
        public EncoderModel.Head kind() {
            return EncoderModel.Head.REPLACED_TOKEN_DETECTION;
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            Tensor h = dense.forward(backend, x, act, work);
            Tensor logits = Rows.target(backend, out, work).empty(batch * (long) seq, 1);
            backend.linear(h, prediction.weight(), prediction.bias(), Activation.NONE, logits);
            return backend.toHost(logits, out).reshape(batch, seq);
        }
    }
}
