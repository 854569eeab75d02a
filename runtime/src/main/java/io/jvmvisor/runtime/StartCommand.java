package io.jvmvisor.runtime;

/** {@code start}: executes the user defined process in a created container. */
final class StartCommand implements CliCommand {
    @Override
    public String description() {
        return "executes the user defined process in a created container";
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
        return new Options();
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        g.containers().start(p.args().getFirst());
        return 0;
    }
}
