package org.transformers4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import org.transformers4j.backend.Activation;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.SoftmaxOptions;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.internal.DeviceStorage;
import org.transformers4j.tensor.internal.HostStorage;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * A stand-in for a GPU backend, for machines without one: its tensors are tagged with a GPU
 * device, so every host read of them (element accessors, segment(), arenas' host factories)
 * throws as it would for real device memory, but they live in host memory and the operations run
 * on the CPU backend through views tagged as host. Models run on it exercise everything the CUDA
 * backend relies on in the Java layer: arenas from the backend, weights and inputs moved to the
 * device, results handed back through toHost, no host access to device tensors anywhere.
 */
public final class SimulatedGpuBackend implements Backend {
    public static final Device DEVICE = new Device("cuda", 9);
    private final CpuBackend cpu = CpuBackend.create();
    private final HostBlocks memory = new HostBlocks();

    /** Bytes allocated on the simulated device so far (it did hold the model). */
    public long bytesAllocated() {
        return memory.total;
    }

    @Override
    public String name() {
        return "simulated-gpu";
    }

    @Override
    public Device device() {
        return DEVICE;
    }

    @Override
    public String gemmProvider() {
        return cpu.gemmProvider();
    }

    @Override
    public String kernelProvider() {
        return cpu.kernelProvider() + ", as " + DEVICE;
    }

    @Override
    public TensorArena scratch() {
        return TensorArena.scratchOnDevice(memory, DType.F32);
    }

    @Override
    public TensorArena longLived() {
        return TensorArena.onDevice(memory);
    }

    @Override
    public Tensor toDevice(Tensor t, TensorArena arena) {
        if (t.device().equals(DEVICE)) {
            return t;
        }
        return place(t, arena);
    }

    @Override
    public Tensor place(Tensor t, TensorArena arena) {
        if (!arena.device().equals(DEVICE)) {
            throw new IllegalArgumentException("arena is on " + arena.device());
        }
        Tensor out = arena.empty(t.dtype(), t.shape().toArray());
        cpu.copy(t.device().equals(DEVICE) ? host(t) : t, host(out));
        return out;
    }

    @Override
    public Tensor toHost(Tensor t, TensorArena hostArena) {
        if (t.device().equals(Device.CPU)) {
            return t;
        }
        Tensor out = hostArena.empty(t.dtype(), t.shape().toArray());
        cpu.copy(host(t), out);
        return out;
    }

    @Override
    public Tensor longs(long[] values, TensorArena arena, long... dims) {
        try (TensorArena h = TensorArena.confined()) {
            return toDevice(h.ofLongs(values, dims), arena);
        }
    }

    @Override
    public Tensor floats(float[] values, TensorArena arena, long... dims) {
        try (TensorArena h = TensorArena.confined()) {
            return toDevice(h.of(values, dims), arena);
        }
    }

    @Override
    public Tensor values(float[] values, TensorArena arena, long... dims) {
        return floats(values, arena, dims);
    }

    /** The same memory tagged as host memory; t must be on the simulated device. */
    private Tensor host(Tensor t) {
        if (t == null) {
            return null;
        }
        if (!(TensorMemory.storage(t) instanceof DeviceStorage d) || !d.device().equals(DEVICE)) {
            throw new IllegalArgumentException("a " + t + " reached the simulated GPU, which takes only its own tensors");
        }
        return new Tensor(new HostStorage(memory.block(d)), t.offset(), t.shape(), t.strides(), t.dtype());
    }

    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
        cpu.matmul(host(a), transA, host(b), transB, host(c), alpha, beta);
    }

    @Override
    public void linear(Tensor x, Tensor w, Tensor bias, Activation act, Tensor y) {
        cpu.linear(host(x), host(w), host(bias), act, host(y));
    }

    @Override
    public void layerNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, Tensor beta, float eps, Tensor y) {
        cpu.layerNorm(host(x), host(residual), host(sumOut), host(gamma), host(beta), eps, host(y));
    }

    @Override
    public void rmsNorm(Tensor x, Tensor residual, Tensor sumOut, Tensor gamma, float eps, Tensor y) {
        cpu.rmsNorm(host(x), host(residual), host(sumOut), host(gamma), eps, host(y));
    }

    @Override
    public void softmax(Tensor x, SoftmaxOptions o, Tensor y) {
        cpu.softmax(host(x), o.mask() == null ? o : o.withMask(host(o.mask())), host(y));
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, AttentionOptions o, Tensor out) {
        cpu.attention(host(q), host(k), host(v), o.bias() == null ? o : o.withBias(host(o.bias())), host(out));
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor y) {
        cpu.add(host(a), host(b), host(y));
    }

    @Override
    public void scale(Tensor x, float alpha, Tensor y) {
        cpu.scale(host(x), alpha, host(y));
    }

    @Override
    public void activation(Activation act, Tensor x, Tensor y) {
        cpu.activation(act, host(x), host(y));
    }

    @Override
    public void biasActivation(Activation act, Tensor x, Tensor bias, Tensor y) {
        cpu.biasActivation(act, host(x), host(bias), host(y));
    }

    @Override
    public void gatedActivation(Activation act, Tensor gate, Tensor up, Tensor y) {
        cpu.gatedActivation(act, host(gate), host(up), host(y));
    }

    @Override
    public void rope(Tensor x, long[] positions, Tensor invFreq) {
        cpu.rope(host(x), positions, host(invFreq));
    }

    @Override
    public void embedding(Tensor table, Tensor ids, Tensor out) {
        cpu.embedding(host(table), host(ids), host(out));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        cpu.copy(host(src), host(dst));
    }

    @Override
    public void close() {
        cpu.close();
    }

    /** "Device" memory: host blocks, each its own arena, freed when the tensor arena closes. */
    private static final class HostBlocks implements DeviceAllocator {
        private final Map<Long, Block> blocks = new HashMap<>();
        private long total;

        /** The host memory of a block, in the scope of its own arena (closed once the block is freed). */
        synchronized MemorySegment block(DeviceStorage d) {
            Block b = blocks.get(d.address(0));
            if (b == null) {
                throw new IllegalArgumentException("a tensor of a closed arena reached the simulated GPU");
            }
            return b.memory();
        }

        /** One block and the arena that owns it. */
        private record Block(Arena arena, MemorySegment memory) {
        }

        @Override
        public Device device() {
            return DEVICE;
        }

        @Override
        public synchronized long allocate(long bytes) {
            Arena a = Arena.ofShared();
            MemorySegment s = a.allocate(bytes, 64);
            s.fill((byte) 0x7f); // a large float wherever a kernel reads what nothing wrote
            blocks.put(s.address(), new Block(a, s));
            total += bytes;
            return s.address();
        }

        @Override
        public synchronized void free(long address, long bytes) {
            blocks.remove(address).arena().close();
        }

        @Override
        public void zero(long address, long bytes) {
            MemorySegment.ofAddress(address).reinterpret(bytes).fill((byte) 0);
        }
    }
}
