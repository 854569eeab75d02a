package io.jvmvisor.runtime;

/** {@code version} (and {@code --version}): like runc's version lines. */
final class VersionCommand implements CliCommand {
    /** The jvmvisor version. */
    static final String VERSION = "0.1.0";

    /** Prints the version lines. */
    static void print() {
        System.out.println("jvmvisor version " + VERSION);
        System.out.println("spec: " + Containers.OCI_VERSION);
        System.out.println("java: " + System.getProperty("java.runtime.version"));
    }

    @Override
    public String description() {
        return "print the version";
    }

    @Override
    public String usage() {
        return "";
    }

    @Override
    public int minArgs() {
        return 0;
    }

    @Override
    public int maxArgs() {
        return 0;
    }

    @Override
    public Options options() {
        return new Options();
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) {
        print();
        return 0;
    }
}
