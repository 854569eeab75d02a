package io.jvmvisor.testbundles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestBundlesTest {
    @TempDir
    Path tmp;

    @Test
    void everyBundleHasAConfigAndARunnableShell() throws Exception {
        for (String name : TestBundles.NAMES) {
            Path b = TestBundles.create(name, tmp);
            ObjectNode c = TestBundles.readConfig(b);
            assertEquals("1.2.0", c.get("ociVersion").asText(), name);
            assertTrue(c.get("process").get("args").size() > 0, name);
            assertTrue(Files.isExecutable(b.resolve("rootfs/bin/sh")), name);
        }
        // The rootfs's busybox really runs (it is static): sh -c inside the rootfs path.
        Path sh = tmp.resolve("hello/rootfs/bin/sh");
        Process p = new ProcessBuilder(sh.toString(), "-c", "echo ok").start();
        assertEquals("ok", new String(p.getInputStream().readAllBytes()).strip());
        assertEquals(0, p.waitFor());
    }

    @Test
    void mountsBundleSharesAHostDirectory() {
        Path b = TestBundles.create("mounts", tmp);
        assertTrue(Files.exists(b.resolve("shared/from-host.txt")));
        String source = TestBundles.readConfig(b).get("mounts").get(6).get("source").asText();
        assertEquals(b.resolve("shared").toAbsolutePath().toString(), source);
    }
}
