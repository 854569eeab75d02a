package io.jvmvisor.runtime;

/** {@code umount ID CONTAINERPATH}: removes what {@code jvmvisor mount} added (refused while busy). */
final class UmountCommand implements CliCommand {
    @Override
    public String description() {
        return "umount removes a host path that jvmvisor mount added to a running container";
    }

    @Override
    public String usage() {
        return "<container-id> <container-path>";
    }

    @Override
    public int minArgs() {
        return 2;
    }

    @Override
    public int maxArgs() {
        return 2;
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
    public int call(Global g, Options.Parsed p) throws CliException {
        g.containers().umount(p.args().get(0), p.args().get(1));
        return 0;
    }
}
