package org.transformers4j.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * How long libt4j_cpu's OpenMP threads spin between kernels. libgomp's default (300,000 spins
 * before sleeping) keeps back-to-back kernels fast on an idle machine, but where other threads
 * compete for the cores the spinning threads take the cores from the threads they wait for: a
 * BERT-base pass of 32 tokens went from 28 ms to 532 ms with two busy processes on two cores.
 * 10,000 spins still span the gaps between kernels (no change idle, even for kernels of a few
 * microseconds) and bring that case to 68 ms. libgomp reads the setting once, when it loads, so
 * it is set in the C environment just before libt4j_cpu (which needs libgomp) loads, unless the
 * user chose with {@code GOMP_SPINCOUNT} or {@code OMP_WAIT_POLICY}.
 */
final class OpenMpSettings {
    static final String SPIN_COUNT = "10000";

    private OpenMpSettings() {
    }

    /** Sets GOMP_SPINCOUNT for libgomp unless the user set it or OMP_WAIT_POLICY. */
    static void boundSpinning() {
        if (System.getenv("GOMP_SPINCOUNT") != null || System.getenv("OMP_WAIT_POLICY") != null) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            // a failure (no memory for the environment) leaves libgomp's default, which is correct,
            // only slower where the cores are contended
            MethodHandle setenv = libc("setenv", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            int ignored = (int) setenv.invokeExact(arena.allocateFrom("GOMP_SPINCOUNT"), arena.allocateFrom(SPIN_COUNT), 0);
        } catch (Throwable e) {
            // no setenv in the C library: the same
        }
    }

    /** The value the C environment holds for name (what libgomp sees), or null. */
    static String cEnvironment(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle getenv = libc("getenv", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MemorySegment value = (MemorySegment) getenv.invokeExact(arena.allocateFrom(name));
            return value.equals(MemorySegment.NULL) ? null : value.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable e) {
            throw new IllegalStateException("getenv through the C library failed", e);
        }
    }

    /** A downcall to the C library's function name. */
    private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor);
    }
}
