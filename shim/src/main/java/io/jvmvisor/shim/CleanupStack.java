package io.jvmvisor.shim;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Deque;

/** Undo steps, run last-in first-out; {@link #release()} forgets them once a recipe succeeded. */
final class CleanupStack implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("shim");

    interface Undo {
        void run() throws Exception;
    }

    private record Step(String what, Undo undo) {
    }

    private final Deque<Step> steps = new ArrayDeque<>();

    synchronized void push(String what, Undo undo) {
        steps.push(new Step(what, undo));
    }

    synchronized void release() {
        steps.clear();
    }

    @Override
    public synchronized void close() {
        while (!steps.isEmpty()) {
            Step s = steps.pop();
            try {
                s.undo().run();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "cleanup: " + s.what() + " failed: " + e);
            }
        }
    }
}
