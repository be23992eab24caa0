package org.transformers4j.serve;

import com.google.gson.JsonArray;

/** Embedding vectors as the APIs return them. */
final class Vectors {
    private Vectors() {
    }

    /** v / |v| (v itself when it is all zeros), in double, rounded once to float. */
    static float[] normalized(float[] v) {
        double norm = 0;
        for (float f : v) {
            norm += (double) f * f;
        }
        double scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] * scale);
        }
        return out;
    }

    static JsonArray array(float[] v) {
        JsonArray a = new JsonArray(v.length);
        for (float f : v) {
            a.add(f);
        }
        return a;
    }
}
