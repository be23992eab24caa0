package org.transformers4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Host memory that small uploads copy from. {@code cudaMemcpyAsync} may read its source after it
 * returns, so a source must live until the stream has passed the copy. Waiting on the stream after
 * every upload did that at the cost of a wait per upload (three per decoding step); instead the
 * sources are slices of one buffer, reused only once the stream has been waited for anyway (a
 * download, {@code synchronize}), or after a wait here when the buffer is full. A slice being
 * filled and queued is never given out again: {@link #take} and {@link #queued} bracket that.
 */
final class HostStaging implements AutoCloseable {
    /** Uploads larger than this stage on their own and wait (weights at load, not a decoding step). */
    static final long CAPACITY = 4L << 20;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(CAPACITY, 64);
    private final Runnable waitForStream;
    private long used;
    private int filling;

    /** @param waitForStream waits until everything queued on the stream has run */
    HostStaging(Runnable waitForStream) {
        this.waitForStream = waitForStream;
    }

    /**
     * A slice of bytes to fill and copy from, or null when it cannot have one (too large, or the
     * buffer full while other threads still fill their slices); then the caller stages on its own.
     * Every non-null slice must be followed by {@link #queued} once its copy is queued.
     */
    synchronized MemorySegment take(long bytes) {
        if (bytes > CAPACITY) {
            return null;
        }
        if (used + bytes > CAPACITY) {
            if (filling > 0) {
                return null;
            }
            waitForStream.run();
            used = 0;
        }
        MemorySegment slice = buffer.asSlice(used, bytes);
        used = (used + bytes + 63) & ~63L;
        filling++;
        return slice;
    }

    /** The copy from a slice of {@link #take} is queued on the stream. */
    synchronized void queued() {
        filling--;
    }

    /** The stream has been waited for: every queued copy has read its source. */
    synchronized void streamIdle() {
        if (filling == 0) {
            used = 0;
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
