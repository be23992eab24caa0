package org.transformers4j.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.util.Iterator;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.BiFunction;
import org.transformers4j.tensor.Tensor;

/**
 * Packings of weight matrices (float32 panels, bfloat16 pairs, int8 panels), each in native
 * memory of its own. A packing is freed as soon as a later packing finds its weight's memory
 * closed (a model closed, then another loaded: the old packings go when the new ones are made),
 * or when the weight tensor itself is collected; never left to the garbage collector alone,
 * which may not run for a long time while native memory grows.
 *
 * @param <V> what a packing gives the products (its memory, sizes)
 */
final class PackCache<V> {
    private static final Cleaner CLEANER = Cleaner.create();

    /** A packing and the arena holding it (closed once, by whichever comes first). */
    private record Entry<V>(Arena arena, V value, Cleaner.Cleanable cleanable) {
    }

    private final Map<Tensor, Entry<V>> byWeight = new WeakHashMap<>(); // guarded by this

    /** {@return the packing of w, or null} */
    synchronized V get(Tensor w) {
        Entry<V> e = byWeight.get(w);
        return e == null ? null : e.value();
    }

    /**
     * The packing of w, made by pack (in the arena it is given) on first use.
     *
     * @param w the weight
     * @param pack makes the packing of a weight in an arena
     * @return the packing
     */
    V computeIfAbsent(Tensor w, BiFunction<Tensor, Arena, V> pack) {
        V have = get(w);
        if (have != null) {
            return have;
        }
        Entry<V> made = make(w, pack);
        synchronized (this) {
            Entry<V> other = byWeight.get(w);
            if (other != null) { // another thread packed it meanwhile: keep theirs
                made.cleanable().clean();
                return other.value();
            }
            byWeight.put(w, made);
            return made.value();
        }
    }

    /**
     * Makes and keeps the packing of w, replacing (and freeing) any it had.
     *
     * @param w the weight
     * @param pack makes the packing of a weight in an arena
     * @return the packing
     */
    V put(Tensor w, BiFunction<Tensor, Arena, V> pack) {
        Entry<V> made = make(w, pack);
        Entry<V> old;
        synchronized (this) {
            old = byWeight.put(w, made);
        }
        if (old != null) {
            old.cleanable().clean();
        }
        return made.value();
    }

    /** A packing in an arena of its own, after freeing those of closed weights. */
    private Entry<V> make(Tensor w, BiFunction<Tensor, Arena, V> pack) {
        purge();
        Arena arena = Arena.ofShared();
        try {
            V value = pack.apply(w, arena);
            return new Entry<>(arena, value, CLEANER.register(w, closer(arena)));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** {@return how many packings are kept} */
    synchronized int size() {
        return byWeight.size();
    }

    /** Frees the packings whose weight's memory is closed (skipping any a running product still holds). */
    private synchronized void purge() {
        for (Iterator<Map.Entry<Tensor, Entry<V>>> it = byWeight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Tensor, Entry<V>> e = it.next();
            if (!e.getKey().isAlive()) {
                e.getValue().cleanable().clean();
                it.remove();
            }
        }
    }

    /**
     * Closes the arena (once: the first of a purge, a replacement or the weight's collection).
     * A product still inside it would make the close fail and the memory stay; that cannot
     * happen here, since a product first checks that its weight's memory is open.
     */
    private static Runnable closer(Arena arena) {
        return () -> {
            try {
                arena.close();
            } catch (IllegalStateException alreadyClosedOrInUse) {
                // closed already, or acquired by a native call: nothing to free now
            }
        };
    }
}
