package org.transformers4j.verify;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.Backends;
import org.transformers4j.backend.SoftmaxOptions;
import org.transformers4j.backend.reference.ReferenceBackend;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.Tensor;
import org.transformers4j.tensor.TensorArena;

/**
 * Runs each kernel once on small random inputs through a backend and the plain Java reference,
 * and prints what it computed, which backend and GEMM ran, and the error. {@code java -cp
 * transformers4j.jar:... org.transformers4j.verify.SelfCheck [device]} checks an installation.
 */
public final class SelfCheck {
    private SelfCheck() {
    }

    /**
     * Runs the check and exits with 0 when every kernel is within 1e-5 of the reference, else 1.
     *
     * @param args the device, for example "cpu" or "cuda:0"; "cpu" when absent
     */
    public static void main(String[] args) {
        System.exit(run(System.out, args.length > 0 ? args[0] : "cpu"));
    }

    /**
     * Runs each kernel on small random inputs and prints what it computed and how far from the reference.
     *
     * @param out where the report goes
     * @param deviceName the device, for example "cpu" or "cuda:0"
     * @return 0 when the worst relative error is at most 1e-5, else 1
     * @throws IllegalArgumentException when deviceName is not a device
     * @throws IllegalStateException when the device's backend cannot run here
     */
    public static int run(PrintStream out, String deviceName) {
        SplittableRandom rnd = new SplittableRandom(7);
        try (Backend backend = Backends.create(Device.parse(deviceName));
             Backend ref = new ReferenceBackend();
             TensorArena arena = TensorArena.confined();
             TensorArena dev = backend.longLived()) {
            out.println("backend: " + backend.name() + " on " + backend.device());
            out.println("kernels: " + backend.kernelProvider());
            out.println("GEMM:    " + backend.gemmProvider());
            UnaryOperator<Tensor> on = t -> backend.toDevice(t, dev);
            double worst = 0;

            Tensor x = random(arena, rnd, 3, 100), gamma = random(arena, rnd, 100), beta = random(arena, rnd, 100);
            Tensor y = dev.empty(3, 100), yr = arena.zeros(3, 100);
            backend.layerNorm(on.apply(x), null, null, on.apply(gamma), on.apply(beta), 1e-5f, y);
            ref.layerNorm(x, null, null, gamma, beta, 1e-5f, yr);
            worst = Math.max(worst, report(out, "layer norm [3, 100]", backend.toHost(y, arena), yr));

            Tensor s = random(arena, rnd, 2, 3, 7, 7), p = dev.empty(2, 3, 7, 7), pr = arena.zeros(2, 3, 7, 7);
            SoftmaxOptions so = SoftmaxOptions.scaled(0.5f).withCausal().withKeyLength(7, 4);
            backend.softmax(on.apply(s), so, p);
            ref.softmax(s, so, pr);
            worst = Math.max(worst, report(out, "causal softmax [2, 3, 7, 7], key lengths {7, 4}",
                    backend.toHost(p, arena), pr));

            Tensor q = random(arena, rnd, 2, 33, 4, 12), k = random(arena, rnd, 2, 33, 2, 12);
            Tensor v = random(arena, rnd, 2, 33, 2, 12), o = dev.empty(2, 33, 4, 12), or = arena.zeros(2, 33, 4, 12);
            AttentionOptions ao = AttentionOptions.scaled((float) (1 / Math.sqrt(12))).withCausal().withKeyLength(33, 20);
            backend.attention(on.apply(q), on.apply(k), on.apply(v), ao, o);
            ref.attention(q, k, v, ao, or);
            worst = Math.max(worst, report(out, "attention B=2 S=33 H=4 K=2 D=12 causal+padding",
                    backend.toHost(o, arena), or));

            Tensor a = random(arena, rnd, 7, 48), w = random(arena, rnd, 33, 48), bias = random(arena, rnd, 33);
            Tensor l = dev.empty(7, 33), lr = arena.zeros(7, 33);
            backend.linear(on.apply(a), on.apply(w), on.apply(bias), Activation.GELU, l);
            ref.linear(a, w, bias, Activation.GELU, lr);
            worst = Math.max(worst, report(out, "linear+GELU [7, 48] x [33, 48]^T", backend.toHost(l, arena), lr));

            Tensor r = random(arena, rnd, 2, 5, 3, 16), rr = arena.of(r.toFloatArray(), 2, 5, 3, 16), rd = on.apply(r);
            float[] inv = {1f, 0.31f, 0.047f, 0.0093f, 0.0021f, 0.00068f}; // rotary dim 12 of 16 (partial)
            long[] pos = {0, 1, 2, 3, 4, 7, 100, 999, 4096, 5000};
            backend.rope(rd, pos, backend.floats(inv, dev, inv.length));
            ref.rope(rr, pos, arena.of(inv, inv.length));
            worst = Math.max(worst, report(out, "rope [2, 5, 3, 16], rotary dim 12, positions to 5000",
                    backend.toHost(rd, arena), rr));

            out.printf(Locale.ROOT, "worst relative error: %.2e (%s)%n", worst, worst <= 1e-5 ? "ok" : "TOO LARGE");
            return worst <= 1e-5 ? 0 : 1;
        }
    }

    private static Tensor random(TensorArena arena, SplittableRandom rnd, long... dims) {
        Tensor t = arena.zeros(dims);
        float[] v = new float[Math.toIntExact(t.shape().elements())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextDouble(-2, 2);
        }
        t.copyFrom(v);
        return t;
    }

    private static double report(PrintStream out, String what, Tensor got, Tensor want) {
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        double err = 0, mag = 0;
        for (int i = 0; i < g.length; i++) {
            err = Math.max(err, Math.abs(g[i] - w[i]));
            mag = Math.max(mag, Math.abs(w[i]));
        }
        double rel = mag == 0 ? err : err / mag;
        float[] head = Arrays.copyOf(g, Math.min(4, g.length));
        out.printf(Locale.ROOT, "%-50s first values %s  rel. error %.2e%n", what, Arrays.toString(head), rel);
        return rel;
    }
}
