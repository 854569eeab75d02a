package io.jvmvisor.shim;

import io.jvmvisor.shim.agent.AgentClient;
import io.jvmvisor.shim.control.ControlServer;
import io.jvmvisor.sys.Fd;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The shim's side of an {@code exec --detach}'s stand-in: the small host process whose PID the
 * caller (containerd's shim) waits on. Its signals arrive on a pipe, one number a line, and go to
 * the process in the guest; the process's exit status goes back to it as one line on another.
 */
final class ExecStandIns {
    private static final System.Logger LOG = System.getLogger("shim.control");
    /** How long the exit status waits for the exec command that started the stand-in to be gone. */
    private static final long LAUNCHER_WAIT_SECONDS = 30;

    private ExecStandIns() {
    }

    /**
     * Relays the signal numbers read from {@code signals} (owned, closed here) to exec {@code execId};
     * at EOF (the stand-in is gone, killed or exited) runs {@code gone}.
     */
    static void relaySignals(AgentClient agent, String execId, Fd signals, Runnable gone) {
        Thread.ofPlatform().daemon().name("exec-signals").stackSize(128 << 10).start(() -> {
            byte[] buf = new byte[256];
            StringBuilder line = new StringBuilder();
            try (signals) {
                int n;
                while ((n = signals.read(buf, 0, buf.length)) > 0) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] != '\n') {
                            line.append((char) buf[i]);
                            continue;
                        }
                        signal(agent, execId, line.toString().trim());
                        line.setLength(0);
                    }
                    if (line.length() > 16) {
                        line.setLength(0); // not a signal number: the stand-in writes nothing else
                    }
                }
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "exec " + execId + ": signals of its stand-in: " + e.getMessage());
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
     * Hands the exit status to the stand-in, which exits with it. Not before the exec command that
     * started the stand-in (this connection's caller) is gone: the stand-in is its child until then,
     * and an exit reaped there would never reach containerd, which waits for it.
     */
    static void sendExit(ControlServer.Answer answer, Fd exitPipe, int status, String execId) {
        try {
            answer.hangup().get(LAUNCHER_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.log(Level.WARNING, "exec " + execId + ": the exec command still runs " + LAUNCHER_WAIT_SECONDS
                    + " s after it started the process: its stand-in exits now anyway");
        } catch (ExecutionException e) {
            // a failed watch is a hang-up too
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] line = (status + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            exitPipe.write(line, 0, line.length);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "exec " + execId + ": its stand-in is gone before its exit status: " + e.getMessage());
        }
    }
}
