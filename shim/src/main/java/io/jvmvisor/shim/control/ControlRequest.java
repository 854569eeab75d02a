package io.jvmvisor.shim.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One request from the CLI to a container's shim, sent as one JSON line on
 * {@code <state dir>/shim.sock}. Fields not used by an operation are null.
 * See docs/control-api.md for the operations.
 *
 * @param op          the operation, one of {@link Op}'s wire names
 * @param signal      kill: signal number
 * @param all         kill: signal every process of the container
 * @param force       delete: stop a running container first
 * @param execId      exec/resize/kill: the exec process ID ("" or null = init)
 * @param process     exec: the OCI process object (as in process.json)
 * @param stdioPid    exec: the caller's PID; must be the connection's peer (SO_PEERCRED). The caller's
 *                    stdin, stdout and stderr come with the request (SCM_RIGHTS)
 * @param consoleSocket exec: path of the console socket (terminal processes)
 * @param rows        resize: rows
 * @param cols        resize: columns
 * @param resources   update: the OCI linux.resources object
 * @param hold        wait-created: keep the container only if this connection later sends a line
 *                    (the CLI's commit, once create finished); a hang-up without one removes it
 * @param hostPath    mount: the host file or directory to add
 * @param containerPath mount/umount: the destination inside the container
 * @param readonly    mount: read-only
 * @param standIn     exec: the caller is {@code exec --detach} and exits once the process started: the shim
 *                    starts the process's stand-in on the host (it gets the exit status, its signals go to
 *                    the process) and answers with its PID
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ControlRequest(String op, Integer signal, Boolean all, Boolean force, String execId,
                             JsonNode process, Long stdioPid, String consoleSocket,
                             Integer rows, Integer cols, JsonNode resources, Boolean hold,
                             String hostPath, String containerPath, Boolean readonly, Boolean standIn) {

    /** The operations, with their names on the wire. */
    public enum Op {
        WAIT_CREATED("wait-created"), START("start"), STATE("state"), KILL("kill"), PAUSE("pause"),
        RESUME("resume"), DELETE("delete"), EXEC("exec"), RESIZE("resize"), PS("ps"), STATS("stats"),
        UPDATE("update"), MOUNT("mount"), UMOUNT("umount");

        public final String wire;

        Op(String wire) {
            this.wire = wire;
        }

        public static Op of(String wire) {
            for (Op op : values()) {
                if (op.wire.equals(wire)) {
                    return op;
                }
            }
            throw new IllegalArgumentException("unknown control operation: " + wire);
        }
    }

    public static ControlRequest of(Op op) {
        return new ControlRequest(op.wire, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** wait-created, holding the container until the caller commits (see {@code hold}). */
    public static ControlRequest waitCreatedHeld() {
        return new ControlRequest(Op.WAIT_CREATED.wire, null, null, null, null, null, null, null, null, null, null, true, null, null, null, null);
    }

    public static ControlRequest kill(int signal, boolean all) {
        return new ControlRequest(Op.KILL.wire, signal, all, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** A signal to one exec'd process (what a foreground exec forwards). */
    public static ControlRequest kill(String execId, int signal) {
        return new ControlRequest(Op.KILL.wire, signal, false, null, execId, null, null, null, null, null, null, null, null, null, null, null);
    }

    public static ControlRequest delete(boolean force) {
        return new ControlRequest(Op.DELETE.wire, null, null, force, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public static ControlRequest exec(String execId, JsonNode process, long stdioPid, String consoleSocket) {
        return new ControlRequest(Op.EXEC.wire, null, null, null, execId, process, stdioPid, consoleSocket,
                null, null, null, null, null, null, null, null);
    }

    /** exec for {@code exec --detach}: see {@code standIn}. */
    public static ControlRequest execForStandIn(String execId, JsonNode process, long stdioPid, String consoleSocket) {
        return new ControlRequest(Op.EXEC.wire, null, null, null, execId, process, stdioPid, consoleSocket,
                null, null, null, null, null, null, null, true);
    }

    public static ControlRequest resize(String execId, int rows, int cols) {
        return new ControlRequest(Op.RESIZE.wire, null, null, null, execId, null, null, null, rows, cols, null, null, null, null, null, null);
    }

    public static ControlRequest mount(String hostPath, String containerPath, boolean readonly) {
        return new ControlRequest(Op.MOUNT.wire, null, null, null, null, null, null, null, null, null, null, null,
                hostPath, containerPath, readonly, null);
    }

    public static ControlRequest umount(String containerPath) {
        return new ControlRequest(Op.UMOUNT.wire, null, null, null, null, null, null, null, null, null, null, null,
                null, containerPath, null, null);
    }

    public static ControlRequest update(JsonNode resources) {
        return new ControlRequest(Op.UPDATE.wire, null, null, null, null, null, null, null, null, null, resources, null, null, null, null, null);
    }
}
