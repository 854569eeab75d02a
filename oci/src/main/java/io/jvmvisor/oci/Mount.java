package io.jvmvisor.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** One mount of config.json's {@code mounts}. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Mount(String destination, String type, String source, List<String> options) {

    /** The options, never null. */
    public List<String> optionList() {
        return options == null ? List.of() : options;
    }

    /** True for a bind mount (type "bind" or a "bind"/"rbind" option). */
    public boolean isBind() {
        return "bind".equals(type) || optionList().contains("bind") || optionList().contains("rbind");
    }
}
