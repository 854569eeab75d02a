package io.jvmvisor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/**
 * Ends this process at once. HotSpot's own exit ({@code System.exit}, {@code Runtime.halt}) waits
 * up to 300 ms for threads that sit in a blocking native call (a process reaper in
 * {@code waitpid}, a socket read): {@link #now} goes through {@code _exit(2)}, which does not. But
 * binding that downcall costs a fresh JVM 25-60 ms (FFM spins its stub classes; the AOT cache
 * keeps none): a process that knows it has no such thread ends through {@link #halt}. Neither
 * runs shutdown hooks nor writes anything buffered but System.out and System.err.
 */
@SuppressWarnings("restricted") // native access is meant to happen in this package
public final class ProcessExit {
    private ProcessExit() {
    }

    /** {@code void _exit(int status)}, bound on first use ({@link #prepare}). */
    private static final class Exit {
        static final MethodHandle EXIT = Downcalls.find("_exit", FunctionDescriptor.ofVoid(JAVA_INT), false);
    }

    /** Binds the downcall ahead of the exit (call it early, off the exit path, e.g. on a thread of its own). */
    public static void prepare() {
        Exit.EXIT.type(); // class initialization does the work
    }

    /** Flushes System.out and System.err, then {@code _exit(status & 0xff)}; never returns. */
    public static void now(int status) {
        System.out.flush();
        System.err.flush();
        try {
            Exit.EXIT.invokeExact(status & 0xff);
        } catch (Throwable t) {
            Runtime.getRuntime().halt(status);
        }
        throw new AssertionError("_exit returned");
    }

    /**
     * Flushes System.out and System.err, then {@code Runtime.halt(status)}: for a process none of
     * whose threads sits in a blocking native call (else the JVM waits up to 300 ms); never returns.
     */
    public static void halt(int status) {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
        throw new AssertionError("halt returned");
    }
}
