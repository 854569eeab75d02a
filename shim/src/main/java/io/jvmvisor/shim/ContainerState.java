package io.jvmvisor.shim;

/** A container's lifecycle as the shim sees it; transitions are checked by {@link #to}. */
public sealed interface ContainerState {
    record Creating() implements ContainerState {
    }

    record Created() implements ContainerState {
    }

    record Running() implements ContainerState {
    }

    record Paused() implements ContainerState {
    }

    /** @param exitStatus the code, or 128+signal */
    record Stopped(int exitStatus) implements ContainerState {
    }

    /** The status word of the runc state ("created", "running", "paused", "stopped"; "creating"). */
    default String status() {
        return switch (this) {
            case Creating c -> "creating";
            case Created c -> "created";
            case Running r -> "running";
            case Paused p -> "paused";
            case Stopped s -> "stopped";
        };
    }

    /** Returns {@code next} if the move is allowed, else throws {@link IllegalTransition}. */
    default ContainerState to(ContainerState next) {
        boolean ok = switch (this) {
            case Creating c -> next instanceof Created || next instanceof Stopped;
            case Created c -> next instanceof Running || next instanceof Stopped;
            case Running r -> next instanceof Paused || next instanceof Stopped;
            case Paused p -> next instanceof Running || next instanceof Stopped;
            case Stopped s -> false;
        };
        if (!ok) {
            throw new IllegalTransition(this, next);
        }
        return next;
    }

    /** A lifecycle operation that the current state does not allow. */
    final class IllegalTransition extends RuntimeException {
        public IllegalTransition(ContainerState from, ContainerState to) {
            super("the container is " + from.status() + ", it cannot become " + to.status());
        }
    }
}
