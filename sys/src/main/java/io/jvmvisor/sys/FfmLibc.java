package io.jvmvisor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/** {@link Libc} through FFM; errno is captured per call (never a shared static). */
@SuppressWarnings("restricted") // this class is where native access is meant to happen
final class FfmLibc implements Libc {
    static final FfmLibc INSTANCE = new FfmLibc();

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_VALUE =
            STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private static final long TIOCGWINSZ = 0x5413;
    private static final long TIOCSWINSZ = 0x5414;
    private static final int TCSANOW = 0;
    private static final int TERMIOS_SIZE = 64; // glibc x86_64: 60, rounded up
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM_CLOEXEC = 1 | 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SOCKADDR_UN_SIZE = 110;

    private static final MethodHandle GETPID = find("getpid", FunctionDescriptor.of(JAVA_INT), false);
    private static final MethodHandle KILL = find("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle PRCTL = find("prctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), true, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SETSID = find("setsid", FunctionDescriptor.of(JAVA_INT), true);
    private static final MethodHandle OPENPTY = find("openpty",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS), true);
    private static final MethodHandle IOCTL_PTR = find("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), true, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle TCGETATTR = find("tcgetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), true);
    private static final MethodHandle CFMAKERAW = find("cfmakeraw", FunctionDescriptor.ofVoid(ADDRESS), false);
    private static final MethodHandle TCSETATTR = find("tcsetattr",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), true);
    private static final MethodHandle ISATTY = find("isatty", FunctionDescriptor.of(JAVA_INT, JAVA_INT), false);
    private static final MethodHandle READ = find("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), true);
    private static final MethodHandle WRITE = find("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), true);
    private static final MethodHandle CLOSE = find("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true);
    private static final MethodHandle OPEN = find("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), true, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle DUP = find("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true);
    private static final MethodHandle POLL = find("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), true);
    private static final MethodHandle SOCKET = find("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle SOCKETPAIR = find("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), true);
    private static final MethodHandle CONNECT = find("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle BIND = find("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle LISTEN = find("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle ACCEPT4 = find("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), true);
    private static final MethodHandle SENDMSG = find("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle RECVMSG = find("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle STRERROR = find("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT), false);

    private FfmLibc() {
    }

    private static MethodHandle find(String name, FunctionDescriptor fd, boolean errno, Linker.Option... extra) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        Linker.Option[] opts = extra;
        if (errno) {
            opts = java.util.Arrays.copyOf(extra, extra.length + 1);
            opts[extra.length] = ERRNO;
        }
        return LINKER.downcallHandle(sym, fd, opts);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO_VALUE.get(state, 0L);
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    @Override
    public int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public void kill(int pid, int signal) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            if ((int) KILL.invokeExact(st, pid, signal) < 0) {
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
            int r = (int) PRCTL.invokeExact(st, option, arg2);
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
            int r = (int) SETSID.invokeExact(st);
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
            int r = (int) OPENPTY.invokeExact(st, m, s, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL);
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
            if ((int) IOCTL_PTR.invokeExact(st, fd, TIOCGWINSZ, ws) < 0) {
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
            if ((int) IOCTL_PTR.invokeExact(st, fd, TIOCSWINSZ, ws) < 0) {
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
            if ((int) TCGETATTR.invokeExact(st, fd, t) < 0) {
                throw new ErrnoException(errno(st), "tcgetattr");
            }
            CFMAKERAW.invokeExact(t);
            if ((int) TCSETATTR.invokeExact(st, fd, TCSANOW, t) < 0) {
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
            return (int) ISATTY.invokeExact(fd) == 1;
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
                long r = (long) READ.invokeExact(st, fd, seg, (long) len);
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
                long r = (long) WRITE.invokeExact(st, fd, seg.asSlice(done), (long) len - done);
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
            if ((int) CLOSE.invokeExact(st, fd) < 0) {
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
            int r = (int) OPEN.invokeExact(st, a.allocateFrom(path), flags, 0);
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
            int r = (int) DUP.invokeExact(st, fd);
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
                int r = (int) POLL.invokeExact(st, p, 1L, timeoutMillis);
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
    public int[] socketpair() throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment sv = a.allocate(JAVA_INT, 2);
            if ((int) SOCKETPAIR.invokeExact(st, AF_UNIX, SOCK_STREAM_CLOEXEC, 0, sv) < 0) {
                throw new ErrnoException(errno(st), "socketpair");
            }
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** struct msghdr with one iovec of one byte and, for sending, one SCM_RIGHTS fd (x86_64 offsets). */
    private static MemorySegment message(Arena a, int fdToSend) {
        MemorySegment data = a.allocate(1);
        MemorySegment iov = a.allocate(16, 8);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, 8, 1L);
        MemorySegment control = a.allocate(24, 8); // CMSG_SPACE(sizeof(int))
        control.set(JAVA_LONG, 0, 20L);            // CMSG_LEN(sizeof(int))
        control.set(JAVA_INT, 8, SOL_SOCKET);
        control.set(JAVA_INT, 12, SCM_RIGHTS);
        control.set(JAVA_INT, 16, fdToSend);
        MemorySegment msg = a.allocate(56, 8);
        msg.set(ADDRESS, 16, iov);
        msg.set(JAVA_LONG, 24, 1L);
        msg.set(ADDRESS, 32, control);
        msg.set(JAVA_LONG, 40, 24L);
        return msg;
    }

    @Override
    public void sendFd(int socket, int fd) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment msg = message(a, fd);
            while (true) {
                long r = (long) SENDMSG.invokeExact(st, socket, msg, 0);
                if (r >= 0) {
                    return;
                }
                int e = errno(st);
                if (e != ErrnoException.EINTR) {
                    throw new ErrnoException(e, "sendmsg(SCM_RIGHTS)");
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** struct sockaddr_un for a path. */
    private static MemorySegment sockaddr(Arena a, String socketPath, String call) throws ErrnoException {
        byte[] path = socketPath.getBytes(StandardCharsets.UTF_8);
        if (path.length >= SOCKADDR_UN_SIZE - 2) {
            throw new ErrnoException(36 /* ENAMETOOLONG */, call + "(" + socketPath + ")");
        }
        MemorySegment addr = a.allocate(SOCKADDR_UN_SIZE, 2);
        addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(path, 0, addr, JAVA_BYTE, 2, path.length);
        return addr;
    }

    private static int unixSocket(MemorySegment st) throws Throwable {
        int sock = (int) SOCKET.invokeExact(st, AF_UNIX, SOCK_STREAM_CLOEXEC, 0);
        if (sock < 0) {
            throw new ErrnoException(errno(st), "socket(AF_UNIX)");
        }
        return sock;
    }

    @Override
    public int listenUnix(String socketPath) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment addr = sockaddr(a, socketPath, "bind");
            int sock = unixSocket(st);
            if ((int) BIND.invokeExact(st, sock, addr, SOCKADDR_UN_SIZE) < 0
                    || (int) LISTEN.invokeExact(st, sock, 16) < 0) {
                ErrnoException e = new ErrnoException(errno(st), "bind/listen(" + socketPath + ")");
                close(sock);
                throw e;
            }
            return sock;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int accept(int socket) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            while (true) {
                int r = (int) ACCEPT4.invokeExact(st, socket, MemorySegment.NULL, MemorySegment.NULL, 0x80000);
                if (r >= 0) {
                    return r;
                }
                int e = errno(st);
                if (e != ErrnoException.EINTR) {
                    throw new ErrnoException(e, "accept(fd " + socket + ")");
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public void sendFd(String socketPath, int fd) throws ErrnoException {
        int sock;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment addr = sockaddr(a, socketPath, "connect");
            sock = unixSocket(st);
            try {
                if ((int) CONNECT.invokeExact(st, sock, addr, SOCKADDR_UN_SIZE) < 0) {
                    throw new ErrnoException(errno(st), "connect(" + socketPath + ")");
                }
                sendFd(sock, fd);
            } finally {
                close(sock);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public int recvFd(int socket) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment msg = message(a, -1);
            long r = (long) RECVMSG.invokeExact(st, socket, msg, MSG_CMSG_CLOEXEC);
            if (r < 0) {
                throw new ErrnoException(errno(st), "recvmsg");
            }
            MemorySegment control = msg.get(ADDRESS, 32).reinterpret(24);
            long controlLen = msg.get(JAVA_LONG, 40);
            if (controlLen < 20 || control.get(JAVA_INT, 8) != SOL_SOCKET || control.get(JAVA_INT, 12) != SCM_RIGHTS) {
                throw new ErrnoException(ErrnoException.EIO, "recvmsg: no SCM_RIGHTS fd in the message");
            }
            return control.get(JAVA_INT, 16);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    public String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "errno " + errno : s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
