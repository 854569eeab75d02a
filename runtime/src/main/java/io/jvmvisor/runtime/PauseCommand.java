package io.jvmvisor.runtime;

/** {@code pause}: pause suspends all processes inside the container. */
final class PauseCommand implements CliCommand {
    @Override
    public String description() {
        return "pause suspends all processes inside the container";
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
        g.containers().pause(p.args().getFirst(), true);
        return 0;
    }
}
