package io.jvmvisor.sys;

import static io.jvmvisor.sys.Downcalls.STATE;
import static io.jvmvisor.sys.Downcalls.errno;
import static io.jvmvisor.sys.Downcalls.unexpected;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/** The AF_UNIX socket calls of {@link Libc}: socket pairs, console sockets, SCM_RIGHTS. */
@SuppressWarnings("restricted") // native access is meant to happen in this package
final class FfmSockets {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM_CLOEXEC = 1 | 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SOCKADDR_UN_SIZE = 110;

    // Every call here goes through Syscalls' one syscall() stub: binding a downcall of its own
    // spins a stub (~5-10 ms each at start-up, none of it kept by the AOT cache).
    private static final int SO_PEERCRED = 17;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** Most fds one message carries (SCM_RIGHTS). */
    static final int MAX_FDS = 8;

    private FfmSockets() {
    }

    static int[] socketpair() throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment sv = a.allocate(JAVA_INT, 2);
            if (Syscalls.call(st, Syscalls.SOCKETPAIR, AF_UNIX, SOCK_STREAM_CLOEXEC, 0, sv.address(), 0) < 0) {
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

    static void sendFd(int socket, int fd) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment msg = message(a, fd);
            while (true) {
                long r = Syscalls.call(st, Syscalls.SENDMSG, socket, msg.address(), 0);
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
        int sock = (int) Syscalls.call(st, Syscalls.SOCKET, AF_UNIX, SOCK_STREAM_CLOEXEC, 0);
        if (sock < 0) {
            throw new ErrnoException(errno(st), "socket(AF_UNIX)");
        }
        return sock;
    }

    static int listenUnix(String socketPath) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment addr = sockaddr(a, socketPath, "bind");
            int sock = unixSocket(st);
            if (Syscalls.call(st, Syscalls.BIND, sock, addr.address(), SOCKADDR_UN_SIZE) < 0
                    || Syscalls.call(st, Syscalls.LISTEN, sock, 128, 0) < 0) {
                ErrnoException e = new ErrnoException(errno(st), "bind/listen(" + socketPath + ")");
                FfmLibc.INSTANCE.close(sock);
                throw e;
            }
            return sock;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int accept(int socket) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            while (true) {
                int r = (int) Syscalls.call(st, Syscalls.ACCEPT4, socket, 0, 0, 0x80000, 0);
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

    static void sendFd(String socketPath, int fd) throws ErrnoException {
        int sock;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment addr = sockaddr(a, socketPath, "connect");
            sock = unixSocket(st);
            try {
                if (Syscalls.call(st, Syscalls.CONNECT, sock, addr.address(), SOCKADDR_UN_SIZE) < 0) {
                    throw new ErrnoException(errno(st), "connect(" + socketPath + ")");
                }
                sendFd(sock, fd);
            } finally {
                FfmLibc.INSTANCE.close(sock);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int recvFd(int socket) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment msg = message(a, -1);
            long r = Syscalls.call(st, Syscalls.RECVMSG, socket, msg.address(), MSG_CMSG_CLOEXEC);
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

    static Libc.PeerCred peerCredentials(int socket) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment cred = a.allocate(12, 4);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 12);
            if (Syscalls.call(st, Syscalls.GETSOCKOPT, socket, SOL_SOCKET, SO_PEERCRED, cred.address(), len.address()) < 0) {
                throw new ErrnoException(errno(st), "getsockopt(SO_PEERCRED)");
            }
            return new Libc.PeerCred(cred.get(JAVA_INT, 0), cred.get(JAVA_INT, 4), cred.get(JAVA_INT, 8));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int connectUnix(String socketPath) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment addr = sockaddr(a, socketPath, "connect");
            int sock = unixSocket(st);
            if (Syscalls.call(st, Syscalls.CONNECT, sock, addr.address(), SOCKADDR_UN_SIZE) < 0) {
                ErrnoException e = new ErrnoException(errno(st), "connect(" + socketPath + ")");
                FfmLibc.INSTANCE.close(sock);
                throw e;
            }
            return sock;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void shutdown(int socket, int how) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            if (Syscalls.call(st, Syscalls.SHUTDOWN, socket, how, 0) < 0) {
                throw new ErrnoException(errno(st), "shutdown(fd " + socket + ")");
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** struct msghdr over {@code data} with room for {@code fds} SCM_RIGHTS descriptors (x86_64 offsets). */
    private static MemorySegment messageOf(Arena a, MemorySegment data, int[] fds, int room) {
        MemorySegment iov = a.allocate(16, 8);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, 8, data.byteSize());
        MemorySegment msg = a.allocate(56, 8);
        msg.set(ADDRESS, 16, iov);
        msg.set(JAVA_LONG, 24, 1L);
        if (room > 0) {
            long space = 16 + ((4L * room + 7) & ~7L); // CMSG_SPACE(room * sizeof(int))
            MemorySegment control = a.allocate(space, 8);
            control.set(JAVA_LONG, 0, 16L + 4L * (fds == null ? room : fds.length)); // CMSG_LEN
            control.set(JAVA_INT, 8, SOL_SOCKET);
            control.set(JAVA_INT, 12, SCM_RIGHTS);
            if (fds != null) {
                for (int i = 0; i < fds.length; i++) {
                    control.set(JAVA_INT, 16 + 4L * i, fds[i]);
                }
                space = 16 + ((4L * fds.length + 7) & ~7L);
            }
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, space);
        }
        return msg;
    }

    static void sendWithFds(int socket, byte[] data, int[] fds) throws ErrnoException {
        if (data.length == 0 || fds.length > MAX_FDS) {
            throw new ErrnoException(22 /* EINVAL */, "sendmsg: " + data.length + " bytes, " + fds.length + " fds");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment buf = a.allocate(data.length);
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            long done = 0;
            boolean first = true;
            while (done < data.length) {
                MemorySegment msg = messageOf(a, buf.asSlice(done), first ? fds : null, first ? fds.length : 0);
                long r = Syscalls.call(st, Syscalls.SENDMSG, socket, msg.address(), MSG_NOSIGNAL);
                if (r < 0) {
                    int e = errno(st);
                    if (e == ErrnoException.EINTR) {
                        continue;
                    }
                    throw new ErrnoException(e, "sendmsg(fd " + socket + ")");
                }
                done += r;
                first = false;
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int recvWithFds(int socket, byte[] buf, int off, int len, java.util.List<Integer> fds) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(STATE);
            MemorySegment data = a.allocate(Math.max(1, len));
            MemorySegment msg = messageOf(a, data, null, MAX_FDS);
            long r;
            while (true) {
                r = Syscalls.call(st, Syscalls.RECVMSG, socket, msg.address(), MSG_CMSG_CLOEXEC);
                if (r >= 0) {
                    break;
                }
                int e = errno(st);
                if (e != ErrnoException.EINTR) {
                    throw new ErrnoException(e, "recvmsg(fd " + socket + ")");
                }
            }
            long controlLen = msg.get(JAVA_LONG, 40);
            if (controlLen >= 16) {
                MemorySegment control = msg.get(ADDRESS, 32).reinterpret(controlLen);
                long cmsgLen = control.get(JAVA_LONG, 0);
                if (control.get(JAVA_INT, 8) == SOL_SOCKET && control.get(JAVA_INT, 12) == SCM_RIGHTS) {
                    for (long o = 16; o + 4 <= cmsgLen && o + 4 <= controlLen; o += 4) {
                        fds.add(control.get(JAVA_INT, o));
                    }
                }
            }
            MemorySegment.copy(data, JAVA_BYTE, 0, buf, off, (int) r);
            return (int) r;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
