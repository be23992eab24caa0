package org.transformers4j.model.modernbert;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.model.EncoderHead;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.Rows;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * ModernBERT's task heads: each starts with its prediction head, norm(act(dense(x))), then a
 * classifier, on the pooled sequence (sequence classification) or at every token (token
 * classification, question answering). The masked-LM head is {@link org.transformers4j.model.Heads.MaskedLm}.
 */
final class ModernBertHeads {
    private ModernBertHeads() {
    }

    /** ModernBertPredictionHead: norm(act(dense(x))), dense's bias by classifier_bias, norm's by norm_bias. */
    record Prediction(Linear dense, Activation act, LayerNorm norm) {
        Tensor forward(Backend backend, Tensor x, TensorArena work) {
            return norm.forward(backend, dense.forward(backend, x, act, work), null, work);
        }
    }

    /** classifier(prediction(pool(x))), the pool the first token ("cls") or the mean over the attention mask. */
    record SequenceClassification(boolean meanPooling, Prediction prediction, Linear classifier) implements EncoderHead {
        @Override
        public EncoderModel.Head kind() {
            return EncoderModel.Head.SEQUENCE_CLASSIFICATION;
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            return forward(backend, x, new EncoderInput(batch, seq, new long[batch * seq], null, null), work, out);
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, EncoderInput in, TensorArena work, TensorArena out) {
            int b = in.batch(), s = in.seq();
            long c = x.dim(1);
            Tensor pooled = meanPooling ? mean(backend, x, in, work) : x.reshape(b, s * c).narrow(1, 0, c);
            Tensor h = prediction.forward(backend, pooled, work);
            Tensor logits = Rows.target(backend, out, work).empty(b, classifier.outFeatures());
            backend.linear(h, classifier.weight(), classifier.bias(), Activation.NONE, logits);
            return backend.toHost(logits, out);
        }

        /**
         * The mean of each sequence's rows whose attention mask is 1 (all rows without a mask):
         * per sequence, the [1, S] row of weights mask / count times its [S, C] rows.
         */
        private static Tensor mean(Backend backend, Tensor x, EncoderInput in, TensorArena work) {
            int b = in.batch(), s = in.seq();
            float[] weights = new float[b * s];
            for (int r = 0; r < b; r++) {
                int count = 0;
                for (int t = 0; t < s; t++) {
                    count += in.attentionMask() == null || in.attentionMask()[r * s + t] != 0 ? 1 : 0;
                }
                for (int t = 0; t < s && count > 0; t++) {
                    boolean real = in.attentionMask() == null || in.attentionMask()[r * s + t] != 0;
                    weights[r * s + t] = real ? 1f / count : 0f;
                }
            }
            Tensor w = backend.values(weights, work, b, s), pooled = work.empty(b, x.dim(1));
            for (int r = 0; r < b; r++) {
                backend.matmul(w.narrow(0, r, 1), false, x.narrow(0, (long) r * s, s), false, pooled.narrow(0, r, 1),
                        1f, 0f);
            }
            return pooled;
        }
    }

    /** classifier(prediction(x)) at every token: token classification, or question answering with 2 outputs. */
    record PerToken(EncoderModel.Head kind, Prediction prediction, Linear classifier) implements EncoderHead {
        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            Tensor h = prediction.forward(backend, x, work);
            long n = classifier.outFeatures();
            Tensor logits = Rows.target(backend, out, work).empty(batch * (long) seq, n);
            backend.linear(h, classifier.weight(), classifier.bias(), Activation.NONE, logits);
            return backend.toHost(logits, out).reshape(batch, seq, n);
        }
    }
}
