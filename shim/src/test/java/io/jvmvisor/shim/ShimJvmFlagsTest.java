package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shim's JVM flags ({@link ShimLauncher#JVM_FLAGS}) take effect in a JVM of this JDK: the list carries
 * {@code -XX:+IgnoreUnrecognizedVMOptions}, which would hide a flag this JDK does not know.
 */
class ShimJvmFlagsTest {
    @Test
    void theMemoryFlagsAreTheJvmsSettings() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String f : ShimLauncher.JVM_FLAGS) {
            if (!f.equals("-XX:+IgnoreUnrecognizedVMOptions")) {
                cmd.add(f);
            }
        }
        cmd.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "java -version did not exit");
        assertEquals(0, p.exitValue(), "the JVM refused the shim's flags:\n" + out);
        Map<String, String> flags = new HashMap<>();
        for (String line : out.lines().toList()) {
            String[] w = line.trim().split("\\s+");
            if (w.length >= 4 && w[2].equals("=")) {
                flags.put(w[1], w[3]);
            }
        }
        assertEquals("true", flags.get("UseSerialGC"));
        assertEquals("20", flags.get("MaxHeapFreeRatio"));
        assertEquals("10", flags.get("MinHeapFreeRatio"));
        assertEquals("30000", flags.get("TrimNativeHeapInterval"));
        assertEquals(String.valueOf(64L << 20), flags.get("MaxHeapSize"));
    }

    @Test
    void mallocArenasAreCappedForTheShimAndItsQemu() {
        assertEquals("2", ShimLauncher.ENVIRONMENT.get("MALLOC_ARENA_MAX"));
    }
}
