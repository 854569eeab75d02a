package io.jvmvisor.kernels;

import io.jvmvisor.agent.AgentTarget;
import io.jvmvisor.agent.ContainerProcessTest;
import java.nio.file.Path;

/** {@link ContainerProcessTest} against the agent as PID 1 of a VM: the rootfs is the 9p share the agent mounted. */
class VmContainerProcessTest extends ContainerProcessTest {

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
