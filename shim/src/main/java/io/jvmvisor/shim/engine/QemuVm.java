package io.jvmvisor.shim.engine;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A QEMU process and its QMP socket. */
final class QemuVm implements Vm {
    private static final System.Logger LOG = System.getLogger("shim.qemu");

    private final Process process;
    private final VmConfig config;
    private final ConsoleLog console;
    private final CompletableFuture<Integer> exit;
    private final boolean restored;

    QemuVm(Process process, VmConfig config, ConsoleLog console) {
        this(process, config, console, false);
    }

    QemuVm(Process process, VmConfig config, ConsoleLog console, boolean restored) {
        this.restored = restored;
        this.process = process;
        this.config = config;
        this.console = console;
        this.exit = process.onExit().thenApply(Process::exitValue);
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public boolean restored() {
        return restored;
    }

    @Override
    public Path agentSocket() {
        return config.agentSocket();
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
        return exit;
    }

    @Override
    public long firstConsoleLineNanos() {
        return console.firstLineNanos();
    }

    @Override
    public String consoleTail(int lines) {
        if (!process.isAlive()) {
            console.drain(500);
        }
        return console.tail(lines);
    }

    @Override
    public String consoleLine(String needle) {
        if (!process.isAlive()) {
            console.drain(500);
        }
        return console.find(needle);
    }

    @Override
    public void pause() throws IOException {
        QmpClient.execute(config.qmpSocket(), "stop");
    }

    @Override
    public void resume() throws IOException {
        QmpClient.execute(config.qmpSocket(), "cont");
    }

    @Override
    public void stop(Duration grace) {
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(Level.INFO, "QEMU (pid " + process.pid() + ") still runs after " + grace.toMillis() + " ms: killing it");
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        console.drain(1000);
    }
}
