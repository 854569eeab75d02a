package io.jvmvisor.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The CLI's messages: errors and warnings go to stderr as {@code jvmvisor: msg}
 * and, with {@code --log FILE}, to that file in runc's format (logrus): JSON
 * lines {@code {"level":"error","msg":"...","time":"..."}} or text
 * {@code time="..." level=error msg="..."}. docker and containerd read the last
 * error from that file.
 */
public final class ErrorLog {
    private final Path file;
    private final boolean json;
    private final boolean debug;
    private final PrintStream stderr;

    public ErrorLog(Path file, String format, boolean debug, PrintStream stderr) {
        this.file = file;
        this.json = "json".equals(format);
        this.debug = debug;
        this.stderr = stderr;
    }

    /** An error: stderr and the log. */
    public void error(String message) {
        stderr.println("jvmvisor: " + message);
        stderr.flush();
        append("error", message);
    }

    /** A warning: stderr and the log. */
    public void warn(String message) {
        stderr.println("jvmvisor: warning: " + message);
        stderr.flush();
        append("warning", message);
    }

    /** A debug line: only with --debug, to the log (stderr if there is no log). */
    public void debug(String message) {
        if (!debug) {
            return;
        }
        if (file == null) {
            stderr.println("jvmvisor: debug: " + message);
        } else {
            append("debug", message);
        }
    }

    /** The log file (null when none), passed on to the shim. */
    public Path file() {
        return file;
    }

    /** The log format name. */
    public String format() {
        return json ? "json" : "text";
    }

    private void append(String level, String message) {
        if (file == null) {
            return;
        }
        String time = Instant.now().toString();
        String line = json
                ? "{\"level\":\"" + level + "\",\"msg\":" + quote(message) + ",\"time\":\"" + time + "\"}\n"
                : "time=\"" + time + "\" level=" + level + " msg=" + quote(message) + "\n";
        try {
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            stderr.println("jvmvisor: cannot write log " + file + ": " + e.getMessage());
        }
    }

    /** A JSON string literal. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
