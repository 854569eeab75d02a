package io.jvmvisor.runtime;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kill ID [SIGNAL]}: sends a signal (default SIGTERM) to the container's init process. */
@Command(name = "kill", description = "kill sends the specified signal (default: SIGTERM) to the container's init process")
public final class KillCommand implements Callable<Integer> {
    @ParentCommand
    JvmvisorCommand parent;

    @Parameters(index = "0", paramLabel = "<container-id>")
    String id;

    @Parameters(index = "1", arity = "0..1", defaultValue = "SIGTERM", paramLabel = "<signal>")
    String signal;

    @Option(names = {"--all", "-a"}, description = "send the specified signal to all processes inside the container")
    boolean all;

    @Override
    public Integer call() throws CliException {
        int sig;
        try {
            sig = Signals.parse(signal);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        parent.containers().kill(id, sig, all);
        return 0;
    }
}
