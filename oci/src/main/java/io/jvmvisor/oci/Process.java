package io.jvmvisor.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The container's process ({@code process} in config.json, also the body of {@code exec --process}). */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Process(Boolean terminal, ConsoleSize consoleSize, User user, List<String> args, List<String> env,
                      String cwd, Capabilities capabilities, List<Rlimit> rlimits, Boolean noNewPrivileges,
                      Integer oomScoreAdj, String apparmorProfile) {

    /** Whether the process gets a pseudo-terminal. */
    public boolean isTerminal() {
        return Boolean.TRUE.equals(terminal);
    }

    /** The environment, never null. */
    public List<String> envList() {
        return env == null ? List.of() : env;
    }

    /** The arguments, never null. */
    public List<String> argList() {
        return args == null ? List.of() : args;
    }

    /** Initial terminal size. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ConsoleSize(int height, int width) {
    }

    /** Who the process runs as. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record User(long uid, long gid, Integer umask, List<Long> additionalGids) {
    }

    /** Capability sets, by name ({@code CAP_CHOWN}...). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Capabilities(List<String> bounding, List<String> effective, List<String> inheritable,
                               List<String> permitted, List<String> ambient) {
    }

    /** One resource limit ({@code RLIMIT_NOFILE}...). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Rlimit(String type, long hard, long soft) {
    }
}
