package io.jvmvisor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.agent.AgentTarget;
import io.jvmvisor.agent.ContainerSpecTest;
import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.CreateContainerRequest;
import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.agent.v1.ReadOutputRequest;
import io.jvmvisor.agent.v1.RemoveContainerRequest;
import io.jvmvisor.agent.v1.Share;
import io.jvmvisor.agent.v1.StartContainerRequest;
import io.jvmvisor.agent.v1.WaitProcessRequest;
import io.jvmvisor.agent.v1.WaitProcessResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@link ContainerSpecTest} in a VM (devices from the guest's devtmpfs, the 9p rootfs), and what only a
 * guest kernel shows: the container's memory limit as a cgroup in the guest.
 */
class VmContainerSpecTest extends ContainerSpecTest {

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

    @Override
    protected String bindSource() {
        return VmContainers.ROOTFS + "/etc";
    }

    @Override
    protected void withShare(ContainerSpec.Builder b) {
        b.addShares(Share.newBuilder().setTag(VmAgentTarget.ROOTFS_TAG).setMountPoint(VmContainers.ROOTFS));
    }

    /** Past its memory limit a process is OOM-killed by the guest kernel (137, as under runc); below it runs. */
    @Test
    void memoryLimitIsACgroupInTheGuest() {
        long limit = 48L << 20;
        ContainerSpec within = script("cat /proc/self/cgroup; dd if=/dev/zero of=/dev/null bs=16M count=1 2>/dev/null"
                + " && echo fits").toBuilder().setMemoryLimitBytes(limit).addNamespaces("cgroup").build();
        assertEquals("0::/\nfits\n", run("fits", within).out);

        ContainerSpec over = script("exec dd if=/dev/zero of=/dev/null bs=100M count=1")
                .toBuilder().setMemoryLimitBytes(limit).build();
        Result r = run("oom", over);
        assertEquals(137, r.status.getExitStatus(), r.out);
        assertTrue(r.status.getOomKilled(), "reported as OOM-killed");
        assertTrue(agent.target().log().contains("was OOM-killed"), "the agent says why");
    }

    /** Removing a container kills what is left in its cgroup (a daemon without a pid namespace), as runc delete does. */
    @Test
    void removeKillsWhatIsLeftInTheCgroup() {
        ContainerSpec daemon = script("sleep 1000 </dev/null >/dev/null 2>&1 & echo $!").toBuilder().clearNamespaces().build();
        String pid = run("daemon", daemon).out.strip();
        ContainerSpec look = script("[ -d /proc/" + pid + " ] && echo alive || echo gone").toBuilder().clearNamespaces().build();
        assertEquals("gone\n", run("look", look).out);
    }

    private record Result(String out, WaitProcessResponse status) {
    }

    private Result run(String id, ContainerSpec s) {
        var stub = agent.blocking();
        stub.createContainer(CreateContainerRequest.newBuilder().setContainerId(id).setSpec(s).build());
        try {
            stub.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
            StringBuilder out = new StringBuilder();
            stub.readOutput(ReadOutputRequest.newBuilder().setContainerId(id).setStream(OutputStream.STDOUT).build())
                    .forEachRemaining(c -> out.append(c.getData().toStringUtf8()));
            return new Result(out.toString(), stub.waitProcess(WaitProcessRequest.newBuilder().setContainerId(id).build()));
        } finally {
            stub.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
    }
}
