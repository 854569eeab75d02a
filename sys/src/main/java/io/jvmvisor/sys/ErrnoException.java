package io.jvmvisor.sys;

import java.io.IOException;

/**
 * A failed native call: the C function's name and the errno it left. Stackless
 * (it is cheap to throw from relay loops); callers at a module's edge turn it
 * into a message for a person.
 */
public final class ErrnoException extends IOException {
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int ECONNREFUSED = 111;

    private final int errno;
    private final String call;

    public ErrnoException(int errno, String call) {
        super(call + ": " + Libc.get().strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
        this.call = call;
    }

    /** The errno value (EINTR, ENOENT...). */
    public int errno() {
        return errno;
    }

    /** The C function that failed. */
    public String call() {
        return call;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
