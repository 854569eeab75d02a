package io.jvmvisor.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.PrivateContainerd;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd's runc v2 shim with jvmvisor as its runc binary ({@code ctr run
 * --runc-binary}, the same path a CRI runtime handler with {@code BinaryName}
 * takes), against a private containerd started here.
 */
class ContainerdIT {
    @TempDir
    Path tmp;

    @Test
    void ctrRunReturnsTheExitCodeAndOutput() {
        String why = PrivateContainerd.unavailableReason();
        assumeTrue(why == null, () -> "skipped: " + why);
        String jv = Jvmvisor.unavailableReason();
        assumeTrue(jv == null, () -> "skipped: " + jv);
        try (PrivateContainerd c = PrivateContainerd.start(tmp.resolve("c"))) {
            CommandResult r = c.ctr("run", "--rm", "--runc-binary", Jvmvisor.launcher().toString(),
                    PrivateContainerd.IMAGE, "ctr1", "sh", "-c", "echo from-vm; echo err >&2; exit 3");
            assertEquals(3, r.exitCode(), r.toString());
            assertEquals("from-vm\n", r.stdout());
            assertTrue(r.stderr().contains("err"), r.toString());
            CommandResult list = c.ctr("containers", "list", "-q");
            assertEquals("", list.stdout().strip(), "container left after --rm: " + list);
        }
        assertTrue(!Files.exists(tmp.resolve("c")), "containerd dir left behind");
    }
}
