package org.transformers4j.tensor.internal;

import java.lang.foreign.MemorySegment;
import org.transformers4j.tensor.Tensor;

/**
 * The memory of tensors, for the library's own code (backends, checkpoint readers, the loader):
 * {@link Tensor} keeps its storage private, and this package is not exported by the module, so
 * outside the library a tensor is read through its element accessors or a backend's
 * {@code toHost}.
 *
 * <p>Java has no friend access, so {@code Tensor} hands this class an {@link Access} when it is
 * initialised (as the JDK's own shared-secrets classes do); every method here goes through it.
 * Host memory comes out as a segment over the view's bytes; device memory only as a
 * {@link DeviceStorage#pointer pointer} no host code can read through.
 */
public final class TensorMemory {
    private static volatile Access access;

    private TensorMemory() {
    }

    /** What {@link Tensor} gives this class: its storage and where a view lies in it. */
    public interface Access {
        /**
         * {@return the storage under t}
         *
         * @param t a tensor
         */
        Storage storage(Tensor t);

        /**
         * {@return bytes from the storage's start to t's first element}
         *
         * @param t a tensor
         */
        long byteOffset(Tensor t);

        /**
         * {@return bytes from t's first element to the end of its last (0 for no elements)}
         *
         * @param t a tensor
         */
        long byteSpan(Tensor t);
    }

    /**
     * Called once, by {@link Tensor}'s initialisation; any other caller is refused (on the class
     * path this package is visible, and an access put here first would stand for every tensor).
     *
     * @param tensorAccess the access
     * @throws IllegalStateException when an access is registered already, or the caller is not {@link Tensor}
     */
    public static synchronized void register(Access tensorAccess) {
        Class<?> caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass();
        if (caller != Tensor.class && caller.getEnclosingClass() != Tensor.class) {
            throw new IllegalStateException("only Tensor registers the tensor access, not " + caller.getName());
        }
        if (access != null) {
            throw new IllegalStateException("tensor access is registered already");
        }
        access = tensorAccess;
    }

    private static Access access() {
        Access a = access;
        if (a == null) { // only before any tensor exists, and then nothing can be asked of one
            throw new IllegalStateException("no tensor access registered");
        }
        return a;
    }

    /**
     * {@return the storage under t}
     *
     * @param t a tensor
     */
    public static Storage storage(Tensor t) {
        return access().storage(t);
    }

    /**
     * The host memory of t's view, from its first element to its last, for a kernel call or a
     * loader filling it.
     *
     * @param t a tensor in host memory
     * @return the view's bytes
     * @throws IllegalArgumentException when t is on a device, naming it
     */
    public static MemorySegment host(Tensor t) {
        if (!(storage(t) instanceof HostStorage h)) {
            throw new IllegalArgumentException("tensor " + t.dtype() + t.shape() + " is on " + t.device()
                    + ": copy it to the host first (Backend.toHost)");
        }
        return h.memory().asSlice(access().byteOffset(t), access().byteSpan(t));
    }

    /**
     * {@return the host memory of t, or NULL for a null tensor (an optional kernel argument)}
     *
     * @param t a tensor in host memory, or null
     */
    public static MemorySegment hostOrNull(Tensor t) {
        return t == null ? MemorySegment.NULL : host(t);
    }

    /**
     * The device address of t's first element, for a native call of its device's backend: a
     * zero-length segment (see {@link DeviceStorage#pointer}).
     *
     * @param t a tensor in device memory
     * @return the pointer
     * @throws IllegalArgumentException when t is in host memory
     * @throws IllegalStateException when t's arena is closed
     */
    public static MemorySegment device(Tensor t) {
        if (!(storage(t) instanceof DeviceStorage d)) {
            throw new IllegalArgumentException("tensor " + t.dtype() + t.shape() + " is in host memory, not on a"
                    + " device");
        }
        return d.pointer(access().byteOffset(t));
    }

    /**
     * {@return the device pointer of t, or NULL for a null tensor (an optional kernel argument)}
     *
     * @param t a tensor in device memory, or null
     */
    public static MemorySegment deviceOrNull(Tensor t) {
        return t == null ? MemorySegment.NULL : device(t);
    }

    /**
     * {@return bytes from t's first element to the end of its last, wherever it lives}
     *
     * @param t a tensor
     */
    public static long byteSpan(Tensor t) {
        return access().byteSpan(t);
    }

    /**
     * Whether two tensors are the same view of the same memory: one dtype, shape and strides,
     * and one first element's address (host or one device's), whichever objects describe them.
     *
     * @param a a tensor
     * @param b another
     * @return whether they name the same elements in the same layout
     */
    public static boolean sameView(Tensor a, Tensor b) {
        if (a.dtype() != b.dtype() || !a.shape().equals(b.shape())) {
            return false;
        }
        for (int i = 0; i < a.rank(); i++) {
            if (a.dim(i) > 1 && a.stride(i) != b.stride(i)) { // a dimension of one has no meaningful stride
                return false;
            }
        }
        Storage sa = storage(a), sb = storage(b);
        if (sa instanceof HostStorage && sb instanceof HostStorage) {
            return host(a).address() == host(b).address();
        }
        if (sa instanceof DeviceStorage da && sb instanceof DeviceStorage db && da.device().equals(db.device())) {
            return da.address(access().byteOffset(a)) == db.address(access().byteOffset(b));
        }
        return false;
    }

    /**
     * Whether the byte ranges of two views intersect: both in host memory with overlapping
     * addresses, or both in one device's memory with overlapping device addresses.
     *
     * @param a a tensor
     * @param b another
     * @return whether they may share an element
     */
    public static boolean overlaps(Tensor a, Tensor b) {
        Storage sa = storage(a), sb = storage(b);
        if (sa instanceof HostStorage && sb instanceof HostStorage) {
            return host(a).asOverlappingSlice(host(b)).isPresent();
        }
        if (sa instanceof DeviceStorage da && sb instanceof DeviceStorage db && da.device().equals(db.device())) {
            long a0 = da.address(access().byteOffset(a)), b0 = db.address(access().byteOffset(b));
            long an = byteSpan(a), bn = byteSpan(b);
            return an > 0 && bn > 0 && a0 < b0 + bn && b0 < a0 + an;
        }
        return false;
    }
}
