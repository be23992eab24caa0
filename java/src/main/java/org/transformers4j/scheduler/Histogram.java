package org.transformers4j.scheduler;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of observations at most each of a fixed list of bounds, their count and sum: what a
 * Prometheus histogram exposes. Safe to update from any thread.
 */
public final class Histogram {
    private final double[] bounds;
    private final LongAdder[] counts;
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    /**
     * Buckets with these upper bounds (ascending); a last, unbounded bucket is implied.
     *
     * @param bounds the buckets' upper bounds, ascending
     */
    public Histogram(double... bounds) {
        for (int i = 1; i < bounds.length; i++) {
            if (!(bounds[i] > bounds[i - 1])) {
                throw new IllegalArgumentException("histogram bounds must ascend: " + bounds[i - 1] + ", " + bounds[i]);
            }
        }
        this.bounds = bounds.clone();
        this.counts = new LongAdder[bounds.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    /**
     * Latency buckets in seconds, 1 ms to 60 s.
     *
     * @return the histogram
     */
    public static Histogram seconds() {
        return new Histogram(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);
    }

    /** {@return size buckets, powers of two to 65,536} */
    public static Histogram sizes() {
        double[] b = new double[17];
        for (int i = 0; i < b.length; i++) {
            b[i] = 1 << i;
        }
        return new Histogram(b);
    }

    /**
     * Counts one value in its bucket and in the sum.
     *
     * @param value the value
     */
    public void observe(double value) {
        for (int i = 0; i < bounds.length; i++) {
            if (value <= bounds[i]) {
                counts[i].increment();
                break;
            }
        }
        count.increment();
        sum.add(value);
    }

    /** {@return the upper bounds of the buckets, without the unbounded last one} */
    public double[] bounds() {
        return bounds.clone();
    }

    /**
     * Observations at most each bound (cumulative, as Prometheus' {@code le} buckets).
     *
     * @return one count per bound
     */
    public long[] cumulativeCounts() {
        long[] out = new long[bounds.length];
        long running = 0;
        for (int i = 0; i < bounds.length; i++) {
            running += counts[i].sum();
            out[i] = running;
        }
        return out;
    }

    /**
     * {@return how many values were observed}
     */
    public long count() {
        return count.sum();
    }

    /**
     * {@return the sum of the values observed}
     */
    public double sum() {
        return sum.sum();
    }
}
