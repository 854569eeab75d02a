package io.jvmvisor.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * The OCI state of a container, as given to hooks on stdin.
 *
 * @param status creating, created, running, stopped (paused is runc's extension)
 * @param pid    the container's process ID on the host (for jvmvisor: the shim's), 0 once stopped
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record State(String ociVersion, String id, String status, long pid, String bundle,
                    Map<String, String> annotations) {
}
