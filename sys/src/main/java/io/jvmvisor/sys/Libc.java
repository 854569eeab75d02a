package io.jvmvisor.sys;

/**
 * The C library calls jvmvisor needs, on Linux x86_64 with glibc. One FFM
 * implementation ({@link FfmLibc}); every failing call throws
 * {@link ErrnoException} with the errno of that very call.
 */
public interface Libc {
    int SIGKILL = 9;
    int SIGTERM = 15;
    int PR_SET_PDEATHSIG = 1;
    int PR_SET_CHILD_SUBREAPER = 36;
    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_RDWR = 2;
    int O_NOCTTY = 0x100;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;
    short POLLIN = 0x1;
    short POLLOUT = 0x4;
    short POLLERR = 0x8;
    short POLLHUP = 0x10;
    short POLLNVAL = 0x20;

    /** The implementation for this process. */
    static Libc get() {
        return FfmLibc.INSTANCE;
    }

    /** A pty pair: the master (the terminal's side) and the slave (the program's). */
    record Pty(int master, int slave) {
    }

    /** The credentials of a Unix socket's peer, as the kernel recorded them at connect(2). */
    record PeerCred(int pid, int uid, int gid) {
    }

    /** A terminal window size. */
    record WinSize(int rows, int cols) {
    }

    /** {@code pid_t getpid(void)} */
    int getpid();

    /** {@code int kill(pid_t pid, int sig)} */
    void kill(int pid, int signal) throws ErrnoException;

    /** {@code int prctl(int option, unsigned long arg2, ...)} */
    int prctl(int option, long arg2) throws ErrnoException;

    /** {@code pid_t setsid(void)} */
    int setsid() throws ErrnoException;

    /** {@code int openpty(int *amaster, int *aslave, char *name, const struct termios *, const struct winsize *)} */
    Pty openpty() throws ErrnoException;

    /** {@code ioctl(fd, TIOCGWINSZ, struct winsize *)} */
    WinSize getWinSize(int fd) throws ErrnoException;

    /** {@code ioctl(fd, TIOCSWINSZ, const struct winsize *)} */
    void setWinSize(int fd, WinSize size) throws ErrnoException;

    /** {@code tcgetattr(fd, &t); cfmakeraw(&t); tcsetattr(fd, TCSANOW, &t)} */
    void makeRaw(int fd) throws ErrnoException;

    /** {@code int isatty(int fd)} (no errno: false for anything not a terminal) */
    boolean isatty(int fd);

    /** {@code ssize_t read(int fd, void *buf, size_t count)}; returns 0 at EOF. Retries on EINTR. */
    int read(int fd, byte[] buf, int off, int len) throws ErrnoException;

    /** {@code ssize_t write(int fd, const void *buf, size_t count)}; writes everything. Retries on EINTR. */
    void write(int fd, byte[] buf, int off, int len) throws ErrnoException;

    /** {@code int close(int fd)} */
    void close(int fd) throws ErrnoException;

    /** {@code int open(const char *path, int flags, mode_t mode)} */
    int open(String path, int flags) throws ErrnoException;

    /** {@code int dup(int fd)} */
    int dup(int fd) throws ErrnoException;

    /** {@code int poll(struct pollfd *fds, nfds_t n, int timeout)} on one fd; returns revents (0 on timeout). */
    short poll(int fd, short events, int timeoutMillis) throws ErrnoException;

    /** {@code int pipe2(int fds[2], O_CLOEXEC)}: {read end, write end}. */
    int[] pipe() throws ErrnoException;

    /** {@code int socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, int sv[2])} */
    int[] socketpair() throws ErrnoException;

    /** {@code sendmsg(sock, msg with SCM_RIGHTS {fd}, 0)} with one byte of data, as runc's console socket. */
    void sendFd(int socket, int fd) throws ErrnoException;

    /** Connects to the AF_UNIX stream socket at the path and sends the fd over it ({@link #sendFd(int, int)}). */
    void sendFd(String socketPath, int fd) throws ErrnoException;

    /** {@code socket(AF_UNIX, SOCK_STREAM); bind(path); listen(n)}: a listening socket, as a console socket server. */
    int listenUnix(String socketPath) throws ErrnoException;

    /** {@code int accept4(int sock, NULL, NULL, SOCK_CLOEXEC)} */
    int accept(int socket) throws ErrnoException;

    /** {@code recvmsg(sock, ...)}: the fd received with SCM_RIGHTS. */
    int recvFd(int socket) throws ErrnoException;

    /** {@code getsockopt(sock, SOL_SOCKET, SO_PEERCRED, struct ucred *, ...)} */
    PeerCred peerCredentials(int socket) throws ErrnoException;

    /** {@code socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC); connect(path)}: the connected socket. */
    int connectUnix(String socketPath) throws ErrnoException;

    /** {@code int shutdown(int sock, int how)} (0 read, 1 write, 2 both) */
    void shutdown(int socket, int how) throws ErrnoException;

    /** {@code sendmsg(sock, data, MSG_NOSIGNAL)} with {@code fds} (at most 8) as SCM_RIGHTS on its first byte; sends everything. */
    void sendWithFds(int socket, byte[] data, int[] fds) throws ErrnoException;

    /**
     * {@code recvmsg(sock, buf, MSG_CMSG_CLOEXEC)}: bytes read (0 at EOF); descriptors that came with
     * them (SCM_RIGHTS) are added to {@code fds}, owned by the caller.
     */
    int recvWithFds(int socket, byte[] buf, int off, int len, java.util.List<Integer> fds) throws ErrnoException;

    /**
     * {@code pthread_sigmask(SIG_BLOCK, set, NULL); signalfd(-1, set, SFD_CLOEXEC)}: a descriptor from
     * which the given signals (1..64) are read. They must be blocked in every thread of the process
     * for all of them to arrive there (bin/jvmvisor starts the JVM so for exec and run).
     */
    int signalfd(int... signals) throws ErrnoException;

    /** {@code read(sfd, struct signalfd_siginfo *, 128)}: the number of the next signal. Retries on EINTR. */
    int readSignal(int signalFd) throws ErrnoException;

    /** {@code char *strerror(int errnum)} */
    String strerror(int errno);
}
