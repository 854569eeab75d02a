package io.jvmvisor.testbundles;

/** What a finished command gave: its exit code and its two outputs, kept apart. */
public record CommandResult(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
}
