package org.transformers4j.model;

import org.transformers4j.backend.Activation;
import org.transformers4j.backend.Backend;
import org.transformers4j.nn.LayerNorm;
import org.transformers4j.nn.Linear;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/** The heads shared by the BERT family. */
public final class Heads {
    private Heads() {
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

    /** Masked LM: decoder(LN(act(transform x))) with the decoder usually tied to the word embeddings. */
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

    /** Sequence classification: classifier(tanh(pooler(x at the first token))). */
    public record SequenceClassification(Linear pooler, Linear classifier) implements EncoderHead {
        @Override
        public EncoderModel.Head kind() {
            return EncoderModel.Head.SEQUENCE_CLASSIFICATION;
        }

        @Override
        public Tensor forward(Backend backend, Tensor x, int batch, int seq, TensorArena work, TensorArena out) {
            long c = x.dim(1);
            Tensor first = x.reshape(batch, seq * c).narrow(1, 0, c); // [B, C], row stride S * C
            Tensor pooled = pooler.forward(backend, first, Activation.NONE, work);
            float[] v;
            try (TensorArena host = TensorArena.confined()) {
                v = backend.toHost(pooled, host).toFloatArray();
            }
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) Math.tanh(v[i]);
            }
            pooled = backend.values(v, work, pooled.shape().toArray());
            Tensor logits = Rows.target(backend, out, work).empty(batch, classifier.outFeatures());
            backend.linear(pooled, classifier.weight(), classifier.bias(), Activation.NONE, logits);
            return backend.toHost(logits, out);
        }
    }

    /** Token classification: classifier(x) at every token. */
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
}
