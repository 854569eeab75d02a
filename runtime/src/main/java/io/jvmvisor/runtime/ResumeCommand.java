package io.jvmvisor.runtime;

/** {@code resume}: resumes all processes that have been previously paused. */
final class ResumeCommand implements CliCommand {
    @Override
    public String description() {
        return "resumes all processes that have been previously paused";
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
        g.containers().pause(p.args().getFirst(), false);
        return 0;
    }
}
