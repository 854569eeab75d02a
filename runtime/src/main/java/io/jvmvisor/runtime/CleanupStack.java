package io.jvmvisor.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Undo steps of a recipe (gVisor's {@code cleanup.Cleanup}): each step that
 * succeeded pushes its undo; {@link #release()} on success drops them, otherwise
 * {@link #close()} runs them newest first.
 */
public final class CleanupStack implements AutoCloseable {
    /** One undo step. */
    @FunctionalInterface
    public interface Undo {
        void run() throws Exception;
    }

    private record Step(String what, Undo undo) {
    }

    private final Deque<Step> steps = new ArrayDeque<>();
    private final List<String> failures = new ArrayList<>();

    /** Registers the undo of a step that just succeeded. */
    public void push(String what, Undo undo) {
        steps.push(new Step(what, undo));
    }

    /** The recipe succeeded: nothing is undone. */
    public void release() {
        steps.clear();
    }

    /** Undo failures seen by {@link #close()}, for a warning. */
    public List<String> failures() {
        return failures;
    }

    @Override
    public void close() {
        while (!steps.isEmpty()) {
            Step s = steps.pop();
            try {
                s.undo().run();
            } catch (Exception e) {
                failures.add("undoing " + s.what() + ": " + e.getMessage());
            }
        }
    }
}
