package io.jvmvisor.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code exec --detach} (what containerd's shim runs for every {@code docker exec}): asks the shim
 * to start the process and returns once it started. The process's stand-in on the host, whose PID
 * goes to {@code --pid-file} (containerd waits for it and signals it), is a small process the shim
 * starts for it (shim ExecStandIns): no second JVM, nothing left of this one.
 */
final class DetachedExec {
    private DetachedExec() {
    }

    /** Starts the process; returns 0 once it runs, its stand-in's PID in {@code pidFile}. */
    static int run(Containers containers, String id, JsonNode process, String consoleSocket, Path pidFile)
            throws CliException {
        long self = ProcessHandle.current().pid();
        ControlRequest request = ControlRequest.execForStandIn(ExecStandIn.execId(), process, self, consoleSocket);
        // A terminal's stdio is the pty sent to the console socket: this process's own stdio stays out of
        // it (containerd reads this command's output until EOF in that mode, as with runc).
        int[] stdio = consoleSocket != null ? new int[0] : new int[] {0, 1, 2};
        ControlClient c = ExecStandIn.send(containers, id, request, stdio);
        try {
            ControlResponse started = c.next();
            if (!started.ok()) {
                throw new CliException(started.error());
            }
            if (started.pid() == null) {
                throw new CliException("exec in container " + id + ": the shim did not name the process's stand-in");
            }
            if (pidFile != null) {
                StateStore.writeAtomically(pidFile, Long.toString(started.pid()));
            }
        } catch (IOException e) {
            close(c);
            throw new CliException("exec in container " + id + ": " + e.getMessage());
        } catch (CliException e) {
            close(c);
            throw e;
        }
        // The connection stays open until this process exits: the shim lets the stand-in exit only
        // after that, so that containerd, which reads the pid file once this command exited, sees the
        // stand-in's exit after it.
        return 0;
    }

    private static void close(ControlClient c) {
        try {
            c.close();
        } catch (IOException e) {
            // the error that brought us here is the one to report
        }
    }
}
