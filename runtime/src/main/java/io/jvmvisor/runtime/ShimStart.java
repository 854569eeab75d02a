package io.jvmvisor.runtime;

import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a container's shim ({@code io.jvmvisor.shim.ShimMain}) in its own
 * session with create's stdio, and waits until it reports the container
 * created (control op {@code wait-created}).
 */
final class ShimStart {
    private static final String SHIM_MAIN = "io.jvmvisor.shim.ShimMain";

    /** What the shim needs to know. */
    record Request(String id, Path bundle, Path stateDir, String consoleSocket, Path log, String logFormat, boolean debug) {
    }

    private ShimStart() {
    }

    /** Starts the shim; its stdin/stdout/stderr are this process's. */
    static java.lang.Process launch(Request r) throws IOException {
        String javaHome = System.getProperty("java.home");
        String home = System.getProperty("jvmvisor.home", "");
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.add(Path.of(javaHome, "bin", "java").toString());
        cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss512k",
                "-Xmx64m", "--enable-native-access=ALL-UNNAMED", "-Djvmvisor.home=" + home,
                "-cp", System.getProperty("java.class.path"), SHIM_MAIN,
                "--id", r.id(), "--bundle", r.bundle().toString(), "--state-dir", r.stateDir().toString()));
        if (r.consoleSocket() != null) {
            cmd.addAll(List.of("--console-socket", r.consoleSocket()));
        }
        if (r.log() != null) {
            cmd.addAll(List.of("--log", r.log().toString(), "--log-format", r.logFormat()));
        }
        if (r.debug()) {
            cmd.add("--debug");
        }
        return new ProcessBuilder(cmd).inheritIO().start();
    }

    /**
     * Waits until the shim answers {@code wait-created}; returns its PID.
     * Throws with the shim's message if it failed, died or timed out.
     */
    static long awaitCreated(Path stateDir, java.lang.Process shim, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!shim.isAlive()) {
                throw new IOException("the shim exited with status " + shim.exitValue() + " before the container was created"
                        + lastShimError(stateDir));
            }
            try (ControlClient c = ControlClient.connect(stateDir)) {
                ControlResponse resp = c.call(ControlRequest.of(ControlRequest.Op.WAIT_CREATED));
                if (!resp.ok()) {
                    throw new ShimFailure(resp.error());
                }
                return resp.pid() != null ? resp.pid() : shim.pid();
            } catch (ShimFailure e) {
                throw e;
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the shim");
            }
        }
        throw new IOException("the shim did not report the container created within " + timeout.toSeconds() + "s"
                + (last == null ? "" : " (" + last.getMessage() + ")") + lastShimError(stateDir));
    }

    /** The shim's own error, passed through as is. */
    static final class ShimFailure extends IOException {
        ShimFailure(String message) {
            super(message);
        }
    }

    private static String lastShimError(Path stateDir) {
        try {
            List<String> lines = Files.readAllLines(stateDir.resolve("shim.log"));
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).contains("error")) {
                    return ": " + lines.get(i).strip();
                }
            }
        } catch (IOException e) {
            // no log
        }
        return "";
    }
}
