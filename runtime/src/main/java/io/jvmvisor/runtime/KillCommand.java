package io.jvmvisor.runtime;

/** {@code kill ID [SIGNAL]}: sends a signal (default SIGTERM) to the container's init process. */
final class KillCommand implements CliCommand {
    @Override
    public String description() {
        return "kill sends the specified signal (default: SIGTERM) to the container's init process";
    }

    @Override
    public String usage() {
        return "<container-id> [signal]";
    }

    @Override
    public int minArgs() {
        return 1;
    }

    @Override
    public int maxArgs() {
        return 2;
    }

    @Override
    public Options options() {
        return new Options().flag("send the specified signal to all processes inside the container", "all", "a");
    }

    @Override
    public boolean leavesBlockedThreads() {
        return false;
    }

    @Override
    public int call(Global g, Options.Parsed p) throws CliException {
        int sig;
        try {
            sig = Signals.parse(p.args().size() > 1 ? p.args().get(1) : "SIGTERM");
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        g.containers().kill(p.args().getFirst(), sig, p.flag("all"));
        return 0;
    }
}
