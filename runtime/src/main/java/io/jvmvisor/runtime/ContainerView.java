package io.jvmvisor.runtime;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;

/**
 * A container as {@code state} and {@code list --format json} print it: the
 * OCI state plus runc's rootfs, created and owner.
 *
 * @param pid the shim's PID while the container lives (containerd waits on it), 0 once stopped
 */
@JsonPropertyOrder({"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner", "annotations"})
public record ContainerView(String ociVersion, String id, long pid, String status, String bundle, String rootfs,
                            String created, String owner,
                            @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> annotations) {
}
