package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.sys.Libc;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pipe between the CLI and a shim started ahead of it, and the check the CLI makes before adopting one. */
class PreStartedShimTest {
    private static String[] through(byte[] bytes) throws Exception {
        int[] p = Libc.get().pipe();
        try {
            Libc.get().write(p[1], bytes, 0, bytes.length);
            Libc.get().close(p[1]);
            p[1] = -1;
            return PreStartedShim.awaitArgs(p[0]);
        } finally {
            Libc.get().close(p[0]);
            if (p[1] >= 0) {
                Libc.get().close(p[1]);
            }
        }
    }

    @Test
    void argumentsCrossThePipeAsTheyWere() throws Exception {
        List<String> args = List.of("--id", "c 1", "--bundle", "/b/ünï\ncode", "--debug");
        assertArrayEquals(args.toArray(String[]::new), through(PreStartedShim.encode(args)));
    }

    @Test
    void anEndBeforeTheLastArgumentIsNoArguments() throws Exception {
        byte[] whole = PreStartedShim.encode(List.of("--id", "c"));
        assertNull(through(java.util.Arrays.copyOf(whole, whole.length - 1)), "no closing empty argument");
        assertNull(through(new byte[0]), "EOF at once: the CLI went away");
    }

    @Test
    void anEmptyArgumentCannotBeSent() {
        assertThrows(IllegalArgumentException.class, () -> PreStartedShim.encode(List.of("--log", "")));
    }

    @Test
    void aProcessThatIsNotThisOnesChildIsNotAdopted() {
        // this JVM's parent runs, but is no child of this process
        long parent = ProcessHandle.current().parent().orElseThrow().pid();
        String misfit = PreStartedShim.misfit(parent, List.of("java"), List.of(), false);
        assertEquals("it is not this process's child", misfit);
        assertTrue(PreStartedShim.misfit(Long.MAX_VALUE, List.of("java"), List.of(), false).startsWith("its /proc entry"));
    }
}
