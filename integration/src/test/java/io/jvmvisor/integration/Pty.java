package io.jvmvisor.integration;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.Commands;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** Drives commands through a real pty: {@code script(1)} for one-shot runs, tmux for interactive ones. */
final class Pty {
    private Pty() {
    }

    static String quote(List<String> argv) {
        return argv.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
    }

    /** Runs argv under script(1) with {@code input} typed into its pty; the exit code is the command's. */
    static CommandResult script(List<String> argv, String input, Duration timeout) {
        String sh = "printf '%s' \"$JV_INPUT\" | script -qefc " + quoteOne(quote(argv)) + " /dev/null";
        return Commands.run(timeout, List.of("env", "JV_INPUT=" + input, "sh", "-c", sh), new byte[0]);
    }

    private static String quoteOne(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static Tmux tmux(Path socket, int cols, int rows, List<String> argv) {
        Tmux t = new Tmux(socket);
        t.tmux("new-session", "-d", "-x", Integer.toString(cols), "-y", Integer.toString(rows), quote(argv));
        return t;
    }

    /** A private tmux server (own socket) running one command. */
    static final class Tmux implements AutoCloseable {
        private final Path socket;

        Tmux(Path socket) {
            this.socket = socket;
        }

        CommandResult tmux(String... args) {
            List<String> cmd = new java.util.ArrayList<>(List.of("tmux", "-S", socket.toString()));
            cmd.addAll(List.of(args));
            return Commands.run(Duration.ofSeconds(30), cmd);
        }

        void type(String line) {
            tmux("send-keys", "-l", line);
            tmux("send-keys", "Enter");
        }

        /**
         * Types {@code line} once a second until the screen shows {@code expected}: a window size
         * reaches the guest asynchronously (docker resizes after start; the shim follows the host
         * pty within 100 ms), so the first answer may predate it.
         */
        void typeUntil(String line, String expected, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                type(line);
                Thread.sleep(1000);
                if (screen().contains(expected)) {
                    return;
                }
            }
            throw new AssertionError("screen never showed \"" + expected + "\" after " + line + ":\n" + screen());
        }

        void keys(String key) {
            tmux("send-keys", key);
        }

        void resize(int cols, int rows) {
            tmux("resize-window", "-x", Integer.toString(cols), "-y", Integer.toString(rows));
        }

        String screen() {
            return tmux("capture-pane", "-p").stdout();
        }

        void waitFor(String text, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (screen().contains(text)) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new AssertionError("screen never showed \"" + text + "\":\n" + screen());
        }

        @Override
        public void close() {
            tmux("kill-server");
        }
    }
}
