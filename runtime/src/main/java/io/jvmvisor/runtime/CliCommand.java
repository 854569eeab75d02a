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

    /**
     * True if the command may end while a thread of its own sits in a blocking native call (a
     * child's reaper in waitpid, a relay in read): the CLI then exits through {@code _exit(2)}
     * ({@code Runtime.halt} would wait up to 300 ms for that thread), at the price of binding it.
     */
    default boolean leavesBlockedThreads() {
        return true;
    }

    /** Runs the command; returns the exit code. */
    int call(Global global, Options.Parsed parsed) throws CliException;
}
