package org.transformers4j.pipeline;

/** Softmax and top-k over logits, in double precision. */
final class Scores {
    private Scores() {
    }

    /** softmax(logits[from .. from + n)) */
    static double[] softmax(float[] logits, int from, int n) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[from + i]);
        }
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(logits[from + i] - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Indices of the k largest values, largest first (ties: lower index first). */
    static int[] topK(double[] p, int k) {
        int n = Math.min(k, p.length);
        int[] idx = new int[n];
        boolean[] taken = new boolean[p.length];
        for (int r = 0; r < n; r++) {
            int best = -1;
            for (int i = 0; i < p.length; i++) {
                if (!taken[i] && (best < 0 || p[i] > p[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            idx[r] = best;
        }
        return idx;
    }
}
