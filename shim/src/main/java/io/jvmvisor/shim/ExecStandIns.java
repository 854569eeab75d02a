package io.jvmvisor.shim;

import io.jvmvisor.shim.agent.AgentClient;
import io.jvmvisor.shim.control.ControlServer;
import io.jvmvisor.sys.ErrnoException;
import io.jvmvisor.sys.Fd;
import io.jvmvisor.sys.Libc;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The host stand-in of a process started by {@code exec --detach} (what containerd's shim runs for
 * every {@code docker exec}): the process whose PID the exec command writes to its pid file, whose
 * exit containerd takes as the exec'd process's, and which containerd signals to signal it.
 *
 * <p>It is a small bash loop, not a JVM, and this shim starts it, detached ({@code setsid -f}: an
 * orphan at once, so that the subreaper above the shim, containerd's shim, reaps it, and nobody
 * else). It sets its traps before it prints its PID (a signal sent as soon as the PID is known is
 * caught, not its end), then prints the number of each signal it gets (HUP INT QUIT USR1 USR2 TERM
 * WINCH) on its stdout, read here and sent to the process; it exits with the status written to its
 * stdin, or with 255 if this shim goes away first. When it is gone without its status (killed),
 * the process is killed.
 */
final class ExecStandIns {
    private static final System.Logger LOG = System.getLogger("shim.control");
    /** How long the exit status waits for the exec command that asked for the stand-in to be gone. */
    private static final long CALLER_WAIT_SECONDS = 30;
    private static final List<String> SIGNALS = List.of("HUP", "INT", "QUIT", "USR1", "USR2", "TERM", "WINCH");
    private static final String LOOP = """
            for s in 1 2 3 10 12 15 28; do trap "echo $s" "$s"; done
            echo "$$"
            while :; do
                if IFS= read -r status; then exit "$status"; fi
                [ "$?" -gt 128 ] || exit 255
            done
            """;
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Path ENV = Path.of("/usr/bin/env");
    private static final Path BASH = Path.of("/bin/bash");

    /** A started stand-in: its PID, its stdout (its PID, then signal numbers) and stdin (the exit status). */
    record StandIn(long pid, BufferedReader signals, Fd exit) {
    }

    private ExecStandIns() {
    }

    /** {@link #start} on a thread of its own. */
    static CompletableFuture<StandIn> startAsync(String containerId, String execId) {
        return OwnThread.call("exec-stand-in", 256 << 10, () -> start(containerId, execId));
    }

    /** The stand-in {@link #startAsync} started, or why it did not start. */
    static StandIn await(CompletableFuture<StandIn> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException("exec: its stand-in did not start: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("exec: interrupted while its stand-in started");
        }
    }

    /** Ends the stand-in {@link #startAsync} starts (or started), for a process that did not start. */
    static void discard(CompletableFuture<StandIn> f) {
        f.thenAccept(ExecStandIns::kill);
    }

    /** Starts the stand-in of exec {@code execId} in container {@code containerId}; returns once it runs. */
    static StandIn start(String containerId, String execId) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(SETSID.toString(), "--fork"));
        // this JVM may run with signals blocked or ignored that the stand-in must get
        cmd.addAll(List.of(ENV.toString(), "--default-signal=" + String.join(",", SIGNALS),
                BASH.toString(), "-c", LOOP, "jvmvisor-exec:" + containerId + ":" + execId));
        for (Path p : List.of(SETSID, ENV, BASH)) {
            if (!Files.isExecutable(p)) {
                throw new IOException("exec --detach needs " + p + " for the process's stand-in on the host");
            }
        }
        // Its stdio are pipes of our own, not ProcessBuilder's: those close when setsid (the process
        // ProcessBuilder knows) exits, and its child stands in for much longer.
        Libc libc = Libc.get();
        int[] exit = libc.pipe();
        int[] out = libc.pipe();
        Fd exitWrite = new Fd(exit[1]);
        Fd outRead = new Fd(out[0]);
        try (Fd exitRead = new Fd(exit[0]); Fd outWrite = new Fd(out[1])) {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(new File("/proc/self/fd/" + exitRead.value()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(new File("/proc/self/fd/" + outWrite.value())))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .directory(new File("/"));
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.start(); // setsid: exits at once (reaped by the JDK), its child stands in
        } catch (IOException | RuntimeException e) {
            closeQuietly(exitWrite);
            closeQuietly(outRead);
            throw e;
        }
        BufferedReader reader = new BufferedReader(new InputStreamReader(outRead.inputStream(), StandardCharsets.US_ASCII));
        String first = reader.readLine();
        long pid;
        try {
            pid = Long.parseLong(first == null ? "" : first.trim());
        } catch (NumberFormatException e) {
            closeQuietly(exitWrite);
            closeQuietly(outRead);
            throw new IOException("the stand-in of exec " + execId + " did not start (it printed " + first + ")");
        }
        return new StandIn(pid, reader, exitWrite);
    }

    /** Ends a stand-in whose process did not start. */
    static void kill(StandIn s) {
        try {
            Libc.get().kill((int) s.pid(), 9);
        } catch (ErrnoException e) {
            // gone already
        }
        closeQuietly(s.exit());
        try {
            s.signals().close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    /** Relays the stand-in's signals to exec {@code execId}; once it is gone (EOF), runs {@code gone}. */
    static void relaySignals(AgentClient agent, String execId, StandIn s, Runnable gone) {
        Thread.ofPlatform().daemon().name("exec-signals").stackSize(128 << 10).start(() -> {
            try {
                String line;
                while ((line = s.signals().readLine()) != null) {
                    signal(agent, execId, line.trim());
                }
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "exec " + execId + ": signals of its stand-in: " + e.getMessage());
            }
            try {
                s.signals().close();
            } catch (IOException e) {
                // nothing left to do
            }
            gone.run();
        });
    }

    private static void signal(AgentClient agent, String execId, String number) {
        int sig;
        try {
            sig = Integer.parseInt(number);
        } catch (NumberFormatException e) {
            return;
        }
        if (sig < 1 || sig > 64) {
            return;
        }
        try {
            agent.signal(execId, sig, false);
        } catch (AgentClient.AgentException e) {
            LOG.log(Level.DEBUG, "exec " + execId + ": signal " + sig + ": " + e.getMessage());
        }
    }

    /**
     * Hands the exit status to the stand-in, which exits with it; not before the exec command that
     * asked for it (this connection's caller) is gone, so that containerd, which waits for that
     * command before it reads the pid file, never sees the stand-in's exit first.
     */
    static void sendExit(ControlServer.Answer answer, StandIn s, int status, String execId) {
        try {
            answer.hangup().get(CALLER_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.log(Level.WARNING, "exec " + execId + ": the exec command still runs " + CALLER_WAIT_SECONDS
                    + " s after it started the process: its stand-in exits now anyway");
        } catch (ExecutionException e) {
            // a failed watch is a hang-up too
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] line = (status + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            s.exit().write(line, 0, line.length);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "exec " + execId + ": its stand-in is gone before its exit status: " + e.getMessage());
        }
        closeQuietly(s.exit());
    }

    private static void closeQuietly(Fd fd) {
        try {
            fd.close();
        } catch (ErrnoException e) {
            // nothing left to do
        }
    }
}
