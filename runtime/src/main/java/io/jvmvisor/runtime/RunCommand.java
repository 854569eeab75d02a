package io.jvmvisor.runtime;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code run}: create + start; in the foreground it then waits for the
 * container to exit, deletes it and exits with the container's exit status.
 */
@Command(name = "run", description = "create and run a container")
public final class RunCommand implements Callable<Integer> {
    @ParentCommand
    JvmvisorCommand parent;

    @Parameters(index = "0", paramLabel = "<container-id>")
    String id;

    @Option(names = {"--bundle", "-b"}, defaultValue = ".",
            description = "path to the root of the bundle directory, defaults to the current directory")
    Path bundle;

    @Option(names = "--console-socket", description = "path to an AF_UNIX socket which will receive the console's pseudoterminal master")
    String consoleSocket;

    @Option(names = {"--detach", "-d"}, description = "detach from the container's process")
    boolean detach;

    @Option(names = "--keep", description = "do not delete the container after it exits")
    boolean keep;

    @Option(names = "--pid-file", description = "specify the file to write the process id to")
    Path pidFile;

    @Option(names = "--no-subreaper", description = "accepted for runc compatibility")
    boolean noSubreaper;

    @Option(names = "--no-pivot", description = "accepted for runc compatibility")
    boolean noPivot;

    @Option(names = "--no-new-keyring", description = "accepted for runc compatibility")
    boolean noNewKeyring;

    @Option(names = "--preserve-fds", defaultValue = "0", description = "Pass N additional file descriptors (not supported: 0 only)")
    int preserveFds;

    @Override
    public Integer call() throws CliException {
        Containers containers = parent.containers();
        ContainerCreator.Created created = new ContainerCreator(containers, parent.log(), parent.debug)
                .create(new ContainerCreator.Options(id, bundle, consoleSocket, pidFile, preserveFds, detach));
        try {
            containers.start(id);
        } catch (CliException e) {
            deleteQuietly(containers);
            throw e;
        }
        if (detach) {
            return 0;
        }
        int status;
        try {
            status = created.shim().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while waiting for container " + id);
        }
        if (!keep) {
            containers.delete(id, true);
        }
        return status;
    }

    private void deleteQuietly(Containers containers) {
        try {
            containers.delete(id, true);
        } catch (CliException e) {
            parent.log().warn("cleaning up " + id + ": " + e.getMessage());
        }
    }
}
