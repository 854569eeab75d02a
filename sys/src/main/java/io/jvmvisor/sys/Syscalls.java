package io.jvmvisor.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The calls on a CLI's and a shim's start-up path (read, write, close, socket, connect, sendmsg,
 * recvmsg; socketpair, bind, listen, accept4, getsockopt, shutdown) as raw system
 * calls through libc's {@code long syscall(long number, ...)}: one downcall shape for all of them,
 * so a process binds one stub instead of one per call. Each stub costs a short-lived CLI ~10 ms of
 * method-handle spinning that the AOT cache does not keep. Arguments are passed as longs
 * (descriptors sign-extended, pointers as addresses), as the kernel takes them.
 */
@SuppressWarnings("restricted") // native access is meant to happen in this package
final class Syscalls {
    /**
     * {@code long syscall(long number, long a, long b, long c, long d, long e)}, errno captured: a
     * call with fewer arguments passes zeros for the rest, which the kernel does not read.
     */
    private static final MethodHandle SYSCALL = Downcalls.find("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), true,
            Linker.Option.firstVariadicArg(1));
    private static final boolean ARM = "aarch64".equals(System.getProperty("os.arch"));
    static final long READ = ARM ? 63 : 0;
    static final long WRITE = ARM ? 64 : 1;
    static final long CLOSE = ARM ? 57 : 3;
    static final long SOCKET = ARM ? 198 : 41;
    static final long CONNECT = ARM ? 203 : 42;
    static final long SENDMSG = ARM ? 211 : 46;
    static final long RECVMSG = ARM ? 212 : 47;
    static final long SHUTDOWN = ARM ? 210 : 48;
    static final long BIND = ARM ? 200 : 49;
    static final long LISTEN = ARM ? 201 : 50;
    static final long SOCKETPAIR = ARM ? 199 : 53;
    static final long GETSOCKOPT = ARM ? 209 : 55;
    static final long ACCEPT4 = ARM ? 242 : 288;

    static {
        String arch = System.getProperty("os.arch");
        if (!"amd64".equals(arch) && !"x86_64".equals(arch) && !ARM) {
            throw new ExceptionInInitializerError("jvmvisor's system call numbers are for x86-64 and aarch64 hosts, not " + arch);
        }
    }

    private Syscalls() {
    }

    /** One system call; returns its result, -1 with errno in {@code state} on failure. */
    static long call(MemorySegment state, long number, long a, long b, long c) throws Throwable {
        return (long) SYSCALL.invokeExact(state, number, a, b, c, 0L, 0L);
    }

    /** As {@link #call(MemorySegment, long, long, long, long)} with five arguments. */
    static long call(MemorySegment state, long number, long a, long b, long c, long d, long e) throws Throwable {
        return (long) SYSCALL.invokeExact(state, number, a, b, c, d, e);
    }
}
