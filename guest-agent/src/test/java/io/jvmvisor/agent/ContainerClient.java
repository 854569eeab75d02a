package io.jvmvisor.agent;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.CreateContainerRequest;
import io.jvmvisor.agent.v1.ExecProcessRequest;
import io.jvmvisor.agent.v1.OutputChunk;
import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.agent.v1.Process;
import io.jvmvisor.agent.v1.ProcessRef;
import io.jvmvisor.agent.v1.ReadOutputRequest;
import io.jvmvisor.agent.v1.RemoveContainerRequest;
import io.jvmvisor.agent.v1.SignalProcessRequest;
import io.jvmvisor.agent.v1.StartContainerRequest;
import io.jvmvisor.agent.v1.WaitProcessRequest;
import io.jvmvisor.agent.v1.WaitProcessResponse;
import io.jvmvisor.agent.v1.WriteStdinRequest;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Tests only: the container RPCs of one agent as short calls, and the IDs
 * created through it so that a test can remove what it made.
 */
final class ContainerClient {

    private final AgentFixture agent;
    private final List<String> created = java.util.Collections.synchronizedList(new ArrayList<>());

    ContainerClient(AgentFixture agent) {
        this.agent = agent;
    }

    /** CreateContainer; returns the init's guest PID. */
    int create(String id, ContainerSpec spec) {
        created.add(id);
        return agent.blocking().createContainer(
                CreateContainerRequest.newBuilder().setContainerId(id).setSpec(spec).build()).getPid();
    }

    void start(String id) {
        agent.blocking().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
    }

    int exec(String id, String execId, Process process) {
        return agent.blocking().execProcess(ExecProcessRequest.newBuilder().setContainerId(id).setExecId(execId)
                .setProcess(process).build()).getPid();
    }

    void signal(String id, String execId, int signal, boolean all) {
        agent.blocking().signalProcess(SignalProcessRequest.newBuilder().setContainerId(id).setExecId(execId)
                .setSignal(signal).setAll(all).build());
    }

    WaitProcessResponse await(String id, String execId) {
        return agent.blocking().waitProcess(WaitProcessRequest.newBuilder().setContainerId(id).setExecId(execId)
                .build());
    }

    int exitStatus(String id, String execId) {
        return await(id, execId).getExitStatus();
    }

    void write(String id, String execId, String text) {
        agent.blocking().writeStdin(WriteStdinRequest.newBuilder().setContainerId(id).setExecId(execId)
                .setData(ByteString.copyFromUtf8(text)).build());
    }

    void closeStdin(String id, String execId) {
        agent.blocking().closeStdin(ProcessRef.newBuilder().setContainerId(id).setExecId(execId).build());
    }

    static ReadOutputRequest output(String id, String execId, OutputStream stream) {
        return ReadOutputRequest.newBuilder().setContainerId(id).setExecId(execId).setStream(stream).build();
    }

    /** Every byte of one output until the agent ends the stream. */
    byte[] readAll(String id, String execId, OutputStream stream) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Iterator<OutputChunk> it = agent.blocking().readOutput(output(id, execId, stream));
        while (it.hasNext()) {
            out.writeBytes(it.next().getData().toByteArray());
        }
        return out.toByteArray();
    }

    String read(String id, String execId, OutputStream stream) {
        return new String(readAll(id, execId, stream), StandardCharsets.UTF_8);
    }

    String stdout(String id) {
        return read(id, "", OutputStream.STDOUT);
    }

    /** Creates, starts and waits for a container; returns its stdout. */
    String run(String id, ContainerSpec spec) {
        create(id, spec);
        start(id);
        String out = stdout(id);
        await(id, "");
        return out;
    }

    void remove(String id) {
        agent.blocking().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    }

    /** Removes every container this client created that still exists. */
    void removeAll() {
        for (String id : List.copyOf(created)) {
            try {
                remove(id);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    throw e;
                }
            }
        }
        created.clear();
    }
}
