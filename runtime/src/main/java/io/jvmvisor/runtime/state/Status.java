package io.jvmvisor.runtime.state;

/**
 * A container's lifecycle status (runc's {@code libcontainer/state_linux.go}):
 * creating -> created -> running (<-> paused) -> stopped. Each state says which
 * operations it allows; a refused one is an {@link IllegalTransitionException}
 * with runc's wording.
 */
public sealed interface Status permits Status.Creating, Status.Created, Status.Running, Status.Paused, Status.Stopped {

    /** The name in OCI state JSON. */
    String wire();

    /** The state dir exists but the shim has not reported the container created yet. */
    record Creating() implements Status {
        public String wire() {
            return "creating";
        }
    }

    /** The VM is up and the container's process waits for {@code start}. */
    record Created() implements Status {
        public String wire() {
            return "created";
        }
    }

    /** The container's process runs. */
    record Running() implements Status {
        public String wire() {
            return "running";
        }
    }

    /** The VM is paused. */
    record Paused() implements Status {
        public String wire() {
            return "paused";
        }
    }

    /** The process exited ({@code exitStatus} null when unknown, e.g. the shim vanished). */
    record Stopped(Integer exitStatus) implements Status {
        public String wire() {
            return "stopped";
        }
    }

    /** Parses a wire name as the shim reports it. */
    static Status of(String wire, Integer exitStatus) {
        return switch (wire == null ? "" : wire) {
            case "creating" -> new Creating();
            case "created" -> new Created();
            case "running" -> new Running();
            case "paused" -> new Paused();
            case "stopped" -> new Stopped(exitStatus);
            default -> throw new IllegalArgumentException("unknown container status \"" + wire + "\"");
        };
    }

    // The checks use instanceof, not a pattern switch: a type switch is linked at run time by
    // SwitchBootstraps, which spins a class (the classfile API, ~100 classes) in every CLI run.

    /** Checks that {@code start} is allowed. */
    default void checkStart() throws IllegalTransitionException {
        if (this instanceof Created) {
            return;
        }
        String why;
        if (this instanceof Stopped) {
            why = "cannot start a container that has stopped";
        } else if (this instanceof Running) {
            why = "cannot start an already running container";
        } else if (this instanceof Paused) {
            why = "cannot start a paused container, resume it instead";
        } else {
            why = "cannot start a container that is still being created";
        }
        throw new IllegalTransitionException(this, "running", why);
    }

    /** Checks that a signal may be sent. */
    default void checkKill() throws IllegalTransitionException {
        if (this instanceof Stopped || this instanceof Creating) {
            throw new IllegalTransitionException(this, "stopped", "container not running");
        }
    }

    /** Checks that {@code delete} is allowed (created containers are destroyed without force, as runc does). */
    default void checkDelete(String id, boolean force) throws IllegalTransitionException {
        if (!force && (this instanceof Running || this instanceof Paused)) {
            throw new IllegalTransitionException(this, "deleted",
                    "cannot delete container " + id + " that is not stopped: " + wire());
        }
    }

    /** Checks pause (only running) and resume (only paused). */
    default void checkPause(boolean pause) throws IllegalTransitionException {
        boolean ok = pause ? this instanceof Running : this instanceof Paused;
        if (!ok) {
            throw new IllegalTransitionException(this, pause ? "paused" : "running",
                    pause ? "container not running" : "container not paused");
        }
    }
}
