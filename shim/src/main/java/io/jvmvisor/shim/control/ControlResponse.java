package io.jvmvisor.shim.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One answer line from the shim. {@code ok=false} carries {@code error}, a
 * message for a person, and {@code code}, a machine-readable kind.
 *
 * @param ok         whether the operation succeeded
 * @param error      what went wrong (ok=false)
 * @param code       the kind of error: {@link ErrorCode}'s names
 * @param status     state: created, running, paused, stopped
 * @param pid        wait-created: the shim's PID; exec: the exec'd process's guest PID
 * @param exitStatus state (stopped) and exec's final line: the code, or 128+signal
 * @param data       ps: the process list; stats: the figures (JSON)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ControlResponse(boolean ok, String error, String code, String status, Long pid,
                              Integer exitStatus, JsonNode data) {

    /** Kinds of control errors, so the CLI can map them to runc's behaviour. */
    public enum ErrorCode { NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION, VM_DIED, INTERNAL, PERMISSION_DENIED }

    public static ControlResponse success() {
        return new ControlResponse(true, null, null, null, null, null, null);
    }

    public static ControlResponse failure(ErrorCode code, String error) {
        return new ControlResponse(false, error, code.name(), null, null, null, null);
    }

    public static ControlResponse state(String status, Integer exitStatus) {
        return new ControlResponse(true, null, null, status, null, exitStatus, null);
    }

    public static ControlResponse pid(long pid) {
        return new ControlResponse(true, null, null, null, pid, null, null);
    }

    public static ControlResponse exited(int exitStatus) {
        return new ControlResponse(true, null, null, null, null, exitStatus, null);
    }

    public static ControlResponse data(JsonNode data) {
        return new ControlResponse(true, null, null, null, null, null, data);
    }
}
