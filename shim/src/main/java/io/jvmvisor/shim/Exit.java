package io.jvmvisor.shim;

/**
 * How the container ended: {@code exitStatus} is the code, or 128+signal;
 * {@code reason} says why when it was not the process's own exit (VM died, deleted).
 */
record Exit(int exitStatus, Integer signal, String reason) {
    String toJson() {
        return "{\"exitStatus\":" + exitStatus + (signal == null ? "" : ",\"signal\":" + signal)
                + (reason == null ? "" : ",\"reason\":" + ShimLog.quote(reason)) + "}\n";
    }
}
