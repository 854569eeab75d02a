package io.jvmvisor.runtime;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code resume}: resumes a paused container's VM. */
@Command(name = "resume", description = "resumes all processes that have been previously paused")
public final class ResumeCommand implements Callable<Integer> {
    @ParentCommand
    JvmvisorCommand parent;

    @Parameters(index = "0", paramLabel = "<container-id>")
    String id;

    @Override
    public Integer call() throws CliException {
        parent.containers().pause(id, false);
        return 0;
    }
}
