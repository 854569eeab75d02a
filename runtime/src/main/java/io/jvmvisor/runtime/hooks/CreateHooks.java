package io.jvmvisor.runtime.hooks;

import io.jvmvisor.oci.Hooks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * create's createRuntime and prestart hooks, run on a thread of their own while the shim boots the
 * VM and creates the container in it.
 *
 * <p>What these hooks act on is the container's namespaces, seen through the PID in their state:
 * the shim's, whose network namespace is the container's from the moment {@code unshare} or
 * {@code nsenter} exec'd its JVM. Docker's {@code libnetwork-setkey} (the hooks of every docker
 * container) puts the container's interfaces there; the VM's NICs are attached to them once create
 * is committed, after the hooks. So the hooks wait only for that exec (the shim's {@code /proc/PID/exe} is the
 * JVM), not for the VM: under TCG they overlap its ~400 ms of restore and container setup instead
 * of following them. Their state says {@code creating}, as runc's does.
 */
public final class CreateHooks {
    private static final CreateHooks NONE = new CreateHooks(CompletableFuture.completedFuture(null));
    /** How long the shim may take to become its JVM (setsid, unshare/nsenter, exec). */
    private static final long EXEC_WAIT_MS = 10_000;

    private final CompletableFuture<Void> done;

    private CreateHooks(CompletableFuture<Void> done) {
        this.done = done;
    }

    /** Starts {@code hooks}' createRuntime then prestart hooks once {@code shim} runs its JVM; none: nothing. */
    public static CreateHooks start(Hooks hooks, byte[] state, java.lang.Process shim) {
        List<Hooks.Hook> createRuntime = Hooks.orEmpty(hooks.createRuntime());
        List<Hooks.Hook> prestart = Hooks.orEmpty(hooks.prestart());
        if (createRuntime.isEmpty() && prestart.isEmpty()) {
            return NONE;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofPlatform().name("create-hooks").daemon().start(() -> {
            try {
                if (!awaitExec(shim)) {
                    // never with a PID whose namespaces may still be this CLI's (or another process's)
                    throw new HookException("create hooks not run: the shim (pid " + shim.pid() + ") did not start"
                            + (shim.isAlive() ? " within " + EXEC_WAIT_MS / 1000 + " s" : ""));
                }
                HookRunner.runAll("createRuntime", createRuntime, state);
                HookRunner.runAll("prestart", prestart, state);
                done.complete(null);
            } catch (HookException | RuntimeException e) {
                done.completeExceptionally(e);
            } catch (InterruptedException e) {
                done.completeExceptionally(new HookException("create hooks: interrupted"));
            }
        });
        return new CreateHooks(done);
    }

    /**
     * Waits until the shim's process runs the JVM this CLI runs (the shim's too), so that
     * {@code unshare}/{@code nsenter} before it have done their work; false if it is gone first or
     * does not get there in time.
     */
    private static boolean awaitExec(java.lang.Process shim) throws InterruptedException {
        Path java;
        try {
            java = Files.readSymbolicLink(Path.of("/proc/self/exe"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/exe: " + e.getMessage(), e);
        }
        Path exe = Path.of("/proc", Long.toString(shim.pid()), "exe");
        long end = System.currentTimeMillis() + EXEC_WAIT_MS;
        while (shim.isAlive() && System.currentTimeMillis() < end) {
            try {
                if (Files.readSymbolicLink(exe).equals(java)) {
                    return shim.isAlive(); // not a PID reused since
                }
            } catch (IOException e) {
                // not readable yet
            }
            Thread.sleep(1);
        }
        return false;
    }

    /** Waits for the hooks; the first that failed is thrown. */
    public void await() throws HookException, InterruptedException {
        try {
            done.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HookException h) {
                throw h;
            }
            throw new HookException("create hooks: " + e.getCause());
        }
    }

    /** Waits for the hooks to be done (a create that fails undoes nothing under a running hook). */
    public void awaitQuietly() {
        try {
            await();
        } catch (HookException e) {
            // the create failed for another reason, reported instead
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
