package io.jvmvisor.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Lifecycle hooks; each list may be null. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Hooks(List<Hook> prestart, List<Hook> createRuntime, List<Hook> createContainer,
                    List<Hook> startContainer, List<Hook> poststart, List<Hook> poststop) {

    /** No hooks at all. */
    public static final Hooks NONE = new Hooks(null, null, null, null, null, null);

    /** One hook: a program run on the host with the container state on stdin. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Hook(String path, List<String> args, List<String> env, Integer timeout) {
    }

    /** The hook lists by their config.json names, in spec order, nulls as empty lists. */
    public List<Named> all() {
        return List.of(new Named("prestart", orEmpty(prestart)), new Named("createRuntime", orEmpty(createRuntime)),
                new Named("createContainer", orEmpty(createContainer)),
                new Named("startContainer", orEmpty(startContainer)), new Named("poststart", orEmpty(poststart)),
                new Named("poststop", orEmpty(poststop)));
    }

    /** A hook list with its name. */
    public record Named(String name, List<Hook> hooks) {
    }

    /** {@code list} or an empty list. */
    public static List<Hook> orEmpty(List<Hook> list) {
        return list == null ? List.of() : list;
    }
}
