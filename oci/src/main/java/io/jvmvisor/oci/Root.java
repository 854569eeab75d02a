package io.jvmvisor.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/** The container's root filesystem: a path, relative to the bundle or absolute. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Root(String path, Boolean readonly) {

    /** Whether the root is mounted read-only. */
    public boolean isReadonly() {
        return Boolean.TRUE.equals(readonly);
    }
}
