package io.jvmvisor.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.agent.AgentServerTest;
import io.jvmvisor.agent.AgentTarget;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Path;

/** The agent server tests, run against the agent as PID 1 of a VM (virtio-serial channel). */
class VmAgentServerTest extends AgentServerTest {

    @Override
    protected AgentTarget startTarget(Path dir) throws Exception {
        var why = VmAgentTarget.unavailable();
        assumeTrue(why.isEmpty(), () -> "cannot boot a VM here: " + why.orElse(""));
        return VmAgentTarget.boot(dir, TestBundles.rootfs(dir.resolve("rootfs")), "jvmvisor.debug=1 quiet");
    }
}
