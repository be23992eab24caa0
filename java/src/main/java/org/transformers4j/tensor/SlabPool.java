package org.transformers4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Large blocks of native memory that pooled arenas bump-allocate from and give back on close.
 * The pool keeps what peak concurrent use needed; {@link #trim()} frees the idle blocks.
 */
final class SlabPool {
    private static final long BLOCK = 64L << 20;
    private static final ConcurrentLinkedDeque<Slab> FREE = new ConcurrentLinkedDeque<>();
    /** Bytes of every block the pool has allocated and not yet freed, leased or idle. */
    private static final AtomicLong HELD = new AtomicLong();

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
            HELD.addAndGet(-s.memory().byteSize());
            s.owner().close();
        }
    }

    /** Bytes of native memory the pool holds, in use or idle. */
    static long heldBytes() {
        return HELD.get();
    }

    /** Bytes of the idle blocks, which {@link #trim()} would free. */
    static long idleBytes() {
        long sum = 0;
        for (Slab s : FREE) {
            sum += s.memory().byteSize();
        }
        return sum;
    }

    private static Slab take(long bytes) {
        for (Iterator<Slab> it = FREE.iterator(); it.hasNext(); ) {
            Slab s = it.next();
            if (s.memory().byteSize() >= bytes && FREE.removeFirstOccurrence(s)) {
                return s;
            }
        }
        Arena owner = Arena.ofShared();
        Slab slab = new Slab(owner, owner.allocate(Math.max(bytes, BLOCK), 4096));
        HELD.addAndGet(slab.memory().byteSize());
        return slab;
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
