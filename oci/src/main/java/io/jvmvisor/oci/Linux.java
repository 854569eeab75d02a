package io.jvmvisor.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** The {@code linux} section of config.json. {@code seccomp} is kept as raw JSON. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Linux(List<Namespace> namespaces, Resources resources, String cgroupsPath, List<String> maskedPaths,
                    List<String> readonlyPaths, Map<String, String> sysctl, List<Device> devices,
                    List<IdMapping> uidMappings, List<IdMapping> gidMappings, JsonNode seccomp) {

    /** A namespace to create, or to join when {@code path} is set. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Namespace(String type, String path) {
    }

    /** Cgroup resource limits. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Resources(Memory memory, Cpu cpu, Pids pids) {
    }

    /** Memory limits in bytes; swappiness 0-100; disableOOMKiller. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Memory(Long limit, Long reservation, Long swap, Long swappiness, Boolean disableOOMKiller) {
    }

    /** CPU shares, CFS quota/period (µs), cpuset lists. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Cpu(Long shares, Long quota, Long period, String cpus, String mems) {
    }

    /** Maximum number of tasks. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Pids(long limit) {
    }

    /** A device node to create in the container. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Device(String type, String path, Long major, Long minor, Integer fileMode, Long uid, Long gid) {
    }

    /** A user-namespace ID mapping. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record IdMapping(long containerID, long hostID, long size) {
    }

    /** The namespaces, never null. */
    public List<Namespace> namespaceList() {
        return namespaces == null ? List.of() : namespaces;
    }
}
