package io.jvmvisor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/**
 * Ends this process at once through {@code _exit(2)}. HotSpot's own exit ({@code System.exit},
 * {@code Runtime.halt}) waits up to 300 ms for threads that sit in a blocking native call (a
 * process reaper in {@code waitpid}, a socket read); {@code _exit} does not. No shutdown hook
 * runs and nothing buffered is written: the caller flushes its output and writes its state first.
 */
@SuppressWarnings("restricted") // native access is meant to happen in this package
public final class ProcessExit {
    /** {@code void _exit(int status)}, bound when this class is first used ({@link #prepare}). */
    private static final MethodHandle EXIT = Downcalls.find("_exit", FunctionDescriptor.ofVoid(JAVA_INT), false);

    private ProcessExit() {
    }

    /** Binds the downcall ahead of the exit (call it early, off the exit path). */
    public static void prepare() {
        // class initialization does the work
    }

    /** Flushes System.out and System.err, then {@code _exit(status & 0xff)}; never returns. */
    public static void now(int status) {
        System.out.flush();
        System.err.flush();
        try {
            EXIT.invokeExact(status & 0xff);
        } catch (Throwable t) {
            Runtime.getRuntime().halt(status);
        }
        throw new AssertionError("_exit returned");
    }
}
