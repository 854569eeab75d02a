package io.jvmvisor.runtime;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code create}: boots the container's VM and prepares its process, which waits for {@code start}. */
@Command(name = "create", description = "create a container")
public final class CreateCommand implements Callable<Integer> {
    @ParentCommand
    JvmvisorCommand parent;

    @Parameters(index = "0", paramLabel = "<container-id>")
    String id;

    @Option(names = {"--bundle", "-b"}, defaultValue = ".",
            description = "path to the root of the bundle directory, defaults to the current directory")
    Path bundle;

    @Option(names = "--console-socket", description = "path to an AF_UNIX socket which will receive the console's pseudoterminal master")
    String consoleSocket;

    @Option(names = "--pid-file", description = "specify the file to write the process id to")
    Path pidFile;

    @Option(names = "--no-pivot", description = "accepted for runc compatibility (the rootfs is a 9p mount in the VM)")
    boolean noPivot;

    @Option(names = "--no-new-keyring", description = "accepted for runc compatibility")
    boolean noNewKeyring;

    @Option(names = "--preserve-fds", defaultValue = "0", description = "Pass N additional file descriptors (not supported: 0 only)")
    int preserveFds;

    @Override
    public Integer call() throws CliException {
        Containers containers = parent.containers();
        new ContainerCreator(containers, parent.log(), parent.debug)
                .create(new ContainerCreator.Options(id, bundle, consoleSocket, pidFile, preserveFds, true));
        return 0;
    }
}
