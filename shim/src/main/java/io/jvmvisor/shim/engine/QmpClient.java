package io.jvmvisor.shim.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A minimal QMP client: one connection per command (capabilities handshake, command, answer). */
public final class QmpClient {

    private QmpClient() {
    }

    /** Runs a QMP command without arguments ("stop", "cont", "quit", "query-status"); returns its "return". */
    public static JsonNode execute(Path socket, String command) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            var out = Channels.newOutputStream(ch);
            readAnswer(in, "greeting", true);
            out.write("{\"execute\":\"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8));
            readAnswer(in, "qmp_capabilities", false);
            out.write(("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.UTF_8));
            return readAnswer(in, command, false);
        }
    }

    /** One QMP connection for several commands (a migration: capabilities, migrate, polls). */
    public static final class Session implements AutoCloseable {
        private final SocketChannel ch;
        private final BufferedReader in;
        private final java.io.OutputStream out;

        private Session(SocketChannel ch) throws IOException {
            this.ch = ch;
            this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            this.out = Channels.newOutputStream(ch);
            readAnswer(in, "greeting", true);
            call("qmp_capabilities", null);
        }

        /** Connects, retrying while the socket does not exist or refuses, until {@code deadlineNanos}. */
        public static Session open(Path socket, long deadlineNanos) throws IOException, InterruptedException {
            while (true) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return new Session(ch);
                } catch (IOException e) {
                    ch.close();
                    if (System.nanoTime() > deadlineNanos) {
                        throw new IOException("QMP socket " + socket + ": " + e.getMessage());
                    }
                    Thread.sleep(5);
                }
            }
        }

        /** Runs {@code command} with {@code arguments} (JSON object text, or null); returns its "return". */
        public JsonNode call(String command, String arguments) throws IOException {
            String msg = "{\"execute\":\"" + command + "\"" + (arguments == null ? "" : ",\"arguments\":" + arguments) + "}\n";
            out.write(msg.getBytes(StandardCharsets.UTF_8));
            return readAnswer(in, command, false);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private static JsonNode readAnswer(BufferedReader in, String what, boolean greeting) throws IOException {
        while (true) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("QMP: the VMM closed the connection before answering " + what);
            }
            JsonNode n = io.jvmvisor.oci.JsonTree.read(line);
            if (greeting && n.has("QMP")) {
                return n;
            }
            if (n.has("error")) {
                throw new IOException("QMP " + what + ": " + n.path("error").path("desc").asText());
            }
            if (n.has("return")) {
                return n.get("return");
            }
            // an event: skip
        }
    }
}
