package io.jvmvisor.runtime;

/**
 * {@code mount [--ro] ID HOSTPATH CONTAINERPATH}: adds a host file or directory to a created or
 * running container, without restarting it (the VM's live share; see README "Live shares").
 */
final class MountCommand implements CliCommand {
    @Override
    public String description() {
        return "mount adds a host file or directory to a running container at a path inside it";
    }

    @Override
    public String usage() {
        return "[--ro] <container-id> <host-path> <container-path>";
    }

    @Override
    public int minArgs() {
        return 3;
    }

    @Override
    public int maxArgs() {
        return 3;
    }

    @Override
    public Options options() {
        return new Options().flag("mount read-only (enforced on the host)", "ro", "r");
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        g.containers().mount(p.args().get(0), p.args().get(1), p.args().get(2), p.flag("ro"));
        return 0;
    }
}
