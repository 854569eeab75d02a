package io.jvmvisor.runtime;

/** {@code delete}: delete any resources held by the container often used with detached container. */
final class DeleteCommand implements CliCommand {
    @Override
    public String description() {
        return "delete any resources held by the container often used with detached container";
    }

    @Override
    public String usage() {
        return "<container-id>";
    }

    @Override
    public int minArgs() {
        return 1;
    }

    @Override
    public int maxArgs() {
        return 1;
    }

    @Override
    public Options options() {
        return new Options()
                .flag("Forcibly deletes the container if it is still running (uses SIGKILL)", "force", "f");
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        g.containers().delete(p.args().getFirst(), p.flag("force"));
        return 0;
    }
}
