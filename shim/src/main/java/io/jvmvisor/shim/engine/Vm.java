package io.jvmvisor.shim.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A running VM, as the shim sees it. */
public interface Vm {
    /** The PID of the VMM process (also in {@code <state-dir>/vmm.pid}). */
    long pid();

    /** The host end of the agent's channel (a Unix socket). */
    Path agentSocket();

    boolean isAlive();

    /** Completes with the VMM's exit code when it exits. */
    CompletableFuture<Integer> onExit();

    /** Epoch nanoseconds of the first line on the guest console, 0 before it. */
    long firstConsoleLineNanos();

    /** The last lines of the guest console, for error messages. */
    String consoleTail(int lines);

    /** The first recent console line containing {@code needle} ("Kernel panic"), or null. */
    String consoleLine(String needle);

    /** Whether the VM was restored from a template (its agent then waits for Resume) rather than booted. */
    default boolean restored() {
        return false;
    }

    /** Stops the vCPUs (pause). */
    void pause() throws IOException;

    /** Resumes the vCPUs. */
    void resume() throws IOException;

    /** Waits up to {@code grace} for the VMM to exit by itself, then kills it. Idempotent. */
    void stop(Duration grace);
}
