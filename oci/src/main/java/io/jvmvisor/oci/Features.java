package io.jvmvisor.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** The OCI runtime features document ({@code features.md} of the runtime-spec), as {@code runc features} prints. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Features(String ociVersionMin, String ociVersionMax, List<String> hooks, List<String> mountOptions,
                       LinuxFeatures linux, Map<String, String> annotations) {

    /** Linux-specific features. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LinuxFeatures(List<String> namespaces, List<String> capabilities, Cgroup cgroup, Enabled seccomp,
                                Enabled apparmor, Enabled selinux, Enabled intelRdt) {
    }

    /** Which cgroup drivers are known. */
    public record Cgroup(boolean v1, boolean v2, boolean systemd, boolean systemdUser, boolean rdma) {
    }

    /** A feature that is on or off. */
    public record Enabled(boolean enabled) {
    }
}
