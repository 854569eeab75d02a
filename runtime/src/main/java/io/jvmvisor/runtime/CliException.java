package io.jvmvisor.runtime;

/**
 * A failure to report to the user: one line on stderr ({@code jvmvisor: message})
 * and in the --log file, and the exit code (runc uses 1).
 */
public final class CliException extends Exception {
    private final int exitCode;

    public CliException(String message) {
        this(message, 1);
    }

    public CliException(String message, int exitCode) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
