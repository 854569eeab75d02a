package io.jvmvisor.runtime;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pause}: pauses the container's VM. */
@Command(name = "pause", description = "pause suspends all processes inside the container")
public final class PauseCommand implements Callable<Integer> {
    @ParentCommand
    JvmvisorCommand parent;

    @Parameters(index = "0", paramLabel = "<container-id>")
    String id;

    @Override
    public Integer call() throws CliException {
        parent.containers().pause(id, true);
        return 0;
    }
}
