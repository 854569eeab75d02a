package io.jvmvisor.runtime;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code start}: runs the process of a created container. */
@Command(name = "start", description = "executes the user defined process in a created container")
public final class StartCommand implements Callable<Integer> {
    @ParentCommand
    JvmvisorCommand parent;

    @Parameters(index = "0", paramLabel = "<container-id>")
    String id;

    @Override
    public Integer call() throws CliException {
        parent.containers().start(id);
        return 0;
    }
}
