package io.jvmvisor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A child JVM that ends through {@link ProcessExit} while a thread sits in a blocking native read. */
class ProcessExitTest {
    /** The child: prints without a newline (buffered), blocks a thread in read(2) on its stdin, exits 7. */
    public static void main(String[] args) throws Exception {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Libc.get().read(0, new byte[16], 0, 16); // stdin is a pipe nobody writes to
            } catch (ErrnoException e) {
                // not reached
            }
        });
        Thread.sleep(100);
        System.out.print("flushed");
        System.err.print("err-flushed");
        ProcessExit.now(7);
    }

    /** The child of the halt test: prints without a newline and halts with 5. */
    public static final class Halts {
        public static void main(String[] args) {
            System.out.print("halted");
            System.err.print("err-halted");
            ProcessExit.halt(5);
        }
    }

    @Test
    void haltExitsWithTheStatusAndFlushedOutput() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Halts.class.getName()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not exit");
        assertEquals("halted", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals("err-halted", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(5, p.exitValue());
    }

    @Test
    void exitsWithTheStatusAndFlushedOutputWhileAThreadIsInANativeCall() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), ProcessExitTest.class.getName()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not exit");
        assertEquals("flushed", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals("err-flushed", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(7, p.exitValue());
        p.getOutputStream().close();
    }
}
