package org.transformers4j.scheduler;

/** Tokens per second over the last ten whole seconds, kept in one-second buckets; safe from any thread. */
final class TokenRate {
    private static final int SECONDS = 10;
    private final long[] counts = new long[SECONDS];
    private final long[] stamps = new long[SECONDS]; // the second each bucket counts

    synchronized void add(long n) {
        long now = System.nanoTime() / 1_000_000_000L;
        int i = (int) (now % SECONDS);
        if (stamps[i] != now) {
            stamps[i] = now;
            counts[i] = 0;
        }
        counts[i] += n;
    }

    synchronized double perSecond() {
        long now = System.nanoTime() / 1_000_000_000L, sum = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (stamps[i] > now - SECONDS && stamps[i] < now) {
                sum += counts[i];
            }
        }
        return sum / (double) (SECONDS - 1);
    }
}
