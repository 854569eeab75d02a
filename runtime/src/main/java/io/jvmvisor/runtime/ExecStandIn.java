package io.jvmvisor.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.runtime.state.Status;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A foreground {@code exec}: this CLI process stands in on the host for the process exec'd in
 * the guest: its stdio are the guest process's, it lives until that process exits and exits
 * with its status, and the signals it gets go to the process.
 */
final class ExecStandIn {
    private final Containers containers;
    private final String id;
    private final JsonNode process;
    private final String consoleSocket;
    private final Path pidFile;

    ExecStandIn(Containers containers, String id, JsonNode process, String consoleSocket, Path pidFile) {
        this.containers = containers;
        this.id = id;
        this.process = process;
        this.consoleSocket = consoleSocket;
        this.pidFile = pidFile;
    }

    /** Asks the shim to run the process with this process's stdio, waits for it, returns its exit status. */
    int run() throws CliException {
        long self = ProcessHandle.current().pid();
        String execId = execId();
        // this process's stdin, stdout and stderr go to the shim with the request (SCM_RIGHTS)
        try (ControlClient c = send(containers, id, ControlRequest.exec(execId, process, self, consoleSocket), 0, 1, 2)) {
            ControlResponse started = c.next();
            if (!started.ok()) {
                throw new CliException(started.error());
            }
            SignalForwarder.start(sig -> containers.forward(id, execId, sig), containers.log());
            if (pidFile != null) {
                StateStore.writeAtomically(pidFile, Long.toString(self));
            }
            ControlResponse exited = c.next();
            if (!exited.ok()) {
                throw new CliException(exited.error());
            }
            return exited.exitStatus() == null ? 255 : exited.exitStatus();
        } catch (IOException e) {
            throw new CliException("exec in container " + id + ": " + e.getMessage());
        }
    }

    /** An exec ID unique on this host. */
    static String execId() {
        return "exec-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    }

    /**
     * Connects to the container's shim and sends {@code request} with {@code fds}. A shim that
     * does not listen is looked at as state does, for an error that says why.
     */
    static ControlClient send(Containers containers, String id, ControlRequest request, int... fds) throws CliException {
        try {
            return ControlClient.sendWithFds(containers.store().dir(id), request, fds);
        } catch (IOException e) {
            throw new CliException(notRunning(containers, id, e.getMessage()));
        }
    }

    /** Why exec cannot reach the shim of container {@code id}: runc's wording where the container stopped. */
    static String notRunning(Containers containers, String id, String why) {
        try {
            Status s = containers.find(id).status();
            if (s instanceof Status.Stopped) {
                return "cannot exec in a stopped container";
            }
            return "exec in container " + id + ": the container is " + s.wire() + " and its shim does not answer: " + why;
        } catch (CliException e) {
            return e.getMessage();
        }
    }
}
