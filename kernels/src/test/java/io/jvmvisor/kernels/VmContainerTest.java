package io.jvmvisor.kernels;

import io.jvmvisor.agent.AgentTarget;
import io.jvmvisor.agent.ContainerTest;
import java.nio.file.Path;

/** {@link ContainerTest} against the agent as PID 1 of a VM: the rootfs is the 9p share the agent mounted. */
class VmContainerTest extends ContainerTest {

    @Override
    protected AgentTarget startTarget(Path dir) throws Exception {
        return VmContainers.boot(dir);
    }

    @Override
    protected String rootPath(Path bundle) {
        return VmContainers.ROOTFS;
    }

    @Override
    protected boolean seesHostPaths() {
        return false;
    }
}
