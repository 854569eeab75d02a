package io.jvmvisor.runtime.state;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * What {@code <root>/<id>/state.json} holds: enough to find the container's
 * shim again (its PID and the start time that tells it apart from a later
 * process with the same PID) and to answer {@code state}.
 *
 * @param shimPid       the shim's PID, 0 while creating
 * @param shimStartTime field 22 of /proc/PID/stat (clock ticks since boot), 0 while creating
 * @param created       RFC 3339 time of create
 * @param owner         the user who created it (runc's "owner")
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContainerRecord(String id, String bundle, String rootfs, String created, String owner,
                              Map<String, String> annotations, long shimPid, long shimStartTime) {

    /** This record with the shim's PID and start time. */
    public ContainerRecord withShim(long pid, long startTime) {
        return new ContainerRecord(id, bundle, rootfs, created, owner, annotations, pid, startTime);
    }
}
