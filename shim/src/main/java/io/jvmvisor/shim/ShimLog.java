package io.jvmvisor.shim;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Routes every log of the shim process (its own, gRPC's, netty's) to
 * {@code <state-dir>/shim.log}; errors also go to the runtime's {@code --log}
 * file in runc's format. Nothing is ever written to the container's stdio:
 * System.out and System.err are pointed at shim.log too.
 */
final class ShimLog {
    /** JUL keeps loggers weakly: hold the configured ones so their levels stay. */
    private static final java.util.List<Logger> CONFIGURED = new java.util.ArrayList<>();

    private ShimLog() {
    }

    static void install(Path shimLog, Path runtimeLog, boolean json, boolean debug) throws IOException {
        OutputStream file = io.jvmvisor.shim.control.PrivateFiles.open(shimLog, true);
        PrintStream text = new PrintStream(file, true, StandardCharsets.UTF_8);
        System.setOut(text);
        System.setErr(text);
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(debug ? Level.FINE : Level.INFO);
        root.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (!isLoggable(r)) {
                    return;
                }
                StringBuilder b = new StringBuilder().append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                        .append(r.getLevel()).append(' ').append(r.getLoggerName()).append(": ").append(message(r));
                synchronized (text) {
                    text.println(b);
                    if (r.getThrown() != null) {
                        r.getThrown().printStackTrace(text);
                    }
                }
            }

            @Override
            public void flush() {
                text.flush();
            }

            @Override
            public void close() {
                text.flush();
            }
        });
        root.getHandlers()[0].setLevel(debug ? Level.FINE : Level.INFO);
        level("io.grpc", debug ? Level.FINE : Level.WARNING);
        level("io.grpc.netty.shaded", Level.WARNING);
        // epoll domain sockets have no SO_KEEPALIVE: netty warns on every connection
        level("io.grpc.netty.shaded.io.netty.bootstrap", Level.SEVERE);
        if (runtimeLog != null) {
            Handler errors = new Handler() {
                @Override
                public synchronized void publish(LogRecord r) {
                    if (r.getLevel().intValue() < Level.SEVERE.intValue()) {
                        return;
                    }
                    String msg = message(r);
                    String line = json
                            ? "{\"level\":\"error\",\"msg\":" + quote(msg) + ",\"time\":\"" + Instant.ofEpochMilli(r.getMillis()) + "\"}\n"
                            : "time=\"" + Instant.ofEpochMilli(r.getMillis()) + "\" level=error msg=" + quote(msg) + "\n";
                    try {
                        Files.writeString(runtimeLog, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        // the runtime's log is best effort
                    }
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };
            root.addHandler(errors);
        }
    }

    private static void level(String name, Level level) {
        Logger l = Logger.getLogger(name);
        l.setLevel(level);
        CONFIGURED.add(l);
    }

    private static String message(LogRecord r) {
        String m = r.getMessage();
        if (r.getParameters() != null && m != null && m.contains("{0")) {
            m = java.text.MessageFormat.format(m, r.getParameters());
        }
        return m;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
