package io.jvmvisor.runtime;

import io.jvmvisor.runtime.state.StateStore;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvmvisor}: global options (runc's) and the commands. */
@Command(name = "jvmvisor", versionProvider = VersionCommand.Provider.class,
        description = "An OCI runtime, command-compatible with runc, that runs every container in its own micro-VM.",
        subcommands = {CreateCommand.class, StartCommand.class, RunCommand.class, StateCommand.class,
                KillCommand.class, DeleteCommand.class, ListCommand.class, PauseCommand.class, ResumeCommand.class,
                SpecCommand.class, FeaturesCommand.class, VersionCommand.class})
public final class JvmvisorCommand implements Runnable {
    /** Default root, like runc's /run/runc. */
    public static final String DEFAULT_ROOT = "/run/jvmvisor";

    @Option(names = "--root", description = "root directory for storage of container state (default: ${DEFAULT-VALUE})",
            defaultValue = DEFAULT_ROOT)
    Path root;

    @Option(names = "--log", description = "set the log file to write jvmvisor logs to (default is '/dev/stderr')")
    Path logFile;

    @Option(names = "--log-format", description = "set the log format ('text' (default), or 'json')", defaultValue = "text")
    String logFormat;

    @Option(names = "--debug", description = "enable debug logging")
    boolean debug;

    @Option(names = "--systemd-cgroup", description = "accepted for runc compatibility; cgroups are applied by the shim")
    boolean systemdCgroup;

    @Option(names = "--rootless", description = "'true', 'false' or 'auto' (default: auto); jvmvisor needs root",
            defaultValue = "auto")
    String rootless;

    @Option(names = "--criu", hidden = true, description = "accepted for runc compatibility; checkpoints are not supported")
    String criu;

    @Option(names = {"--help", "-h"}, usageHelp = true, description = "show help")
    boolean help;

    @Option(names = {"--version", "-v"}, versionHelp = true, description = "print the version")
    boolean version;

    private ErrorLog log;

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** The error log for the global options given. */
    ErrorLog log() {
        if (log == null) {
            Path file = logFile == null || logFile.toString().isEmpty() || logFile.toString().equals("/dev/stderr")
                    ? null : logFile;
            log = new ErrorLog(file, logFormat, debug, System.err);
        }
        return log;
    }

    /** Checks the global options every command shares, and returns the container operations. */
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
            log().debug("--systemd-cgroup accepted; the shim places the VM in the cgroup");
        }
        return new Containers(new StateStore(root), log());
    }
}
