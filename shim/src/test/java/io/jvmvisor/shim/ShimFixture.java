package io.jvmvisor.shim;

import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A shim process started as the CLI starts it, with stdout/stderr captured in files. */
final class ShimFixture implements AutoCloseable {
    final Path stateDir;
    final Process process;
    final Path stdout;
    final Path stderr;

    private ShimFixture(Path stateDir, Process process, Path stdout, Path stderr) {
        this.stateDir = stateDir;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Why a VM cannot be booted here, if it cannot. */
    static Optional<String> unavailable() {
        Path home = Path.of(System.getProperty("jvmvisor.home", ".."));
        if (!Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))) {
            return Optional.of("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        }
        for (String f : new String[] {"kernels/target/vmlinux", "kernels/target/initramfs.cpio"}) {
            if (!Files.isReadable(home.resolve(f))) {
                return Optional.of("no " + home.resolve(f) + " (build the kernels module: mvn -pl kernels -am install)");
            }
        }
        return Optional.empty();
    }

    static ShimFixture start(String id, Path bundle, Path stateDir) throws IOException {
        return start(id, bundle, stateDir, null);
    }

    static ShimFixture start(String id, Path bundle, Path stateDir, String consoleSocket) throws IOException {
        return start(id, bundle, stateDir, consoleSocket, Path.of("/dev/null"));
    }

    static ShimFixture start(String id, Path bundle, Path stateDir, String consoleSocket, Path stdin) throws IOException {
        return start(id, bundle, stateDir, consoleSocket, stdin, java.util.Map.of());
    }

    /** A shim with {@code env} added to this JVM's environment. */
    static ShimFixture start(String id, Path bundle, Path stateDir, String consoleSocket, Path stdin,
                             java.util.Map<String, String> env) throws IOException {
        Files.createDirectories(stateDir);
        Path out = stateDir.resolveSibling(id + ".stdout");
        Path err = stateDir.resolveSibling(id + ".stderr");
        ShimLauncher.Options o = new ShimLauncher.Options(id, bundle, stateDir, consoleSocket, null, null, false);
        ProcessBuilder pb = new ProcessBuilder(ShimLauncher.command(o));
        pb.environment().putAll(env);
        Process p = pb
                .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new ShimFixture(stateDir, p, out, err);
    }

    long awaitCreated() throws IOException, InterruptedException {
        try {
            return ShimLauncher.awaitCreated(stateDir, process, Duration.ofSeconds(120));
        } finally {
            noteVmmPid();
        }
    }

    ControlResponse call(ControlRequest r) throws IOException {
        return ControlClient.call(stateDir, r);
    }

    int awaitExit() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the shim did not exit within 60 s; shim.log:\n" + shimLog());
        }
        return process.exitValue();
    }

    String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    String shimLog() {
        try {
            return Files.readString(stateDir.resolve("shim.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no shim.log)";
        }
    }

    /** The QEMU PID the shim recorded (0 if none). */
    long vmmPidOrZero() throws IOException {
        Path f = stateDir.resolve("vmm.pid");
        if (Files.exists(f)) {
            return Long.parseLong(Files.readString(f).trim());
        }
        var m = java.util.regex.Pattern.compile("QEMU started, pid (\\d+)").matcher(shimLog());
        return m.find() ? Long.parseLong(m.group(1)) : vmmPid;
    }

    /** Remembers the VMM PID while the file exists (the shim removes it at exit). */
    void noteVmmPid() throws IOException {
        Path f = stateDir.resolve("vmm.pid");
        if (Files.exists(f)) {
            vmmPid = Long.parseLong(Files.readString(f).trim());
        }
    }

    private long vmmPid;

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Path pid = stateDir.resolve("vmm.pid");
        if (Files.exists(pid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
