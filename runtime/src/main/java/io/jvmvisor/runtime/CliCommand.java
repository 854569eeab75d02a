package io.jvmvisor.runtime;

/** One jvmvisor command (one class each, as runc has one file each). */
interface CliCommand {
    /** The one-line description shown in help. */
    String description();

    /** The positional arguments, for help ({@code <container-id> [signal]}). */
    String usage();

    /** Fewest and most positional arguments (runc's checkArgs). */
    int minArgs();

    int maxArgs();

    /** The command's flags. */
    Options options();

    /** Runs the command; returns the exit code. */
    int call(Global global, Options.Parsed parsed) throws CliException;
}
