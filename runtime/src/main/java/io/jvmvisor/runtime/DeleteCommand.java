package io.jvmvisor.runtime;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code delete}: removes a container, stopping its VM first. */
@Command(name = "delete", description = "delete any resources held by the container often used with detached container")
public final class DeleteCommand implements Callable<Integer> {
    @ParentCommand
    JvmvisorCommand parent;

    @Parameters(index = "0", paramLabel = "<container-id>")
    String id;

    @Option(names = {"--force", "-f"}, description = "Forcibly deletes the container if it is still running (uses SIGKILL)")
    boolean force;

    @Override
    public Integer call() throws CliException {
        parent.containers().delete(id, force);
        return 0;
    }
}
