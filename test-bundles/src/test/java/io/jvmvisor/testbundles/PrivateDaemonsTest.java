package io.jvmvisor.testbundles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The private daemons the docker/containerd tests and the benchmark rely on, checked with runc. */
class PrivateDaemonsTest {
    @TempDir
    Path tmp;

    @Test
    void privateDockerRunsTheTestImageWithRuncAndCleansUp() {
        String why = PrivateDocker.unavailableReason();
        assumeTrue(why == null, () -> "skipped: " + why);
        Path dir = tmp.resolve("docker");
        long pid;
        try (PrivateDocker d = PrivateDocker.start(dir, List.of())) {
            pid = d.pid();
            CommandResult r = d.docker("run", "--rm", "--network=none", PrivateDocker.IMAGE, "sh", "-c", "echo hi; exit 3");
            assertEquals(3, r.exitCode(), r.toString());
            assertEquals("hi\n", r.stdout());
        }
        assertFalse(ProcessHandle.of(pid).isPresent(), "dockerd still running after close");
        assertFalse(Files.exists(dir), "docker dir left behind");
    }

    @Test
    void privateContainerdRunsTheTestImageWithRunc() {
        String why = PrivateContainerd.unavailableReason();
        assumeTrue(why == null, () -> "skipped: " + why);
        try (PrivateContainerd c = PrivateContainerd.start(tmp.resolve("containerd"))) {
            CommandResult r = c.ctr("run", "--rm", PrivateContainerd.IMAGE, "t1", "sh", "-c", "echo from-ctr; exit 4");
            assertEquals(4, r.exitCode(), r.toString());
            assertEquals("from-ctr\n", r.stdout());
        }
    }
}
