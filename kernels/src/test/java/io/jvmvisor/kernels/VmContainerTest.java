package io.jvmvisor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jvmvisor.agent.AgentTarget;
import io.jvmvisor.agent.ContainerTest;
import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.CreateContainerRequest;
import io.jvmvisor.agent.v1.Mount;
import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.agent.v1.ReadOutputRequest;
import io.jvmvisor.agent.v1.RemoveContainerRequest;
import io.jvmvisor.agent.v1.Share;
import io.jvmvisor.agent.v1.StartContainerRequest;
import io.jvmvisor.agent.v1.WaitProcessRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

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

    /** A share already mounted where asked is reused; bind mounts take their source under it. */
    @Test
    void bindMountFromAShare() {
        ContainerSpec s = script("head -1 /mnt/etc/passwd; touch /mnt/etc/x 2>/dev/null || echo ro").toBuilder()
                .addShares(Share.newBuilder().setTag(VmAgentTarget.ROOTFS_TAG).setMountPoint(VmContainers.ROOTFS))
                .addMounts(Mount.newBuilder().setDestination("/mnt/etc").setType("bind")
                        .setSource(VmContainers.ROOTFS + "/etc").addOptions("rbind").addOptions("ro"))
                .build();
        var agentStub = agent.blocking();
        agentStub.createContainer(CreateContainerRequest.newBuilder().setContainerId("share").setSpec(s).build());
        try {
            agentStub.startContainer(StartContainerRequest.newBuilder().setContainerId("share").build());
            StringBuilder out = new StringBuilder();
            agent.blocking().readOutput(ReadOutputRequest.newBuilder().setContainerId("share")
                    .setStream(OutputStream.STDOUT).build()).forEachRemaining(c -> out.append(c.getData().toStringUtf8()));
            agent.blocking().waitProcess(WaitProcessRequest.newBuilder().setContainerId("share").build());
            assertEquals("root:x:0:0:root:/root:/bin/sh\nro\n", out.toString());
        } finally {
            agent.blocking().removeContainer(RemoveContainerRequest.newBuilder().setContainerId("share").build());
        }
    }

    /** A share tag that does not exist fails the create with a readable message. */
    @Test
    void unknownShareTagFails() {
        ContainerSpec s = script("true").toBuilder()
                .addShares(Share.newBuilder().setTag("no-such-tag").setMountPoint("/run/jvmvisor/shares/x"))
                .build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> agent.blocking().createContainer(
                CreateContainerRequest.newBuilder().setContainerId("badshare").setSpec(s).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("share no-such-tag: cannot mount it on /run/jvmvisor/shares/x"),
                e.getStatus().getDescription());
    }
}
