package io.jvmvisor.shim.relay;

import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.shim.agent.AgentClient;
import io.jvmvisor.sys.ErrnoException;
import io.jvmvisor.sys.Fd;
import io.jvmvisor.sys.Libc;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Relays one process's stdio between host fds and the agent. Pipes mode:
 * host stdin -> WriteStdin/CloseStdin, ReadOutput(STDOUT) -> host stdout,
 * ReadOutput(STDERR) -> host stderr, kept separate. Terminal mode: a host
 * pty whose master went to the console socket; its slave <-> the guest tty,
 * window-size changes on the slave -> ResizeTty.
 */
public final class StdioRelay implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("shim.relay");
    private static final int CHUNK = 32 * 1024;

    private final AgentClient agent;
    private final String execId;
    private final CompletableFuture<Void> outputs;
    private volatile boolean closed;
    private final Fd ownedFd;

    private StdioRelay(AgentClient agent, String execId, CompletableFuture<Void> outputs, Fd ownedFd) {
        this.agent = agent;
        this.execId = execId;
        this.outputs = outputs;
        this.ownedFd = ownedFd;
    }

    /** Pipes mode. {@code stdin} null: the process's stdin is closed at once. */
    public static StdioRelay pipes(AgentClient agent, String execId, InputStream stdin, Fd stdout, Fd stderr) {
        CompletableFuture<Void> out = agent.readOutput(execId, OutputStream.STDOUT, data -> write(stdout, data));
        CompletableFuture<Void> err = agent.readOutput(execId, OutputStream.STDERR, data -> write(stderr, data));
        StdioRelay r = new StdioRelay(agent, execId, CompletableFuture.allOf(out, err), null);
        if (stdin == null) {
            r.closeStdinQuietly();
        } else {
            Thread.ofPlatform().daemon().name("stdin-" + execId).start(() -> r.pumpStdin(stdin));
        }
        return r;
    }

    /**
     * Terminal mode: opens a host pty, sets its slave raw, sends the master to
     * {@code consoleSocket} (SCM_RIGHTS) and relays the slave to the guest tty.
     */
    public static StdioRelay terminal(AgentClient agent, String execId, String consoleSocket, int rows, int cols)
            throws ErrnoException {
        Libc libc = Libc.get();
        Libc.Pty pty = libc.openpty();
        Fd master = new Fd(pty.master());
        Fd slave = new Fd(pty.slave());
        try {
            libc.makeRaw(slave.value());
            if (rows > 0 && cols > 0) {
                libc.setWinSize(slave.value(), new Libc.WinSize(rows, cols));
            }
            libc.sendFd(consoleSocket, master.value());
        } catch (ErrnoException e) {
            closeQuietly(master);
            closeQuietly(slave);
            throw e;
        } finally {
            closeQuietly(master); // the receiver holds its own copy
        }
        CompletableFuture<Void> out = agent.readOutput(execId, OutputStream.STDOUT, data -> write(slave, data));
        StdioRelay r = new StdioRelay(agent, execId, out, slave);
        Thread.ofPlatform().daemon().name("tty-" + execId).start(() -> r.pumpTty(slave));
        return r;
    }

    private static void write(Fd fd, byte[] data) {
        if (fd == null) {
            return;
        }
        try {
            fd.write(data, 0, data.length);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "output dropped (" + fd + "): " + e.getMessage());
        }
    }

    private void pumpStdin(InputStream in) {
        byte[] buf = new byte[CHUNK];
        try {
            int n;
            while (!closed && (n = in.read(buf)) > 0) {
                agent.writeStdin(execId, buf, n);
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "stdin relay of " + name() + " stopped: " + e.getMessage());
        }
        closeStdinQuietly();
    }

    private void pumpTty(Fd slave) {
        Libc libc = Libc.get();
        byte[] buf = new byte[CHUNK];
        Libc.WinSize last = null;
        try {
            while (!closed) {
                Libc.WinSize now = libc.getWinSize(slave.value());
                if (!now.equals(last) && now.rows() > 0 && now.cols() > 0) {
                    agent.resize(execId, now.rows(), now.cols());
                    last = now;
                }
                short ev = libc.poll(slave.value(), Libc.POLLIN, 100);
                if ((ev & Libc.POLLIN) != 0) {
                    int n = slave.read(buf, 0, buf.length);
                    if (n < 0) {
                        break;
                    }
                    agent.writeStdin(execId, buf, n);
                } else if ((ev & (Libc.POLLHUP | Libc.POLLERR | Libc.POLLNVAL)) != 0) {
                    // the console's user closed the master: keep going so output is drained, but poll less
                    Thread.sleep(100);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "tty relay of " + name() + " stopped: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeStdinQuietly() {
        try {
            agent.closeStdin(execId);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "CloseStdin of " + name() + ": " + e.getMessage());
        }
    }

    private String name() {
        return execId.isEmpty() ? "the init process" : "exec " + execId;
    }

    /** Waits up to {@code millis} for the output streams to end (the process exited and they were drained). */
    public boolean awaitOutputs(long millis) {
        try {
            outputs.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void closeQuietly(Fd fd) {
        try {
            fd.close();
        } catch (ErrnoException e) {
            // nothing left to do
        }
    }

    @Override
    public void close() {
        closed = true;
        if (ownedFd != null) {
            try {
                Thread.sleep(150); // let the tty thread leave poll() before the fd goes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closeQuietly(ownedFd);
        }
    }
}
