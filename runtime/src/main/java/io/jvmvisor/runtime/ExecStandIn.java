package io.jvmvisor.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host process standing in for a process exec'd in the guest: its
 * stdio are the guest process's, it lives until that process exits and
 * exits with its status.
 */
final class ExecStandIn {
    /** Environment variable naming the file a detached stand-in creates once the process started. */
    static final String READY_ENV = "JVMVISOR_EXEC_READY";
    private static final long START_TIMEOUT_MS = 120_000;
    /** How long a detached stand-in stays after its launcher exited. */
    private static final long GRACE_MS = 200;

    private final Containers containers;
    private final String id;
    private final JsonNode process;
    private final String consoleSocket;
    private final Path pidFile;
    private final Path ready;

    ExecStandIn(Containers containers, String id, JsonNode process, String consoleSocket, Path pidFile, Path ready) {
        this.containers = containers;
        this.id = id;
        this.process = process;
        this.consoleSocket = consoleSocket;
        this.pidFile = pidFile;
        this.ready = ready;
    }

    /** Asks the shim to run the process with this process's stdio, waits for it, returns its exit status. */
    int run() throws CliException {
        long self = ProcessHandle.current().pid();
        // The launching `exec --detach`, taken now: once it exits this process is re-parented
        // (to containerd's shim, a subreaper), and parent() no longer names the launcher.
        java.util.Optional<ProcessHandle> launcher = ready == null ? java.util.Optional.empty()
                : ProcessHandle.current().parent();
        String execId = "exec-" + self + "-" + System.nanoTime();
        // this process's stdin, stdout and stderr go to the shim with the request (SCM_RIGHTS)
        try (ControlClient c = ControlClient.sendWithFds(containers.store().dir(id),
                ControlRequest.exec(execId, process, self, consoleSocket), 0, 1, 2)) {
            ControlResponse started = c.next();
            if (!started.ok()) {
                throw new CliException(started.error());
            }
            SignalForwarder.start(sig -> containers.forward(id, execId, sig), containers.log());
            if (pidFile != null) {
                StateStore.writeAtomically(pidFile, Long.toString(self));
            }
            if (ready != null) {
                Files.writeString(ready, "started\n");
            }
            ControlResponse exited = c.next();
            if (ready != null) {
                outliveTheLauncher(launcher);
            }
            if (!exited.ok()) {
                throw new CliException(exited.error());
            }
            return exited.exitStatus() == null ? 255 : exited.exitStatus();
        } catch (IOException e) {
            throw new CliException("exec in container " + id + ": " + e.getMessage());
        }
    }

    /**
     * A detached stand-in must not exit before the {@code exec --detach} that
     * started it has exited and its caller has read the pid file: containerd
     * (1.6) drops an exit event of a PID it does not know yet, and docker exec
     * would wait forever. So: wait for the launching CLI to be gone, then a little.
     */
    private static void outliveTheLauncher(java.util.Optional<ProcessHandle> launcher) {
        launcher.ifPresent(parent -> {
            long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
            while (parent.isAlive() && System.currentTimeMillis() < deadline) {
                Containers.sleep(5);
            }
        });
        Containers.sleep(GRACE_MS);
    }

    /**
     * {@code exec --detach}: starts a copy of this command without --detach as the
     * stand-in (its own session, same stdio), and returns once the process started.
     */
    static int spawn(Global g, String id, Options.Parsed p) throws CliException {
        Path home = Path.of(System.getProperty("jvmvisor.home", "."));
        Path ready;
        try {
            ready = Files.createTempFile("jvmvisor-exec-", ".ready");
            Files.delete(ready);
        } catch (IOException e) {
            throw new CliException("exec: cannot make a temporary file: " + e.getMessage());
        }
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.add(home.resolve("bin/jvmvisor").toString());
        cmd.addAll(List.of("--root", g.root.toString()));
        if (g.log.file() != null) {
            cmd.addAll(List.of("--log", g.log.file().toString(), "--log-format", g.log.format()));
        }
        cmd.add("exec");
        p.values().forEach((k, v) -> {
            if (v == null || k.equals("detach") || k.equals("help") || v.equals("false")) {
                return;
            }
            if (isFlag(k)) {
                cmd.add("--" + k);
            } else {
                for (String each : p.all(k)) {
                    cmd.add("--" + k + "=" + each);
                }
            }
        });
        cmd.add("--");
        cmd.addAll(p.args());
        java.lang.Process child;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            if (p.value("console-socket") != null) {
                // A terminal's stdio is the pty sent over the console socket. The stand-in keeps none of
                // exec's own stdio: containerd reads exec's output until EOF in that mode (as with runc).
                pb.redirectInput(new java.io.File("/dev/null")).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD);
            } else {
                pb.inheritIO();
            }
            pb.environment().put(READY_ENV, ready.toString());
            child = pb.start();
        } catch (IOException e) {
            throw new CliException("exec: cannot start the stand-in process: " + e.getMessage());
        }
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        try {
            while (System.currentTimeMillis() < deadline) {
                if (Files.exists(ready)) {
                    return 0;
                }
                if (!child.isAlive()) {
                    // the stand-in reported its error itself (stderr and --log)
                    throw new CliException("exec failed (status " + child.exitValue() + ")", child.exitValue() == 0 ? 1 : child.exitValue());
                }
                Containers.sleep(10);
            }
            child.destroyForcibly();
            throw new CliException("exec: the process did not start within " + START_TIMEOUT_MS / 1000 + " s");
        } finally {
            try {
                Files.deleteIfExists(ready);
            } catch (IOException e) {
                // a leftover marker in /tmp is harmless
            }
        }
    }

    private static boolean isFlag(String name) {
        return name.equals("tty") || name.equals("no-new-privs") || name.equals("ignore-paused")
                || name.equals("detach") || name.equals("help");
    }
}
