package io.jvmvisor.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Path;

/** The VM the in-VM container tests run in: one test-bundle rootfs shared over 9p. */
final class VmContainers {

    /** Where the agent mounts the rootfs share (agent.h AGENT_ROOTFS_DIR). */
    static final String ROOTFS = "/run/jvmvisor/rootfs";

    private VmContainers() {
    }

    static VmAgentTarget boot(Path dir) throws Exception {
        var why = VmAgentTarget.unavailable();
        assumeTrue(why.isEmpty(), () -> "cannot boot a VM here: " + why.orElse(""));
        return VmAgentTarget.boot(dir, TestBundles.rootfs(dir.resolve("vm-rootfs")), "jvmvisor.debug=1 quiet");
    }
}
