package org.transformers4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Large blocks of native memory that pooled arenas bump-allocate from and give back on close.
 * The pool keeps what peak concurrent use needed; {@link #trim()} frees the idle blocks.
 */
final class SlabPool {
    private static final long BLOCK = 64L << 20;
    private static final ConcurrentLinkedDeque<Slab> FREE = new ConcurrentLinkedDeque<>();

    /** One block and the arena that owns it. */
    private record Slab(Arena owner, MemorySegment memory) {
    }

    private SlabPool() {
    }

    static Lease lease() {
        return new Lease();
    }

    /** Frees every idle block. */
    static void trim() {
        for (Slab s; (s = FREE.pollFirst()) != null; ) {
            s.owner().close();
        }
    }

    private static Slab take(long bytes) {
        for (Iterator<Slab> it = FREE.iterator(); it.hasNext(); ) {
            Slab s = it.next();
            if (s.memory().byteSize() >= bytes && FREE.removeFirstOccurrence(s)) {
                return s;
            }
        }
        Arena owner = Arena.ofShared();
        return new Slab(owner, owner.allocate(Math.max(bytes, BLOCK), 4096));
    }

    /** The blocks one arena holds, with a bump pointer into the last. */
    static final class Lease {
        private final List<Slab> slabs = new ArrayList<>();
        private long used;

        MemorySegment allocate(long bytes, long alignment) {
            Slab cur = slabs.isEmpty() ? null : slabs.get(slabs.size() - 1);
            long at = (used + alignment - 1) / alignment * alignment;
            if (cur == null || at + bytes > cur.memory().byteSize()) {
                cur = take(bytes);
                slabs.add(cur);
                at = 0;
            }
            used = at + bytes;
            return cur.memory().asSlice(at, bytes);
        }

        void release() {
            slabs.forEach(FREE::addFirst);
            slabs.clear();
        }
    }
}
