package io.jvmvisor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/**
 * Hands the C heap's free memory back to the kernel. glibc keeps what a process freed in its
 * arenas (the main heap and one per thread, up to {@code MALLOC_ARENA_MAX}); a JVM frees several
 * MiB after start-up (C1 compiler arenas, class loading) that then stay resident until trimmed.
 */
@SuppressWarnings("restricted") // native access is meant to happen in this package
public final class NativeHeap {
    /** {@code int malloc_trim(size_t pad)} (glibc: every arena, whole free pages with MADV_DONTNEED). */
    private static final MethodHandle MALLOC_TRIM = Downcalls.LIBC.find("malloc_trim")
            .map(s -> Downcalls.LINKER.downcallHandle(s, FunctionDescriptor.of(JAVA_INT, JAVA_LONG)))
            .orElse(null);

    private NativeHeap() {
    }

    /** {@code malloc_trim(0)}: true if memory was released; false also where the C library has no such call. */
    public static boolean trim() {
        if (MALLOC_TRIM == null) {
            return false;
        }
        try {
            return (int) MALLOC_TRIM.invokeExact(0L) == 1;
        } catch (Throwable t) {
            throw Downcalls.unexpected(t);
        }
    }
}
