package org.transformers4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.transformers4j.backend.AttentionOptions;
import org.transformers4j.backend.Backend;
import org.transformers4j.backend.Op;
import org.transformers4j.backend.SoftmaxOptions;
import org.transformers4j.backend.cpu.CpuBackend;
import org.transformers4j.tensor.internal.DeviceStorage;
import org.transformers4j.tensor.internal.HostStorage;
import org.transformers4j.tensor.internal.TensorMemory;

/**
 * A stand-in for a GPU backend, for machines without one: its tensors are tagged with a GPU
 * device (device storage), so every host read of them (element accessors, host memory, arenas'
 * host factories) throws as it would for real device memory, but they live in host memory and the
 * operations run on the CPU backend through host views of the same memory. Models run on it
 * exercise everything the CUDA backend relies on in the Java layer: arenas from the backend,
 * weights and inputs moved to the device, results handed back through toHost, no host access to
 * device tensors anywhere.
 *
 * <p>It is a {@link Proxy} with one dispatch point, as {@code BackendDecorator} is: every op of
 * the {@link Op} table goes to the CPU backend with its tensors (and the options' mask or bias)
 * replaced by host views, the device's own methods (arenas, transfers, names) are those of
 * {@link Device} here, and Backend's default methods run as defaults on the proxy, so that they
 * call back into the simulated device. An op added to the table needs no code here.
 */
public interface SimulatedGpuBackend extends Backend {
    /** The device its tensors claim to be on. */
    Device DEVICE = new Device("cuda", 9);

    /** {@return bytes allocated on the simulated device so far (it did hold the model)} */
    long bytesAllocated();

    /** {@return a new simulated GPU over a new CPU backend; close it when done} */
    static SimulatedGpuBackend create() {
        return (SimulatedGpuBackend) Proxy.newProxyInstance(SimulatedGpuBackend.class.getClassLoader(),
                new Class<?>[] {SimulatedGpuBackend.class}, new Simulation());
    }

    /** The dispatch point and the simulated device's own methods. */
    final class Simulation implements InvocationHandler {
        private static final Map<String, Method> OWN = new HashMap<>();

        static {
            for (Method m : Simulation.class.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && !m.getName().equals("invoke")) {
                    OWN.put(key(m), m);
                }
            }
        }

        private final CpuBackend cpu = CpuBackend.create();
        private final HostBlocks memory = new HostBlocks();

        private Simulation() {
        }

        private static String key(Method m) {
            return m.getName() + Arrays.toString(m.getParameterTypes());
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "simulated-gpu";
                };
            }
            if (Op.of(method) != null) {
                return call(method, cpu, onHost(args));
            }
            Method own = OWN.get(key(method));
            if (own != null) {
                return call(own, this, args);
            }
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            throw new UnsupportedOperationException("the simulated GPU has no " + method);
        }

        private static Object call(Method method, Object target, Object[] args) throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        /** An op's arguments with each tensor, mask and bias replaced by a host view of its memory. */
        private Object[] onHost(Object[] args) {
            Object[] out = args.clone();
            for (int i = 0; i < out.length; i++) {
                if (out[i] instanceof Tensor t) {
                    out[i] = host(t);
                } else if (out[i] instanceof SoftmaxOptions o && o.mask() != null) {
                    out[i] = o.withMask(host(o.mask()));
                } else if (out[i] instanceof AttentionOptions o && o.bias() != null) {
                    out[i] = o.withBias(host(o.bias()));
                }
            }
            return out;
        }

        /** The same memory seen as host memory; t must be on the simulated device. */
        private Tensor host(Tensor t) {
            if (!(TensorMemory.storage(t) instanceof DeviceStorage d) || !d.device().equals(DEVICE)) {
                throw new IllegalArgumentException("a " + t + " reached the simulated GPU, which takes only its own"
                        + " tensors");
            }
            return new Tensor(new HostStorage(memory.block(d)), t.offset(), t.shape(), t.strides(), t.dtype());
        }

        // ---- the device's own methods (Backend's, by name and parameters; bytesAllocated) ----

        public long bytesAllocated() {
            return memory.total;
        }

        public String name() {
            return "simulated-gpu";
        }

        public Device device() {
            return DEVICE;
        }

        public String gemmProvider() {
            return cpu.gemmProvider();
        }

        public String kernelProvider() {
            return cpu.kernelProvider() + ", as " + DEVICE;
        }

        public TensorArena scratch() {
            return TensorArena.scratchOnDevice(memory, DType.F32);
        }

        public TensorArena longLived() {
            return TensorArena.onDevice(memory);
        }

        public Tensor toDevice(Tensor t, TensorArena arena) {
            return t.device().equals(DEVICE) ? t : place(t, arena);
        }

        public Tensor place(Tensor t, TensorArena arena) {
            if (!arena.device().equals(DEVICE)) {
                throw new IllegalArgumentException("arena is on " + arena.device());
            }
            Tensor out = arena.empty(t.dtype(), t.shape().toArray());
            cpu.copy(t.device().equals(DEVICE) ? host(t) : t, host(out));
            return out;
        }

        public Tensor toHost(Tensor t, TensorArena hostArena) {
            if (t.device().equals(Device.CPU)) {
                return t;
            }
            Tensor out = hostArena.empty(t.dtype(), t.shape().toArray());
            cpu.copy(host(t), out);
            return out;
        }

        public Tensor longs(long[] values, TensorArena arena, long... dims) {
            try (TensorArena h = TensorArena.confined()) {
                return toDevice(h.ofLongs(values, dims), arena);
            }
        }

        public Tensor floats(float[] values, TensorArena arena, long... dims) {
            try (TensorArena h = TensorArena.confined()) {
                return toDevice(h.of(values, dims), arena);
            }
        }

        public Tensor values(float[] values, TensorArena arena, long... dims) {
            return floats(values, arena, dims);
        }

        public void close() {
            cpu.close();
        }
    }

    /** "Device" memory: host blocks, each its own arena, freed when the tensor arena closes. */
    final class HostBlocks implements DeviceAllocator {
        private final Map<Long, Block> blocks = new HashMap<>();
        private long total;

        private HostBlocks() {
        }

        /** One block and the arena that owns it. */
        private record Block(Arena arena, MemorySegment memory) {
        }

        /** The host memory of a block, in the scope of its own arena (closed once the block is freed). */
        synchronized MemorySegment block(DeviceStorage d) {
            Block b = blocks.get(d.address(0));
            if (b == null) {
                throw new IllegalArgumentException("a tensor of a closed arena reached the simulated GPU");
            }
            return b.memory();
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
