package io.jvmvisor.sys;

import static io.jvmvisor.sys.Downcalls.STATE;
import static io.jvmvisor.sys.Downcalls.errno;
import static io.jvmvisor.sys.Downcalls.find;
import static io.jvmvisor.sys.Downcalls.unexpected;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@link Libc} through FFM; errno is captured per call (never a shared static). */
@SuppressWarnings("restricted") // this class is where native access is meant to happen
final class FfmLibc implements Libc {
    static final FfmLibc INSTANCE = new FfmLibc();

    private static final long TIOCGWINSZ = 0x5413;
    private static final long TIOCSWINSZ = 0x5414;
    private static final int TCSANOW = 0;
    private static final int TERMIOS_SIZE = 64; // glibc x86_64: 60, rounded up
    // Each downcall is bound on its first use (a holder class per handle): binding spins a stub
    // (~5-10 ms each at CLI start-up, none of it kept by the AOT cache), and a CLI command uses few.
    private static final class Getpid {
        static final MethodHandle H = find("getpid", FunctionDescriptor.of(JAVA_INT), false);
    }
    private static final class Kill {
        static final MethodHandle H = find("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), true);
    }
    private static final class Prctl {
        static final MethodHandle H = find("prctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), true, Linker.Option.firstVariadicArg(1));
    }
    private static final class Setsid {
        static final MethodHandle H = find("setsid", FunctionDescriptor.of(JAVA_INT), true);
    }
    private static final class Openpty {
        static final MethodHandle H = find("openpty",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS), true);
    }
    private static final class IoctlPtr {
        static final MethodHandle H = find("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), true, Linker.Option.firstVariadicArg(2));
    }
    private static final class Tcgetattr {
        static final MethodHandle H = find("tcgetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), true);
    }
    private static final class Cfmakeraw {
        static final MethodHandle H = find("cfmakeraw", FunctionDescriptor.ofVoid(ADDRESS), false);
    }
    private static final class Tcsetattr {
        static final MethodHandle H = find("tcsetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), true);
    }
    private static final class Isatty {
        static final MethodHandle H = find("isatty", FunctionDescriptor.of(JAVA_INT, JAVA_INT), false);
    }
    private static final class Open {
        static final MethodHandle H = find("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), true, Linker.Option.firstVariadicArg(2));
    }
    private static final class Pipe2 {
        static final MethodHandle H = find("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true);
    }
    private static final class Dup {
        static final MethodHandle H = find("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true);
    }
    private static final class Poll {
        static final MethodHandle H = find("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), true);
    }
    private static final class PthreadSigmask {
        static final MethodHandle H = find("pthread_sigmask",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), false);
    }
    private static final class Signalfd {
        static final MethodHandle H = find("signalfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), true);
    }
    private static final int SIG_BLOCK = 0;
    private static final int SIGSET_SIZE = 128;
    private static final int SIGINFO_SIZE = 128;
    private static final class Strerror {
        static final MethodHandle H = find("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT), false);
    }

    private FfmLibc() {
    }

    @Override
    public int getpid() {
        try {
            return (int) Getpid.H.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public void kill(int pid, int signal) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            if ((int) Kill.H.invokeExact(st, pid, signal) < 0) {
                throw new ErrnoException(errno(st), "kill(" + pid + ", " + signal + ")");
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int prctl(int option, long arg2) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int r = (int) Prctl.H.invokeExact(st, option, arg2);
            if (r < 0) {
                throw new ErrnoException(errno(st), "prctl(" + option + ")");
            }
            return r;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int setsid() throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int r = (int) Setsid.H.invokeExact(st);
            if (r < 0) {
                throw new ErrnoException(errno(st), "setsid");
            }
            return r;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public Pty openpty() throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment m = a.allocate(JAVA_INT);
            MemorySegment s = a.allocate(JAVA_INT);
            int r = (int) Openpty.H.invokeExact(st, m, s, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL);
            if (r < 0) {
                throw new ErrnoException(errno(st), "openpty");
            }
            return new Pty(m.get(JAVA_INT, 0), s.get(JAVA_INT, 0));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public WinSize getWinSize(int fd) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment ws = a.allocate(8);
            if ((int) IoctlPtr.H.invokeExact(st, fd, TIOCGWINSZ, ws) < 0) {
                throw new ErrnoException(errno(st), "ioctl(TIOCGWINSZ)");
            }
            return new WinSize(Short.toUnsignedInt(ws.get(JAVA_SHORT, 0)), Short.toUnsignedInt(ws.get(JAVA_SHORT, 2)));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public void setWinSize(int fd, WinSize size) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment ws = a.allocate(8);
            ws.set(JAVA_SHORT, 0, (short) size.rows());
            ws.set(JAVA_SHORT, 2, (short) size.cols());
            if ((int) IoctlPtr.H.invokeExact(st, fd, TIOCSWINSZ, ws) < 0) {
                throw new ErrnoException(errno(st), "ioctl(TIOCSWINSZ)");
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public void makeRaw(int fd) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment t = a.allocate(TERMIOS_SIZE, 8);
            if ((int) Tcgetattr.H.invokeExact(st, fd, t) < 0) {
                throw new ErrnoException(errno(st), "tcgetattr");
            }
            Cfmakeraw.H.invokeExact(t);
            if ((int) Tcsetattr.H.invokeExact(st, fd, TCSANOW, t) < 0) {
                throw new ErrnoException(errno(st), "tcsetattr");
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public boolean isatty(int fd) {
        try {
            return (int) Isatty.H.invokeExact(fd) == 1;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int read(int fd, byte[] buf, int off, int len) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment seg = a.allocate(Math.max(1, len));
            while (true) {
                long r = Syscalls.call(st, Syscalls.READ, fd, seg.address(), len);
                if (r >= 0) {
                    MemorySegment.copy(seg, JAVA_BYTE, 0, buf, off, (int) r);
                    return (int) r;
                }
                int e = errno(st);
                if (e != ErrnoException.EINTR) {
                    throw new ErrnoException(e, "read(fd " + fd + ")");
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public void write(int fd, byte[] buf, int off, int len) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment seg = a.allocate(Math.max(1, len));
            MemorySegment.copy(buf, off, seg, JAVA_BYTE, 0, len);
            long done = 0;
            while (done < len) {
                long r = Syscalls.call(st, Syscalls.WRITE, fd, seg.address() + done, len - done);
                if (r >= 0) {
                    done += r;
                    continue;
                }
                int e = errno(st);
                if (e != ErrnoException.EINTR) {
                    throw new ErrnoException(e, "write(fd " + fd + ")");
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public void close(int fd) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            if (Syscalls.call(st, Syscalls.CLOSE, fd, 0, 0) < 0) {
                throw new ErrnoException(errno(st), "close(fd " + fd + ")");
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int open(String path, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int r = (int) Open.H.invokeExact(st, a.allocateFrom(path), flags, 0);
            if (r < 0) {
                throw new ErrnoException(errno(st), "open(" + path + ")");
            }
            return r;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int dup(int fd) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            int r = (int) Dup.H.invokeExact(st, fd);
            if (r < 0) {
                throw new ErrnoException(errno(st), "dup(fd " + fd + ")");
            }
            return r;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public short poll(int fd, short events, int timeoutMillis) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment p = a.allocate(8, 4);
            p.set(JAVA_INT, 0, fd);
            p.set(JAVA_SHORT, 4, events);
            while (true) {
                int r = (int) Poll.H.invokeExact(st, p, 1L, timeoutMillis);
                if (r >= 0) {
                    return r == 0 ? 0 : p.get(JAVA_SHORT, 6);
                }
                int e = errno(st);
                if (e != ErrnoException.EINTR) {
                    throw new ErrnoException(e, "poll(fd " + fd + ")");
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int[] pipe() throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            if ((int) Pipe2.H.invokeExact(st, fds, O_CLOEXEC) < 0) {
                throw new ErrnoException(errno(st), "pipe2");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int[] socketpair() throws ErrnoException {
        return FfmSockets.socketpair();
    }

    @Override
    public void sendFd(int socket, int fd) throws ErrnoException {
        FfmSockets.sendFd(socket, fd);
    }

    @Override
    public void sendFd(String socketPath, int fd) throws ErrnoException {
        FfmSockets.sendFd(socketPath, fd);
    }

    @Override
    public int listenUnix(String socketPath) throws ErrnoException {
        return FfmSockets.listenUnix(socketPath);
    }

    @Override
    public int accept(int socket) throws ErrnoException {
        return FfmSockets.accept(socket);
    }

    @Override
    public int recvFd(int socket) throws ErrnoException {
        return FfmSockets.recvFd(socket);
    }

    @Override
    public PeerCred peerCredentials(int socket) throws ErrnoException {
        return FfmSockets.peerCredentials(socket);
    }

    @Override
    public int connectUnix(String socketPath) throws ErrnoException {
        return FfmSockets.connectUnix(socketPath);
    }

    @Override
    public void shutdown(int socket, int how) throws ErrnoException {
        FfmSockets.shutdown(socket, how);
    }

    @Override
    public void sendWithFds(int socket, byte[] data, int[] fds) throws ErrnoException {
        FfmSockets.sendWithFds(socket, data, fds);
    }

    @Override
    public int recvWithFds(int socket, byte[] buf, int off, int len, java.util.List<Integer> fds) throws ErrnoException {
        return FfmSockets.recvWithFds(socket, buf, off, len, fds);
    }

    @Override
    public int signalfd(int... signals) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment set = a.allocate(SIGSET_SIZE, 8);
            long bits = 0;
            for (int s : signals) {
                if (s < 1 || s > 64) {
                    throw new ErrnoException(22 /* EINVAL */, "signalfd(signal " + s + ")");
                }
                bits |= 1L << (s - 1);
            }
            set.set(JAVA_LONG, 0, bits);
            int r = (int) PthreadSigmask.H.invokeExact(SIG_BLOCK, set, MemorySegment.NULL);
            if (r != 0) {
                throw new ErrnoException(r, "pthread_sigmask"); // returns the error number, no errno
            }
            int fd = (int) Signalfd.H.invokeExact(st, -1, set, O_CLOEXEC);
            if (fd < 0) {
                throw new ErrnoException(errno(st), "signalfd");
            }
            return fd;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int readSignal(int signalFd) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment info = a.allocate(SIGINFO_SIZE, 8);
            while (true) {
                long r = Syscalls.call(st, Syscalls.READ, signalFd, info.address(), SIGINFO_SIZE);
                if (r == SIGINFO_SIZE) {
                    return info.get(JAVA_INT, 0); // ssi_signo
                }
                if (r >= 0) {
                    throw new ErrnoException(ErrnoException.EIO, "read(signalfd): " + r + " bytes");
                }
                int e = errno(st);
                if (e != ErrnoException.EINTR) {
                    throw new ErrnoException(e, "read(signalfd)");
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Strerror.H.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "errno " + errno : s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
