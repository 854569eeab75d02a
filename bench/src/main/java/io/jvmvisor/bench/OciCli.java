package io.jvmvisor.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One runc-compatible command line ({@code runc}, {@code runsc}, {@code bin/jvmvisor})
 * with its own {@code --root}. Each call is timed from just before the process
 * is started to just after it exited. Stdio goes to files, never pipes: a
 * container created by {@code create} inherits the runtime's stdout/stderr and
 * would hold a pipe open for its whole life.
 */
public final class OciCli {
    private static final AtomicInteger CALLS = new AtomicInteger();

    private final String name;
    private final List<String> prefix;
    private final Path root;
    private final Path logs;
    private final Consumer<String> onTimeout;

    /** What a call gave: its wall time, exit code and outputs. */
    public record Outcome(long startEpochNs, long nanos, int exitCode, String stdout, String stderr) {
        public double millis() {
            return nanos / 1e6;
        }
    }

    /**
     * @param name       runtime name for messages
     * @param executable the binary
     * @param globalArgs global flags placed after {@code --root}
     * @param root       the state root (created)
     * @param logs       where call outputs are kept (created)
     */
    public OciCli(String name, String executable, List<String> globalArgs, Path root, Path logs) {
        this(name, executable, globalArgs, root, logs, reason -> { });
    }

    /** As above; {@code onTimeout} hears of a call that hung (the harness then stops using this runtime). */
    public OciCli(String name, String executable, List<String> globalArgs, Path root, Path logs, Consumer<String> onTimeout) {
        this.name = name;
        this.onTimeout = onTimeout;
        this.root = root;
        this.logs = logs;
        List<String> p = new ArrayList<>(List.of(executable, "--root", root.toString()));
        p.addAll(globalArgs);
        this.prefix = List.copyOf(p);
        try {
            Files.createDirectories(root);
            Files.createDirectories(logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String name() {
        return name;
    }

    public Path root() {
        return root;
    }

    /** Runs {@code <runtime> --root R ARGS...}; never throws for a non-zero exit. */
    public Outcome call(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(args));
        int n = CALLS.incrementAndGet();
        Path out = logs.resolve(name + "-" + n + "-" + args[0] + ".out");
        Path err = logs.resolve(name + "-" + n + "-" + args[0] + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(new File("/dev/null"))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        try {
            Instant now = Instant.now();
            long startEpochNs = now.getEpochSecond() * 1_000_000_000L + now.getNano();
            long t0 = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
                String reason = name + " " + args[0] + " did not finish within " + timeout.toSeconds()
                        + " s" + lastLine(Files.readString(err));
                onTimeout.accept(reason);
                throw new BenchException(reason);
            }
            long t1 = System.nanoTime();
            return new Outcome(startEpochNs, t1 - t0, p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new BenchException("cannot run " + cmd.getFirst() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        }
    }

    /** Like {@link #call} but a non-zero exit is a {@link BenchException} naming the command and its error. */
    public Outcome check(Duration timeout, String... args) {
        Outcome o = call(timeout, args);
        if (o.exitCode() != 0) {
            throw new BenchException(name + " " + args[0] + " failed (exit " + o.exitCode() + ")"
                    + lastLine(o.stderr().isBlank() ? o.stdout() : o.stderr()));
        }
        return o;
    }

    /** The container's state JSON ({@code state ID}). */
    public String state(String id) {
        return check(Duration.ofSeconds(30), "state", id).stdout();
    }

    /** Best-effort removal of a container, whatever its state. */
    public void forceDelete(String id) {
        try {
            call(Duration.ofSeconds(60), "delete", "--force", id);
        } catch (BenchException e) {
            // reported by the caller's checks for leftovers
        }
    }

    /** ": last line of text", or "" when there is none; keeps reasons to one line. */
    static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        String last = lines[lines.length - 1].strip();
        if (last.length() > 240) {
            last = last.substring(0, 240) + "...";
        }
        return last.isEmpty() ? "" : ": " + last;
    }
}
