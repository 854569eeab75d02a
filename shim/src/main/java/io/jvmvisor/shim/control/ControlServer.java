package io.jvmvisor.shim.control;

import io.jvmvisor.sys.ErrnoException;
import io.jvmvisor.sys.Fd;
import io.jvmvisor.sys.Libc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The shim's side of the control socket: one thread per connection, one JSON request line
 * (at most {@link #MAX_REQUEST} bytes, with the descriptors the client passed along it by
 * SCM_RIGHTS), answer lines written by the {@link Handler}.
 *
 * <p>Who may drive the container: the socket is {@code 0600} inside a {@code 0700} state dir,
 * and every connection's peer credentials (SO_PEERCRED) are checked: only root and the socket's
 * owner get an answer; anyone else gets {@code PERMISSION_DENIED} and the connection is closed.
 */
public final class ControlServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("shim.control");
    /** Longest request line accepted (a process.json with its environment fits many times). */
    public static final int MAX_REQUEST = 1 << 20;

    /** Answers requests. {@code answer} may be called more than once (exec). */
    public interface Handler {
        void handle(ControlRequest request, Answer answer) throws IOException;
    }

    /** Where a handler writes its answer lines, and what it knows of the client. */
    public interface Answer {
        void send(ControlResponse response) throws IOException;

        /** The client's credentials (SO_PEERCRED); null where unknown. */
        default Libc.PeerCred peer() {
            return null;
        }

        /** The descriptors the client sent with its request; the handler owns (and closes) those it takes. */
        default List<Fd> takeFds() {
            return List.of();
        }

        /**
         * Completes when the client hangs up (watched only once asked for) with false, or with true
         * as soon as it sends something after its request (a commit line).
         */
        default CompletableFuture<Boolean> hangup() {
            return new CompletableFuture<>();
        }
    }

    private final int listenFd;
    private final Path socket;
    private final Thread acceptor;
    private final Predicate<Libc.PeerCred> allowed;
    private volatile boolean open = true;

    private ControlServer(int listenFd, Path socket, Handler handler, Predicate<Libc.PeerCred> allowed) {
        this.listenFd = listenFd;
        this.socket = socket;
        this.allowed = allowed;
        this.acceptor = Thread.ofPlatform().daemon().name("control-accept").start(() -> accept(handler));
    }

    /** Listens on {@code socket} (an old socket file there is replaced); root and the socket's owner may connect. */
    public static ControlServer listen(Path socket, Handler handler) throws IOException {
        return listen(socket, handler, null);
    }

    /**
     * As {@link #listen(Path, Handler)}, with the peers allowed given explicitly (tests); null
     * means root and the socket's owner.
     */
    public static ControlServer listen(Path socket, Handler handler, Predicate<Libc.PeerCred> allowed) throws IOException {
        Files.deleteIfExists(socket);
        int fd;
        try {
            fd = Libc.get().listenUnix(socket.toString());
        } catch (ErrnoException e) {
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        }
        try {
            Files.setPosixFilePermissions(socket, PrivateFiles.FILE);
            if (allowed == null) {
                int owner = (Integer) Files.getAttribute(socket, "unix:uid");
                allowed = p -> p.uid() == 0 || p.uid() == owner;
            }
        } catch (IOException | RuntimeException e) {
            Libc.get().close(fd);
            Files.deleteIfExists(socket);
            throw e;
        }
        return new ControlServer(fd, socket, handler, allowed);
    }

    private void accept(Handler handler) {
        while (open) {
            int c;
            try {
                c = Libc.get().accept(listenFd);
            } catch (ErrnoException e) {
                if (open) {
                    LOG.log(Level.WARNING, "control socket accept failed: " + e.getMessage());
                }
                return;
            }
            Thread.ofPlatform().daemon().name("control").stackSize(256 << 10).start(() -> serve(c, handler));
        }
    }

    private void serve(int fd, Handler handler) {
        Connection conn = new Connection(fd);
        try {
            Libc.PeerCred peer = Libc.get().peerCredentials(fd);
            conn.peer = peer;
            if (!allowed.test(peer)) {
                LOG.log(Level.WARNING, "control: refused a client (pid " + peer.pid() + ", uid " + peer.uid() + ")");
                conn.send(ControlResponse.failure(ControlResponse.ErrorCode.PERMISSION_DENIED,
                        "permission denied: uid " + peer.uid() + " may not drive this container"));
                return;
            }
            String line = conn.readLine();
            if (line == null) {
                return;
            }
            ControlRequest req;
            try {
                req = ControlCodec.readRequest(line);
                ControlRequest.Op.of(req.op());
            } catch (IOException | IllegalArgumentException e) {
                conn.send(ControlResponse.failure(ControlResponse.ErrorCode.INVALID_ARGUMENT,
                        "bad control request: " + e.getMessage()));
                return;
            }
            try {
                handler.handle(req, conn);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "control " + req.op() + " failed", e);
                conn.send(ControlResponse.failure(ControlResponse.ErrorCode.INTERNAL, req.op() + ": " + e));
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "control connection: " + e.getMessage());
        } finally {
            conn.close();
        }
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        if (open) {
            open = false;
            try {
                Libc.get().shutdown(listenFd, 2); // wakes the acceptor's accept()
            } catch (ErrnoException e) {
                // not listening any more
            }
            try {
                acceptor.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Libc.get().close(listenFd);
        }
        Files.deleteIfExists(socket);
    }

    /** One accepted client. */
    private static final class Connection implements Answer {
        private final int fd;
        private final List<Fd> received = new ArrayList<>();
        private final CompletableFuture<Boolean> hangup = new CompletableFuture<>();
        private Libc.PeerCred peer;
        private Thread watcher;

        Connection(int fd) {
            this.fd = fd;
        }

        /** The request line, reading only what recvmsg gives (descriptors come with the first bytes). */
        String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            List<Integer> fds = new ArrayList<>();
            while (true) {
                int n = Libc.get().recvWithFds(fd, buf, 0, buf.length, fds);
                for (int f : fds) {
                    received.add(new Fd(f));
                }
                fds.clear();
                if (n <= 0) {
                    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
                }
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        line.write(buf, 0, i);
                        return line.toString(StandardCharsets.UTF_8);
                    }
                }
                line.write(buf, 0, n);
                if (line.size() > MAX_REQUEST) {
                    send(ControlResponse.failure(ControlResponse.ErrorCode.INVALID_ARGUMENT,
                            "control request longer than " + MAX_REQUEST + " bytes"));
                    return null;
                }
            }
        }

        @Override
        public synchronized void send(ControlResponse response) throws IOException {
            byte[] json = ControlCodec.writeResponse(response);
            byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
            out[json.length] = '\n';
            Libc.get().sendWithFds(fd, out, new int[0]);
        }

        @Override
        public Libc.PeerCred peer() {
            return peer;
        }

        @Override
        public synchronized List<Fd> takeFds() {
            List<Fd> taken = List.copyOf(received);
            received.clear();
            return taken;
        }

        @Override
        public synchronized CompletableFuture<Boolean> hangup() {
            if (watcher == null) {
                watcher = Thread.ofPlatform().daemon().name("control-hangup").stackSize(128 << 10).start(() -> {
                    byte[] b = new byte[64];
                    boolean sent = false;
                    try {
                        while (Libc.get().read(fd, b, 0, b.length) > 0) {
                            sent = true; // what it is does not matter: only that the client said something
                            hangup.complete(true); // known now; the hang-up itself may follow much later
                        }
                    } catch (ErrnoException e) {
                        // a reset connection is a hang-up too
                    }
                    hangup.complete(sent);
                });
            }
            return hangup;
        }

        void close() {
            Thread w;
            synchronized (this) {
                w = watcher;
            }
            try {
                Libc.get().shutdown(fd, 2); // ends the watcher's read before the fd number can be reused
            } catch (ErrnoException e) {
                // the peer is gone already
            }
            if (w != null) {
                try {
                    w.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (Fd f : takeFds()) {
                try {
                    f.close();
                } catch (ErrnoException e) {
                    // closing a received descriptor cannot usefully fail
                }
            }
            try {
                Libc.get().close(fd);
            } catch (ErrnoException e) {
                LOG.log(Level.DEBUG, "control: close: " + e.getMessage());
            }
        }
    }
}
