package org.transformers4j.verify;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.transformers4j.backend.Backend;
import org.transformers4j.checkpoint.SafeTensors;
import org.transformers4j.model.DecoderInput;
import org.transformers4j.model.DecoderModel;
import org.transformers4j.model.DecoderOutput;
import org.transformers4j.model.EncoderInput;
import org.transformers4j.model.EncoderModel;
import org.transformers4j.model.EncoderOutput;
import org.transformers4j.model.Seq2SeqModel;
import org.transformers4j.model.Seq2SeqOutput;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Runs a model on the inputs stored in a reference file (the format of Hugging Face fixture
 * dumps: input_ids, attention_mask, token_type_ids, hidden_states.N, logits, or start_logits and
 * end_logits for question answering) and compares every output the file holds, at positions
 * whose attention mask is 1.
 */
public final class ParityCheck {
    /**
     * One compared tensor: max |ours - reference| / max |reference| over real positions, and for
     * logits the share of real positions whose highest logit is the reference's (NaN otherwise),
     * counting only positions where the reference decides: its two highest logits at least
     * {@link #TIE_MARGIN} of its largest |logit| apart. {@code nearTies} says how many were left out.
     *
     * @param tensor the compared tensor's name in the reference file, for example "logits"
     * @param relativeError max |ours - reference| / max |reference| over real positions
     * @param maxAbsError max |ours - reference| over real positions
     * @param top1Agreement for logits, the share of deciding positions whose top token agrees; NaN otherwise
     * @param nearTies the positions left out of top1Agreement as near ties
     */
    public record Result(String tensor, double relativeError, double maxAbsError, double top1Agreement,
                         int nearTies) {
    }

    /**
     * Reference top-1 margins below this share of the largest |logit| are ties at half precision
     * (float16 resolves about 1e-3 of a value, bfloat16 8e-3), which no half-precision run can order.
     */
    public static final double TIE_MARGIN = 1e-2;

    private ParityCheck() {
    }

    /**
     * Compares an encoder model with a reference file (hidden_states.N, logits, or start_logits and
     * end_logits).
     *
     * @param model the model to run
     * @param reference a safetensors file with input_ids and, optionally, attention_mask and token_type_ids
     * @return one result per output the file holds, in the order hidden states, then logits (or start and end logits)
     * @throws org.transformers4j.checkpoint.CheckpointException when the file cannot be read or lacks input_ids
     * @throws IllegalArgumentException when an output's shape differs from the reference's
     */
    public static List<Result> encoder(EncoderModel model, Path reference) {
        try (SafeTensors ref = SafeTensors.open(reference); TensorArena arena = TensorArena.confined()) {
            var shape = ref.shape("input_ids");
            int b = (int) shape.dim(0), s = (int) shape.dim(1);
            long[] mask = ref.has("attention_mask") ? ref.loadLongs("attention_mask") : null;
            long[] types = ref.has("token_type_ids") ? ref.loadLongs("token_type_ids") : null;
            EncoderInput in = new EncoderInput(b, s, ref.loadLongs("input_ids"), mask, types);
            EncoderOutput out = model.forward(in, true, arena);
            List<Result> results = new ArrayList<>();
            for (int i = 0; i < out.hiddenStates().size(); i++) {
                String name = "hidden_states." + i;
                if (ref.has(name)) {
                    results.add(compare(name, out.hiddenStates().get(i), ref.load(name, arena), mask, b, s));
                }
            }
            if (out.logits() != null && model.head() == EncoderModel.Head.QUESTION_ANSWERING) {
                compareSpans(results, out.logits(), ref, mask, b, s, arena);
            } else if (out.logits() != null && ref.has("logits")) {
                Tensor want = ref.load("logits", arena);
                boolean perToken = want.rank() == 3 || model.head() == EncoderModel.Head.REPLACED_TOKEN_DETECTION;
                results.add(compare("logits", out.logits(), want, perToken ? mask : null, b, s));
            }
            return results;
        }
    }

    /**
     * A question-answering head's [B, S, 2] logits as transformers returns them, start_logits and
     * end_logits ([B, S] each), against those the reference holds.
     */
    private static void compareSpans(List<Result> results, Tensor logits, SafeTensors ref, long[] mask, int b, int s,
                                     TensorArena arena) {
        float[] both = logits.toFloatArray();
        String[] names = {"start_logits", "end_logits"};
        for (int k = 0; k < 2; k++) {
            if (!ref.has(names[k])) {
                continue;
            }
            float[] part = new float[b * s];
            for (int i = 0; i < part.length; i++) {
                part[i] = both[2 * i + k];
            }
            results.add(compare(names[k], arena.of(part, b, s), ref.load(names[k], arena), mask, b, s));
        }
    }

    /**
     * Compares a decoder-only model's forward pass (hidden states, logits) with a reference file.
     *
     * @param model the model to run
     * @param reference a safetensors file with input_ids and, optionally, attention_mask
     * @return one result per output the file holds, in the order hidden states, then logits
     * @throws org.transformers4j.checkpoint.CheckpointException when the file cannot be read or lacks input_ids
     * @throws IllegalArgumentException when an output's shape differs from the reference's
     */
    public static List<Result> decoder(DecoderModel model, Path reference) {
        try (SafeTensors ref = SafeTensors.open(reference); TensorArena arena = TensorArena.confined()) {
            var shape = ref.shape("input_ids");
            int b = (int) shape.dim(0), s = (int) shape.dim(1);
            long[] mask = ref.has("attention_mask") ? ref.loadLongs("attention_mask") : null;
            DecoderOutput out = model.forward(new DecoderInput(b, s, ref.loadLongs("input_ids"), mask, null), true,
                    arena);
            List<Result> results = new ArrayList<>();
            for (int i = 0; i < out.hiddenStates().size(); i++) {
                String name = "hidden_states." + i;
                if (ref.has(name)) {
                    results.add(compare(name, out.hiddenStates().get(i), ref.load(name, arena), mask, b, s));
                }
            }
            if (ref.has("logits")) {
                results.add(compare("logits", out.logits(), ref.load("logits", arena), mask, b, s));
            }
            return results;
        }
    }

    /**
     * Compares an encoder-decoder model's teacher-forced pass (encoder_hidden_states.N at real
     * source positions, decoder_hidden_states.N, logits) with a reference file.
     *
     * @param model the model to run
     * @param reference a safetensors file with input_ids, decoder_input_ids and, optionally,
     *        attention_mask and decoder_attention_mask
     * @return one result per output the file holds: encoder hidden states, decoder hidden states, logits
     * @throws org.transformers4j.checkpoint.CheckpointException when the file cannot be read or lacks the inputs
     * @throws IllegalArgumentException when an output's shape differs from the reference's
     */
    public static List<Result> seq2seq(Seq2SeqModel model, Path reference) {
        try (SafeTensors ref = SafeTensors.open(reference); TensorArena arena = TensorArena.confined()) {
            var src = ref.shape("input_ids");
            var tgt = ref.shape("decoder_input_ids");
            int b = (int) src.dim(0), s = (int) src.dim(1), t = (int) tgt.dim(1);
            long[] mask = ref.has("attention_mask") ? ref.loadLongs("attention_mask") : null;
            long[] targetMask = ref.has("decoder_attention_mask") ? ref.loadLongs("decoder_attention_mask") : null;
            Seq2SeqOutput out = model.forward(new EncoderInput(b, s, ref.loadLongs("input_ids"), mask, null),
                    new DecoderInput(b, t, ref.loadLongs("decoder_input_ids"), targetMask, null), true, arena);
            List<Result> results = new ArrayList<>();
            compareAll(results, "encoder_hidden_states.", out.encoder().hiddenStates(), ref, mask, b, s, arena);
            compareAll(results, "decoder_hidden_states.", out.decoder().hiddenStates(), ref, targetMask, b, t, arena);
            if (ref.has("logits")) {
                results.add(compare("logits", out.decoder().logits(), ref.load("logits", arena), targetMask, b, t));
            }
            return results;
        }
    }

    private static void compareAll(List<Result> results, String prefix, List<Tensor> got, SafeTensors ref, long[] mask,
                                   int b, int s, TensorArena arena) {
        for (int i = 0; i < got.size(); i++) {
            if (ref.has(prefix + i)) {
                results.add(compare(prefix + i, got.get(i), ref.load(prefix + i, arena), mask, b, s));
            }
        }
    }

    /** Error over rows [B, S, ...] whose mask is 1 (all rows when mask is null or shapes are [B, L]). */
    static Result compare(String name, Tensor got, Tensor want, long[] mask, int b, int s) {
        if (!got.shape().equals(want.shape())) {
            throw new IllegalArgumentException(name + ": shape " + got.shape() + " differs from the reference "
                    + want.shape());
        }
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        int rowLen = mask == null ? g.length : g.length / (b * s);
        double err = 0, mag = 0;
        for (int i = 0; i < g.length; i++) {
            if (mask != null && mask[i / rowLen] == 0) {
                continue;
            }
            double d = Math.abs((double) g[i] - w[i]);
            err = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(err, d);
            mag = Math.max(mag, Math.abs(w[i]));
        }
        if (!name.equals("logits")) {
            return new Result(name, mag == 0 ? err : err / mag, err, Double.NaN, 0);
        }
        int v = rowLen == g.length ? (int) got.dim(-1) : rowLen, rows = g.length / v, same = 0, counted = 0, ties = 0;
        for (int r = 0; r < rows; r++) {
            if (mask != null && mask.length == rows && mask[r] == 0) {
                continue;
            }
            int best = argmax(w, r * v, v);
            if (w[r * v + best] - second(w, r * v, v, best) < TIE_MARGIN * mag) {
                ties++;
                continue;
            }
            counted++;
            same += argmax(g, r * v, v) == best ? 1 : 0;
        }
        double top1 = counted == 0 ? Double.NaN : (double) same / counted;
        return new Result(name, mag == 0 ? err : err / mag, err, top1, ties);
    }

    /** The highest value of x[from, from + n) other than the one at index skip. */
    private static float second(float[] x, int from, int n, int skip) {
        float best = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            best = i != skip && x[from + i] > best ? x[from + i] : best;
        }
        return best;
    }

    private static int argmax(float[] x, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            best = x[from + i] > x[from + best] ? i : best;
        }
        return best;
    }
}
