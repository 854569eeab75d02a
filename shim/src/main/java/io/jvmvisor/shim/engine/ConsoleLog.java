package io.jvmvisor.shim.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Copies the guest's serial console (the VMM's stdout) to {@code console.log},
 * capped at {@link #CAP} bytes, keeping the last lines in memory for error
 * messages and noting when the first line arrived.
 */
final class ConsoleLog {
    static final long CAP = 1 << 20;
    private static final int KEPT_LINES = 50;
    /** Longest line kept in memory: the guest decides what it prints, the shim's heap must not follow. */
    static final int MAX_LINE = 4096;

    private final Deque<String> tail = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile long firstLineNanos;
    private final Thread thread;

    ConsoleLog(InputStream console, Path file) {
        thread = Thread.ofPlatform().daemon().name("console").start(() -> copy(console, file));
    }

    private void copy(InputStream console, Path file) {
        long written = 0;
        try (InputStream in = console; OutputStream out = io.jvmvisor.shim.control.PrivateFiles.open(file, false)) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (firstLineNanos == 0) {
                    firstLineNanos = Timeline.nowNanos();
                }
                if (written < CAP) {
                    int w = (int) Math.min(n, CAP - written);
                    out.write(buf, 0, w);
                    out.flush();
                    written += w;
                }
                remember(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException e) {
            remember("\n[console relay stopped: " + e.getMessage() + "]\n");
        }
    }

    private synchronized void remember(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                tail.addLast(partial.toString());
                partial.setLength(0);
                if (tail.size() > KEPT_LINES) {
                    tail.removeFirst();
                }
            } else if (c != '\r' && partial.length() < MAX_LINE) {
                partial.append(c);
            }
        }
    }

    /** Characters held in memory (kept lines and the line being received). */
    synchronized long retainedChars() {
        long n = partial.length();
        for (String l : tail) {
            n += l.length();
        }
        return n;
    }

    long firstLineNanos() {
        return firstLineNanos;
    }

    /** Waits (bounded) for the copy to reach the end of the console stream. */
    void drain(long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The first kept line containing {@code needle}, or null. */
    synchronized String find(String needle) {
        for (String l : tail) {
            if (l.contains(needle)) {
                return l;
            }
        }
        return partial.indexOf(needle) >= 0 ? partial.toString() : null;
    }

    synchronized String tail(int lines) {
        StringBuilder b = new StringBuilder();
        int skip = Math.max(0, tail.size() - lines);
        for (String l : tail) {
            if (skip-- > 0) {
                continue;
            }
            b.append(l).append('\n');
        }
        if (!partial.isEmpty()) {
            b.append(partial).append('\n');
        }
        return b.toString();
    }
}
