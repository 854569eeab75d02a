package io.jvmvisor.runtime;

import io.jvmvisor.runtime.state.StateStore;
import java.nio.file.Path;

/**
 * The global options, runc's: {@code --root}, {@code --log}, {@code --log-format},
 * {@code --debug}, {@code --systemd-cgroup}, {@code --rootless}, {@code --criu}.
 */
final class Global {
    /** Default root, like runc's /run/runc. */
    static final String DEFAULT_ROOT = "/run/jvmvisor";

    static Options options() {
        return new Options()
                .flag("enable debug logging", "debug")
                .value("set the log file to write jvmvisor logs to (default is '/dev/stderr')", "", "log")
                .value("set the log format ('text' (default), or 'json')", "text", "log-format")
                .value("root directory for storage of container state (this should be located in tmpfs)",
                        DEFAULT_ROOT, "root")
                .value("accepted for runc compatibility; checkpoints are not supported", "criu", "criu")
                .flag("accepted for runc compatibility; the shim places the VM in the cgroup", "systemd-cgroup")
                .value("'true', 'false', or 'auto'; jvmvisor runs as root", "auto", "rootless")
                .flag("show help", "help", "h")
                .flag("print the version", "version", "v");
    }

    final Path root;
    final boolean debug;
    final ErrorLog log;
    private final String logFormat;
    private final String rootless;
    private final boolean systemdCgroup;

    Global(Options.Parsed p) {
        this.root = Path.of(p.value("root"));
        this.debug = p.flag("debug");
        this.logFormat = p.value("log-format");
        this.rootless = p.value("rootless");
        this.systemdCgroup = p.flag("systemd-cgroup");
        String file = p.value("log");
        this.log = new ErrorLog(file == null || file.isEmpty() || file.equals("/dev/stderr") ? null : Path.of(file),
                logFormat, debug, System.err);
    }

    /** Checks the global options every container command shares, and returns the container operations. */
    Containers containers() throws CliException {
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new CliException("invalid log-format: " + logFormat + " (text or json)");
        }
        switch (rootless) {
            case "auto", "false" -> { }
            case "true" -> throw new CliException("--rootless true is not supported: jvmvisor runs as root");
            default -> throw new CliException("invalid --rootless value: " + rootless + " (true, false or auto)");
        }
        if (systemdCgroup) {
            log.debug("--systemd-cgroup accepted; the shim places the VM in the cgroup");
        }
        return new Containers(new StateStore(root), log);
    }
}
