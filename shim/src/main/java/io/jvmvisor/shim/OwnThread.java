package io.jvmvisor.shim;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/** Work begun on a daemon thread of its own, whose outcome a later step waits for. */
final class OwnThread {
    private OwnThread() {
    }

    /**
     * Runs {@code work} on a new daemon platform thread named {@code name} ({@code stackSize} bytes,
     * 0 for the default); its result or whatever it threw completes the future (a step that waits
     * never waits on a thread that died).
     */
    static <T> CompletableFuture<T> call(String name, long stackSize, Callable<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name(name).stackSize(stackSize).start(() -> {
            try {
                f.complete(work.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }
}
