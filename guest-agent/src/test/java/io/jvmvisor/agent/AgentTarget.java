package io.jvmvisor.agent;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A running guest agent that tests talk to: the agent in host mode
 * ({@code --listen}), or the agent as PID 1 of a VM behind QEMU's chardev
 * socket. The same tests run against either.
 */
public interface AgentTarget extends AutoCloseable {

    /** The Unix socket a host client connects to (the agent's own, or QEMU's for the agent's port). */
    Path socket();

    /** The channel the agent reports in Ping: "unix", "virtio-serial" or "vsock". */
    String channel();

    /**
     * Whether the agent's end of a connection is the host client's socket, so
     * that the agent can close it (host mode). Over virtio-serial the guest can
     * only drop its session; the host's socket stays open.
     */
    default boolean agentClosesConnections() {
        return !"virtio-serial".equals(channel());
    }

    /** Whether the agent (or its VM) still runs. */
    boolean isAlive();

    /** Waits for the agent (or its VM) to end by itself; true if it did. */
    boolean waitForExit(Duration timeout) throws InterruptedException;

    /** What the agent printed so far (its stderr, or the VM's console). */
    String log();

    /** Ends the agent (and its VM) if still running and removes what it left. Idempotent. */
    @Override
    void close();
}
