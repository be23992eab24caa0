package org.transformers4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.Checkpoint;
import org.transformers4j.nn.TransformerLayer;
import org.transformers4j.nn.AttentionMaps;
import org.transformers4j.nn.Embeddings;
import org.transformers4j.nn.LayerStep;
import org.transformers4j.nn.Linear;
import org.transformers4j.nn.PackedTokens;
import org.transformers4j.nn.PaddingMask;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Embeddings, a stack of post-norm encoder layers and a head: what BERT, RoBERTa, XLM-RoBERTa,
 * DistilBERT and ELECTRA share. The family classes load the parameters under their own names and
 * say how position ids are made; ELECTRA's embeddings, narrower than its layers, pass through a
 * projection first.
 */
public final class TransformerEncoder extends TransformerBase implements EncoderModel {
    private final Embeddings embeddings;
    private final Linear projection;
    private final List<TransformerLayer> layers;
    private final EncoderHead head;
    private final int heads;
    private final int maxPositions;
    private final Function<EncoderInput, long[]> positionIds;

    /**
     * Assembles a model; it owns the weights arena and the checkpoint and closes both.
     *
     * @param config the model's configuration
     * @param backend the backend the weights are on and the passes run on
     * @param checkpoint the file the weights were read from
     * @param weights the arena holding the weights
     * @param embeddings the word, position and token type embeddings, with their norm
     * @param layers the encoder layers, in order
     * @param head what follows the last layer ({@link Heads#NONE} for hidden states only)
     * @param heads H, the attention heads (the scores are scaled by 1/sqrt(C / H))
     * @param maxPositions the longest input; a longer one is refused
     * @param positionIds the position ids of an input (BERT: 0, 1, 2, ...; RoBERTa: from padding_idx + 1,
     *        skipping padding)
     */
    public TransformerEncoder(ModelConfig config, Backend backend, Checkpoint checkpoint, TensorArena weights,
                       Embeddings embeddings, List<TransformerLayer> layers, EncoderHead head, int heads, int maxPositions,
                       Function<EncoderInput, long[]> positionIds) {
        this(config, backend, checkpoint, weights, embeddings, null, layers, head, heads, maxPositions, positionIds);
    }

    /**
     * As above, with a projection of the embeddings to the layers' width (ELECTRA's
     * embeddings_project), or null for none.
     *
     * @param config the model's configuration
     * @param backend the backend the weights are on and the passes run on
     * @param checkpoint the file the weights were read from
     * @param weights the arena holding the weights
     * @param embeddings the word, position and token type embeddings, with their norm
     * @param projection the projection to the layers' width, or null
     * @param layers the encoder layers, in order
     * @param head what follows the last layer ({@link Heads#NONE} for hidden states only)
     * @param heads H, the attention heads (the scores are scaled by 1/sqrt(C / H))
     * @param maxPositions the longest input; a longer one is refused
     * @param positionIds the position ids of an input (BERT: 0, 1, 2, ...; RoBERTa: from padding_idx + 1,
     *        skipping padding)
     */
    public TransformerEncoder(ModelConfig config, Backend backend, Checkpoint checkpoint, TensorArena weights,
                       Embeddings embeddings, Linear projection, List<TransformerLayer> layers, EncoderHead head,
                       int heads, int maxPositions, Function<EncoderInput, long[]> positionIds) {
        super(config, backend, checkpoint, weights);
        this.embeddings = embeddings;
        this.projection = projection;
        this.layers = List.copyOf(layers);
        this.head = head;
        this.heads = heads;
        this.maxPositions = maxPositions;
        this.positionIds = positionIds;
    }

    @Override
    public int vocabSize() {
        return (int) embeddings.word().dim(0);
    }

    @Override
    public int hiddenSize() {
        return (int) (projection != null ? projection.outFeatures() : embeddings.word().dim(1));
    }

    @Override
    public int maxPositions() {
        return maxPositions;
    }

    @Override
    public Head head() {
        return head.kind();
    }

    @Override
    public EncoderOutput forward(EncoderInput in, boolean allHiddenStates, TensorArena out) {
        return forward(in, allHiddenStates, false, out);
    }

    @Override
    public EncoderOutput forward(EncoderInput in, boolean allHiddenStates, boolean outputAttentions, TensorArena out) {
        guard.enter();
        try {
            return run(in, allHiddenStates, outputAttentions ? new AttentionMaps(out) : null, out);
        } finally {
            guard.exit();
        }
    }

    @Override
    public EncoderOutput forwardUnpadded(EncoderInput in, TensorArena out) {
        PackedTokens packed = pack(in);
        if (packed == null) {
            return forward(in, false, out);
        }
        checkLength(in);
        guard.enter();
        try (TensorArena work = backend.scratch()) {
            Tensor padded = packed.unpack(backend, packedLayers(packed, work), work);
            Tensor logits = head.forward(backend, padded, in, work, out);
            return new EncoderOutput(List.of(Rows.copyOut(backend, padded, in.batch(), in.seq(), out)), logits,
                    List.of());
        } finally {
            guard.exit();
        }
    }

    /** The head over the rows asked for alone, after a packed pass where the input packs. */
    @Override
    public Tensor logitsAt(EncoderInput in, long[] positions, TensorArena out) {
        Rows.checkPositions(this, in, positions);
        checkLength(in);
        guard.enter();
        try (TensorArena work = backend.scratch()) {
            PackedTokens packed = pack(in);
            if (packed == null) {
                return Rows.headAt(backend, head, paddedLayers(in, null, null, work, out), positions, work, out);
            }
            return Rows.headAt(backend, head, packedLayers(packed, work), packed.packedIndices(positions), work, out);
        } finally {
            guard.exit();
        }
    }

    private PackedTokens pack(EncoderInput in) {
        return PackedTokens.of(in.batch(), in.seq(), in.ids(), in.attentionMask(), in.tokenTypeIds(),
                positionIds.apply(in));
    }

    /** The layers over the packed tokens alone: their last hidden state [N, C] in work. */
    private Tensor packedLayers(PackedTokens packed, TensorArena work) {
        Tensor x = embeddings.forward(backend, packed.ids(), packed.positions(), packed.types(), work);
        if (projection != null) {
            x = projection.forward(backend, x, Activation.NONE, work);
        }
        LayerStep step = LayerStep.packedEncoder(packed.sequences(),
                AttentionOptions.scaled((float) (1 / Math.sqrt(hiddenSize() / heads))));
        for (int i = 0; i < layers.size(); i++) {
            try (TensorArena layerWork = backend.scratch()) {
                layers.get(i).forward(backend, x, step, i, layerWork);
            }
        }
        return x;
    }

    private void checkLength(EncoderInput in) {
        if (in.seq() > maxPositions) {
            throw new IllegalArgumentException("sequence of " + in.seq() + " tokens is longer than the "
                    + maxPositions + " positions of " + config.source() + "; truncate the input");
        }
    }

    private EncoderOutput run(EncoderInput in, boolean allHiddenStates, AttentionMaps maps, TensorArena out) {
        checkLength(in);
        List<Tensor> hidden = new ArrayList<>();
        try (TensorArena work = backend.scratch()) {
            Tensor x = paddedLayers(in, allHiddenStates ? hidden : null, maps, work, out);
            if (!allHiddenStates) {
                hidden.add(Rows.copyOut(backend, x, in.batch(), in.seq(), out));
            }
            Tensor logits = head.forward(backend, x, in, work, out);
            return new EncoderOutput(List.copyOf(hidden), logits, maps == null ? List.of() : maps.layers());
        }
    }

    /**
     * The layers over the padded rows: their last hidden state [B * S, C] in work; hidden (when
     * not null) gets a copy in out after the embeddings and after each layer, maps (when not
     * null) each layer's attention probabilities.
     */
    private Tensor paddedLayers(EncoderInput in, List<Tensor> hidden, AttentionMaps maps, TensorArena work,
                                TensorArena out) {
        int b = in.batch(), s = in.seq(), c = hiddenSize();
        Tensor x = embeddings.forward(backend, in.ids(), positionIds.apply(in), in.tokenTypeIds(), work);
        if (projection != null) {
            x = projection.forward(backend, x, Activation.NONE, work);
        }
        if (hidden != null) {
            hidden.add(Rows.copyOut(backend, x, b, s, out));
        }
        AttentionOptions mask = PaddingMask.apply(backend, AttentionOptions.scaled((float) (1 / Math.sqrt(c / heads))),
                in.attentionMask(), b, s, work);
        LayerStep step = LayerStep.encoder(b, s, mask).withAttentions(maps);
        for (int i = 0; i < layers.size(); i++) {
            try (TensorArena layerWork = backend.scratch()) {
                layers.get(i).forward(backend, x, step, i, layerWork);
            }
            if (hidden != null) {
                hidden.add(Rows.copyOut(backend, x, b, s, out));
            }
        }
        return x.reshape((long) b * s, c);
    }
}
