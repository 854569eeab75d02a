package io.jvmvisor.sys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An owned raw file descriptor (a pty side, a /proc/PID/fd/N) with blocking
 * Java streams over read(2)/write(2). Closing the Fd closes the descriptor
 * once; the streams do not close it.
 */
public final class Fd implements AutoCloseable {
    private final int value;
    private final AtomicBoolean closed = new AtomicBoolean();

    public Fd(int value) {
        this.value = value;
    }

    /** Opens a path ({@code open(2)} flags from {@link Libc}). */
    public static Fd open(String path, int flags) throws ErrnoException {
        return new Fd(Libc.get().open(path, flags | Libc.O_CLOEXEC));
    }

    public int value() {
        return value;
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Reads into buf; 0 or -1 means EOF (EIO on a pty master whose slave is gone is EOF too). */
    public int read(byte[] buf, int off, int len) throws IOException {
        try {
            int n = Libc.get().read(value, buf, off, len);
            return n == 0 ? -1 : n;
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.EIO) {
                return -1;
            }
            throw e;
        }
    }

    public void write(byte[] buf, int off, int len) throws IOException {
        Libc.get().write(value, buf, off, len);
    }

    public InputStream inputStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : Fd.this.read(b, off, len);
            }
        };
    }

    public OutputStream outputStream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                Fd.this.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                Fd.this.write(b, off, len);
            }
        };
    }

    @Override
    public void close() throws ErrnoException {
        if (closed.compareAndSet(false, true)) {
            Libc.get().close(value);
        }
    }

    @Override
    public String toString() {
        return "fd " + value;
    }
}
