package io.jvmvisor.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The agent binary in host mode: {@code jvmvisor-agent --listen DIR/agent.sock}, killed by PID on close. */
public final class HostAgentTarget implements AgentTarget {

    /** Where Maven builds the agent (override with -Djvmvisor.agent=PATH). */
    public static Path agentBinary() {
        String p = System.getProperty("jvmvisor.agent");
        if (p != null) {
            return Path.of(p);
        }
        Path here = Path.of("target/agent/jvmvisor-agent");
        return Files.isExecutable(here) ? here : Path.of("../guest-agent/target/agent/jvmvisor-agent");
    }

    private final Process process;
    private final Path socket;
    private final Path logFile;

    private HostAgentTarget(Process process, Path socket, Path logFile) {
        this.process = process;
        this.socket = socket;
        this.logFile = logFile;
    }

    /** Starts the agent with its socket and log in dir; returns once it is ready. */
    public static HostAgentTarget start(Path dir, String... extraArgs) throws IOException, InterruptedException {
        return start(agentBinary(), dir, extraArgs);
    }

    /** Starts the given agent build (e.g. the test-agent of make test-agent). */
    public static HostAgentTarget start(Path binary, Path dir, String... extraArgs)
            throws IOException, InterruptedException {
        Path agent = binary.toAbsolutePath();
        if (!Files.isExecutable(agent)) {
            throw new IllegalStateException(agent + " is missing: build it with mvn -pl guest-agent compile");
        }
        Path socket = dir.resolve("agent.sock");
        Path log = dir.resolve("agent.log");
        var cmd = new java.util.ArrayList<String>(java.util.List.of(agent.toString(), "--listen", socket.toString(), "--debug"));
        cmd.addAll(java.util.List.of(extraArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        var target = new HostAgentTarget(p, socket, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!target.log().contains("ready channel=")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                target.close();
                throw new IllegalStateException("agent did not get ready; its log:\n" + target.log());
            }
            Thread.sleep(10);
        }
        return target;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public Path socket() {
        return socket;
    }

    @Override
    public String channel() {
        return "unix";
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public boolean waitForExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The agent's exit code; only after it ended. */
    public int exitValue() {
        return process.exitValue();
    }

    @Override
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
