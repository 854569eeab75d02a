package io.jvmvisor.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.sys.ErrnoException;
import io.jvmvisor.sys.Fd;
import io.jvmvisor.sys.Libc;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code exec --detach} (what containerd's shim runs for every {@code docker exec}): asks the shim
 * to start the process and returns once it started, leaving a stand-in on the host whose PID goes
 * to {@code --pid-file}: containerd waits for that PID to exit and takes its exit status as the
 * process's, and signals it to signal the process.
 *
 * <p>The stand-in is a small bash loop, not a JVM: it reads the process's exit status from a pipe
 * and exits with it, and writes the number of each signal it gets (HUP INT QUIT USR1 USR2 TERM
 * WINCH) to another pipe. The shim holds the other ends (they go with the request, after this
 * process's stdio): it writes the status once the process exited and this command is gone (the
 * stand-in is this process's child until then; an exit reaped here would never reach containerd),
 * forwards the signals, and kills the process when the stand-in is gone without its status.
 */
final class DetachedExec {
    /** The stand-in's signals, as runtime SignalForwarder's, and the loop. {@code $0} names the container. */
    static final List<String> SIGNALS = List.of("HUP", "INT", "QUIT", "USR1", "USR2", "TERM", "WINCH");
    private static final String STAND_IN = """
            for s in 1 2 3 10 12 15 28; do trap "echo $s" "$s"; done
            while :; do
                if IFS= read -r status; then exit "$status"; fi
                [ "$?" -gt 128 ] || exit 255
            done
            """;
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Path ENV = Path.of("/usr/bin/env");
    private static final Path BASH = Path.of("/bin/bash");

    private DetachedExec() {
    }

    /** Starts the process with its stand-in; returns 0 once it runs (the stand-in's PID in {@code pidFile}). */
    static int run(Containers containers, String id, JsonNode process, String consoleSocket, Path pidFile)
            throws CliException {
        Libc libc = Libc.get();
        int[] exit;
        int[] signals;
        try {
            exit = libc.pipe();
            signals = libc.pipe();
        } catch (ErrnoException e) {
            throw new CliException("exec: cannot make the pipes of the process's stand-in: " + e.getMessage());
        }
        java.lang.Process standIn = null;
        boolean started = false;
        try (Fd exitRead = new Fd(exit[0]); Fd exitWrite = new Fd(exit[1]);
             Fd signalRead = new Fd(signals[0]); Fd signalWrite = new Fd(signals[1])) {
            standIn = startStandIn(id, exitRead, signalWrite);
            long self = ProcessHandle.current().pid();
            ControlRequest request = ControlRequest.execForStandIn(ExecStandIn.execId(), process, self, consoleSocket);
            // a terminal's stdio is the pty sent to the console socket: this process's own stdio stays
            // out of it (containerd reads this command's output until EOF in that mode, as with runc)
            int[] fds = consoleSocket != null ? new int[] {exitWrite.value(), signalRead.value()}
                    : new int[] {0, 1, 2, exitWrite.value(), signalRead.value()};
            ControlClient c = ExecStandIn.send(containers, id, request, fds);
            ControlResponse answer;
            try {
                answer = c.next();
            } catch (IOException e) {
                c.close();
                throw e;
            }
            if (!answer.ok()) {
                c.close();
                throw new CliException(answer.error());
            }
            if (pidFile != null) {
                StateStore.writeAtomically(pidFile, Long.toString(standIn.pid()));
            }
            started = true;
            // The connection stays open until this process exits: its hang-up tells the shim that the
            // stand-in is no longer this process's child, so that its exit now reaches containerd.
            return 0;
        } catch (IOException e) {
            throw new CliException("exec in container " + id + ": " + e.getMessage());
        } finally {
            if (!started && standIn != null) {
                standIn.destroyForcibly();
            }
        }
    }

    /** The stand-in: stdin the exit-status pipe, stdout the signal pipe, in its own session, signals unblocked. */
    private static java.lang.Process startStandIn(String id, Fd exitRead, Fd signalWrite) throws CliException {
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            cmd.add(SETSID.toString());
        }
        // bin/jvmvisor starts exec's JVM with these signals blocked; the stand-in must get them
        cmd.addAll(List.of(ENV.toString(), "--default-signal=" + String.join(",", SIGNALS),
                BASH.toString(), "-c", STAND_IN, "jvmvisor-exec:" + id));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(new File("/proc/self/fd/" + exitRead.value()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File("/proc/self/fd/" + signalWrite.value())))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .directory(new File("/"));
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        try {
            return pb.start();
        } catch (IOException e) {
            throw new CliException("exec: cannot start the process's stand-in (" + BASH + "): " + e.getMessage());
        }
    }
}
