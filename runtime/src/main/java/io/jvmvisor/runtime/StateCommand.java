package io.jvmvisor.runtime;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code state}: prints the container's state JSON, as runc does. */
@Command(name = "state", description = "output the state of a container")
public final class StateCommand implements Callable<Integer> {
    @ParentCommand
    JvmvisorCommand parent;

    @Parameters(index = "0", paramLabel = "<container-id>")
    String id;

    @Override
    public Integer call() throws CliException {
        Containers c = parent.containers();
        System.out.println(Json.pretty(c.view(c.find(id)), 2));
        return 0;
    }
}
