package io.jvmvisor.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * An OCI runtime-spec {@code config.json} (the parts jvmvisor reads). Unknown
 * properties are ignored; absent ones are null. Read it with {@link SpecLoader}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Spec(String ociVersion, Process process, Root root, String hostname, List<Mount> mounts,
                   Hooks hooks, Map<String, String> annotations, Linux linux) {

    /** The mounts, never null. */
    public List<Mount> mountList() {
        return mounts == null ? List.of() : mounts;
    }

    /** The annotations, never null. */
    public Map<String, String> annotationMap() {
        return annotations == null ? Map.of() : annotations;
    }

    /** The hooks, never null. */
    public Hooks hookSet() {
        return hooks == null ? Hooks.NONE : hooks;
    }
}
