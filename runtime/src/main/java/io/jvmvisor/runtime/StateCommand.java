package io.jvmvisor.runtime;

/** {@code state}: output the state of a container. */
final class StateCommand implements CliCommand {
    @Override
    public String description() {
        return "output the state of a container";
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
        Containers c = g.containers();
        System.out.println(Json.state(c.view(c.find(p.args().getFirst()))));
        return 0;
    }
}
