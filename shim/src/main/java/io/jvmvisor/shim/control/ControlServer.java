package io.jvmvisor.shim.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shim's side of the control socket: one virtual thread per connection,
 * one JSON request line, answer lines written by the {@link Handler}.
 */
public final class ControlServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("shim.control");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Answers requests. {@code answer} may be called more than once (exec). */
    public interface Handler {
        void handle(ControlRequest request, Answer answer) throws IOException;
    }

    /** Where a handler writes its answer lines. */
    public interface Answer {
        void send(ControlResponse response) throws IOException;
    }

    private final ServerSocketChannel server;
    private final Path socket;
    private final Thread acceptor;

    private ControlServer(ServerSocketChannel server, Path socket, Handler handler) {
        this.server = server;
        this.socket = socket;
        this.acceptor = Thread.ofVirtual().name("control-accept").start(() -> accept(handler));
    }

    /** Listens on {@code socket} (an old socket file there is replaced). */
    public static ControlServer listen(Path socket, Handler handler) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        }
        return new ControlServer(s, socket, handler);
    }

    private void accept(Handler handler) {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                Thread.ofVirtual().name("control").start(() -> serve(c, handler));
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.WARNING, "control socket accept failed: " + e.getMessage());
                }
                return;
            }
        }
    }

    private static void serve(SocketChannel c, Handler handler) {
        try (c) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(c);
            Answer answer = r -> {
                synchronized (out) {
                    out.write(JSON.writeValueAsBytes(r));
                    out.write('\n');
                    out.flush();
                }
            };
            String line = in.readLine();
            if (line == null) {
                return;
            }
            ControlRequest req;
            try {
                req = JSON.readValue(line, ControlRequest.class);
                ControlRequest.Op.of(req.op());
            } catch (IOException | IllegalArgumentException e) {
                answer.send(ControlResponse.failure(ControlResponse.ErrorCode.INVALID_ARGUMENT,
                        "bad control request: " + e.getMessage()));
                return;
            }
            try {
                handler.handle(req, answer);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "control " + req.op() + " failed", e);
                answer.send(ControlResponse.failure(ControlResponse.ErrorCode.INTERNAL, req.op() + ": " + e));
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "control connection: " + e.getMessage());
        }
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
        Files.deleteIfExists(socket);
    }
}
