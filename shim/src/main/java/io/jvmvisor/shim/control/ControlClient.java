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
    private final BufferedReader reader;

    private ControlClient(SocketChannel channel) {
        this.channel = channel;
        this.reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
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
        OutputStream out = Channels.newOutputStream(channel);
        out.write(ControlCodec.write(request));
        out.write('\n');
        out.flush();
        return next();
    }

    /** Reads the next answer line; throws EOFException-like IOException when the shim hung up. */
    public ControlResponse next() throws IOException {
        String line = reader.readLine();
        if (line == null) {
            throw new IOException("the shim closed the control connection without an answer");
        }
        return ControlCodec.read(line, ControlResponse.class);
    }

    /** One request, one answer, connection closed. */
    public static ControlResponse call(Path stateDir, ControlRequest request) throws IOException {
        try (ControlClient c = connect(stateDir)) {
            return c.call(request);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
