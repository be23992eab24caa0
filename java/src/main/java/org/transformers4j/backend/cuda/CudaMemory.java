package org.transformers4j.backend.cuda;

import static org.transformers4j.bindings.cudart.cudart_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.transformers4j.tensor.Device;
import org.transformers4j.tensor.DeviceAllocator;

/**
 * Device memory of one GPU through cudaMalloc. A caching instance keeps freed blocks by size and
 * hands them out again (scratch arenas of repeated forward passes then allocate nothing); all
 * work runs on one stream, so a block reused is never still in use.
 */
final class CudaMemory implements DeviceAllocator {
    private static final long GRAIN = 256;
    private final Device device;
    private final boolean caching;
    private final Map<Long, ArrayDeque<Long>> cache = new HashMap<>();

    CudaMemory(Device device, boolean caching) {
        this.device = device;
        this.caching = caching;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public synchronized long allocate(long bytes) {
        long size = Math.ceilDiv(Math.max(bytes, 1), GRAIN) * GRAIN;
        ArrayDeque<Long> free = cache.get(size);
        if (free != null && !free.isEmpty()) {
            return free.pop();
        }
        CudaBackend.use(device.index());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            int err = cudaMalloc(out, size);
            if (err == cudaErrorMemoryAllocation() && !cache.isEmpty()) {
                cudaGetLastError();
                trim();
                err = cudaMalloc(out, size);
            }
            if (err == cudaErrorMemoryAllocation()) {
                cudaGetLastError(); // not sticky: clear it so the device stays usable
                throw new CudaException("device memory exhausted on " + device + ": asked for " + mib(size)
                        + ", " + freeAndTotal());
            }
            CudaBackend.check(err, "cudaMalloc(" + size + ")");
            return out.get(ValueLayout.ADDRESS, 0).address();
        }
    }

    @Override
    public synchronized void free(long address, long bytes) {
        long size = Math.ceilDiv(Math.max(bytes, 1), GRAIN) * GRAIN;
        if (caching) {
            cache.computeIfAbsent(size, s -> new ArrayDeque<>()).push(address);
            return;
        }
        CudaBackend.use(device.index());
        CudaBackend.check(cudaFree(MemorySegment.ofAddress(address)), "cudaFree");
    }

    @Override
    public void zero(long address, long bytes) {
        CudaBackend.use(device.index());
        CudaBackend.check(cudaMemset(MemorySegment.ofAddress(address), 0, bytes), "cudaMemset");
    }

    /** Frees the cached blocks. */
    synchronized void trim() {
        CudaBackend.use(device.index());
        for (ArrayDeque<Long> blocks : cache.values()) {
            for (long address : blocks) {
                cudaFree(MemorySegment.ofAddress(address));
            }
        }
        cache.clear();
    }

    private static String freeAndTotal() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG), total = arena.allocate(ValueLayout.JAVA_LONG);
            if (cudaMemGetInfo(free, total) != cudaSuccess()) {
                return "free memory unknown";
            }
            return mib(free.get(ValueLayout.JAVA_LONG, 0)) + " free of " + mib(total.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
