package org.transformers4j.backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Objects;

/**
 * A backend that runs another's ops through one dispatch point: every op of the {@link Op} table
 * passes through an {@link Around}, every other method (names, arenas, transfers, close) goes to
 * the inner backend unchanged. A decorator (profiling, a device stand-in in tests) is one
 * {@code Around}, with no code per op.
 */
public final class BackendDecorator {
    private BackendDecorator() {
    }

    /** What runs around each op. */
    @FunctionalInterface
    public interface Around {
        /**
         * Runs op, whose arguments are args (as the caller gave them), by calling proceed with the
         * arguments the inner backend is to get (args itself, or adapted).
         *
         * @param op the op called
         * @param args its arguments in the order of the {@link Backend} method
         * @param proceed runs the op on the inner backend; not calling it skips the op
         * @throws Throwable what proceed or the decorator throws, passed to the caller unchanged
         */
        void call(Op op, Object[] args, Proceed proceed) throws Throwable;
    }

    /** The inner backend's op, on the given arguments. */
    @FunctionalInterface
    public interface Proceed {
        /**
         * Runs the op on the inner backend; an exception it throws comes out unchanged.
         *
         * @param args the arguments, in the order of the {@link Backend} method
         * @throws Throwable what the inner backend throws
         */
        void run(Object[] args) throws Throwable;
    }

    /**
     * inner with around at its one dispatch point; name() of the result gives name. Closing it
     * closes inner.
     *
     * @param inner the backend that runs the ops
     * @param name what name() of the result gives
     * @param around what runs around each op
     * @return the decorated backend, on inner's device
     * @throws NullPointerException when an argument is null
     */
    public static Backend decorate(Backend inner, String name, Around around) {
        Objects.requireNonNull(inner, "inner");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(around, "around");
        InvocationHandler handler = (proxy, method, args) -> dispatch(proxy, inner, name, around, method, args);
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                handler);
    }

    private static Object dispatch(Object proxy, Backend inner, String name, Around around, Method method,
                                   Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> name;
            };
        }
        if (method.getName().equals("name") && method.getParameterCount() == 0) {
            return name;
        }
        Op op = Op.of(method);
        if (op == null) {
            return invoke(method, inner, args);
        }
        around.call(op, args, adapted -> invoke(method, inner, adapted));
        return null; // every op returns void
    }

    private static Object invoke(Method method, Backend target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
