package io.jvmvisor.shim.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console copy keeps what a hostile guest prints bounded: in memory and on disk. */
class ConsoleLogTest {
    /** 100 MiB of 'x' without a newline, produced on the fly (the test holds none of it). */
    private static InputStream endlessLine(long total) {
        return new InputStream() {
            long left = total;

            @Override
            public int read() {
                return left-- > 0 ? 'x' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 'x');
                left -= n;
                return n;
            }
        };
    }

    @Test
    void aLineWithoutNewlineIsCapped(@TempDir Path dir) {
        Path file = dir.resolve("console.log");
        ConsoleLog log = new ConsoleLog(endlessLine(100L << 20), file);
        log.drain(60_000);
        assertTrue(log.retainedChars() <= ConsoleLog.MAX_LINE, "retained " + log.retainedChars() + " chars");
        assertEquals(ConsoleLog.CAP, file.toFile().length());
        assertTrue(log.tail(1).length() <= ConsoleLog.MAX_LINE + 1);
    }

    @Test
    void manyLongLinesStayBounded(@TempDir Path dir) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            b.append("y".repeat(10_000)).append('\n');
        }
        b.append("Kernel panic - not syncing\n");
        ConsoleLog log = new ConsoleLog(new ByteArrayInputStream(b.toString().getBytes()), dir.resolve("c.log"));
        log.drain(10_000);
        assertTrue(log.retainedChars() <= 51L * ConsoleLog.MAX_LINE, "retained " + log.retainedChars());
        assertEquals("Kernel panic - not syncing", log.find("Kernel panic"));
        assertTrue(Files.size(dir.resolve("c.log")) <= ConsoleLog.CAP);
    }
}
