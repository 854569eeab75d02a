package io.jvmvisor.shim.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The CLI's side of the control socket: one connection per request. Most
 * operations answer with one line; {@code exec} answers twice (started, then
 * exited), read with {@link #next()}.
 */
public final class ControlClient implements AutoCloseable {
    /** The socket's file name in a container's state directory. */
    public static final String SOCKET_NAME = "shim.sock";

    private final SocketChannel channel;
    private final io.jvmvisor.sys.Fd fd;
    private final BufferedReader reader;

    private ControlClient(SocketChannel channel) {
        this.channel = channel;
        this.fd = null;
        this.reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    private ControlClient(io.jvmvisor.sys.Fd fd) {
        this.channel = null;
        this.fd = fd;
        this.reader = new BufferedReader(new InputStreamReader(fd.inputStream(), StandardCharsets.UTF_8));
    }

    /**
     * Connects and sends {@code request} with {@code fds} passed along it (SCM_RIGHTS): exec hands
     * the shim its own stdin/stdout/stderr so, the very open files (offset, O_APPEND and all).
     * Read the answers with {@link #next()}.
     */
    public static ControlClient sendWithFds(Path stateDir, ControlRequest request, int... fds) throws IOException {
        io.jvmvisor.sys.Libc libc = io.jvmvisor.sys.Libc.get();
        io.jvmvisor.sys.Fd sock = new io.jvmvisor.sys.Fd(libc.connectUnix(SocketPaths.socketDir(stateDir).resolve(SOCKET_NAME).toString()));
        try {
            byte[] json = ControlCodec.write(request);
            byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
            line[json.length] = '\n';
            libc.sendWithFds(sock.value(), line, fds);
        } catch (IOException | RuntimeException e) {
            sock.close();
            throw e;
        }
        return new ControlClient(sock);
    }

    /** Connects to the shim of the container whose state directory is given. */
    public static ControlClient connect(Path stateDir) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(SocketPaths.socketDir(stateDir).resolve(SOCKET_NAME)));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new ControlClient(ch);
    }

    /** Sends one request and reads its (first) answer. */
    public ControlResponse call(ControlRequest request) throws IOException {
        if (channel == null) {
            throw new IllegalStateException("the request of this connection was sent with it");
        }
        OutputStream out = Channels.newOutputStream(channel);
        try {
            out.write(ControlCodec.write(request));
            out.write('\n');
            out.flush();
        } catch (IOException unsent) {
            // a shim that refuses the caller (ControlServer's peer check) answers and closes at once,
            // maybe before the request is all written: the answer it left is the one to report
            try {
                return next();
            } catch (IOException noAnswer) {
                unsent.addSuppressed(noAnswer);
                throw unsent;
            }
        }
        return next();
    }

    /** Writes one more line on this connection (a commit). */
    public void sendLine(String line) throws IOException {
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (channel != null) {
            OutputStream out = Channels.newOutputStream(channel);
            out.write(b);
            out.flush();
        } else {
            fd.write(b, 0, b.length);
        }
    }

    /** Reads the next answer line; throws EOFException-like IOException when the shim hung up. */
    public ControlResponse next() throws IOException {
        String line = reader.readLine();
        if (line == null) {
            throw new IOException("the shim closed the control connection without an answer");
        }
        return ControlCodec.readResponse(line);
    }

    /** One request, one answer, connection closed. */
    public static ControlResponse call(Path stateDir, ControlRequest request) throws IOException {
        try (ControlClient c = connect(stateDir)) {
            return c.call(request);
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        } else {
            fd.close();
        }
    }
}
